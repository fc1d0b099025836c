# exit: 2
fn f(x) {
    if x > 1 {
        return x
    return 0
}
