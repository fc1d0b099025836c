# exit: 2
try {
    let x = 1 / 0
} except e {
    print(e)
}
