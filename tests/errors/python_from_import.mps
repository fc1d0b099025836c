# exit: 2
from multiprocessing import Process, Queue
