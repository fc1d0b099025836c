# exit: 1
let ages = {"ann": 31}
print(ages["bob"])
