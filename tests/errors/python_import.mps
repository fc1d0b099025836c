# exit: 2
import multiprocessing
print("hi")
