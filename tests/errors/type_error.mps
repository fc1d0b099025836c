# exit: 1
let n = 1
print(n + "a")
