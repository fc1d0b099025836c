# exit: 1
let name, age = ["Ada", 36, "London"]
