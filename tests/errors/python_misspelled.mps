# exit: 1
prnt("hello")
