# exit: 2
fn work() { }
let t = thread work
