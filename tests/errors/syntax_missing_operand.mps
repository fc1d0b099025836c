# exit: 2
let price = 3
let total = price *
