# exit: 2
let smile = "\u{110000}"
