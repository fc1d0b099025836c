# exit: 2
let x
