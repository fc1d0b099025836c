# exit: 1
let v = None
