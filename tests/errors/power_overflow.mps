# exit: 1
let n = 10
print(n ** 40)
