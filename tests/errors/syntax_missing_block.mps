# exit: 2
let x = 3
if x > 1 print("big")
