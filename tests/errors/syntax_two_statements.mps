# exit: 2
let x = 0
let y = 0
x = 1 y = 2
