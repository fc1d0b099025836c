# exit: 2
def square(x):
    return x * x
