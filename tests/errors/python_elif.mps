# exit: 2
let x = 1
if x == 1 {
    print("one")
} elif x == 2 {
    print("two")
}
