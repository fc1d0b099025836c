# exit: 1
let xs = [3, 1, 2]
xs.frobnicate()
