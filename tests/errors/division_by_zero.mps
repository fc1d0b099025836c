# exit: 1
let items = []
let average = 10 / len(items)
