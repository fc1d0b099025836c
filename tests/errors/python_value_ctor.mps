# exit: 1
let counter = Value("i", 0)
