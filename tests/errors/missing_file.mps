# exit: 1
let text = read_file("nope.txt")
