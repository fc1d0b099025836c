# exit: 1
let p = Pool(2)
