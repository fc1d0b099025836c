# exit: 1
fn f(x) { print(x) }
let p = Process(f, [1])
