# exit: 3
# Joining the current thread would wait forever.
let t = thread { }
current_thread().join()
