# exit: 1
queue q
let n = q.qsize
