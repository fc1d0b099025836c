# exit: 2
let point = (1, 2)
