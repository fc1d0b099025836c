# exit: 2
let greeting = b"héllo"
