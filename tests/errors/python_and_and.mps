# exit: 2
let a = true
if a && not a { }
