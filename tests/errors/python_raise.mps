# exit: 2
raise ValueError("bad")
