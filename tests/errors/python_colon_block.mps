# exit: 2
let n = 3
while n > 0:
    n -= 1
