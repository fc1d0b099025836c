# exit: 2
let double = lambda x: x * 2
