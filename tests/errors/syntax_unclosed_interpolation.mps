# exit: 2
let n = 3
print("n is {n")
