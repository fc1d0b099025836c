# exit: 2
let ages = {"ann": 31, "bob" 27}
