# exit: 2
fn f(x) { print(x) }
let p = Process(target=f, args=(1,))
p.start()
