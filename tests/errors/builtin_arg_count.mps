# exit: 1
print(len())
