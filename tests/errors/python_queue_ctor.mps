# exit: 1
let q = Queue()
