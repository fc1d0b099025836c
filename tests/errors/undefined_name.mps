# exit: 1
fn area(w, h) {
    return w * height
}
print(area(2, 3))
