# exit: 2
let done = false
if !done { print("not yet") }
