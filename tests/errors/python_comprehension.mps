# exit: 2
let squares = [x * x for x in 0..5]
