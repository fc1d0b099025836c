# exit: 1
fn greet(name) { print("hi {name}") }
greet("ann", "bob")
