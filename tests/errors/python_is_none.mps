# exit: 2
let x = nil
if x is None { print("nothing") }
