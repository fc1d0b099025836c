# exit: 2
print("\x1 is one hex digit short")
