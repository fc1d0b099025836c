# exit: 2
print("C:\path\to\file")
