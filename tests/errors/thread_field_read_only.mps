# exit: 1
let t = thread { }
t.join()
t.ident = 5
