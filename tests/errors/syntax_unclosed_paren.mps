# exit: 2
let xs = [1, 2, 3]
print("total", len(xs)
print("next")
