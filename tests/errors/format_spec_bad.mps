# exit: 1
let t = 3.14159
print("{t:.3d}")
