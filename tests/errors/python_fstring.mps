# exit: 2
let n = 3
print(f"n is {n}")
