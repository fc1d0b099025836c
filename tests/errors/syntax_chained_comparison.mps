# exit: 2
let x = 2
if 1 < x < 3 { print("between") }
