# exit: 1
fn f(a, b=1) { return a + b }
f(1, c=2)
