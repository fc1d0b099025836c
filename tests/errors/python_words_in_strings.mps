# exit: 2
# a Python word in a string or comment is no hint: elif, def, is
print("this is not def" 1)
