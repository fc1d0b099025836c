# exit: 1
count = 1
