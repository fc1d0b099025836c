# exit: 1
let balance = -5
assert(balance >= 0, "msg")
