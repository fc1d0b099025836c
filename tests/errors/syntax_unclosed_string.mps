# exit: 2
let greeting = "hello
print(greeting)
