# exit: 2
print("total", 1 + 2
