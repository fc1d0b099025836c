# exit: 1
print(os.getpid())
