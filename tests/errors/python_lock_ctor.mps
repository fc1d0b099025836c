# exit: 1
let l = Lock()
