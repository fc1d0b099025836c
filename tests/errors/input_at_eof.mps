# exit: 1
let line = input()
