# thread_local.mps — per-thread data with local().
#
# Lesson: a `local()` object is shared by every thread, but each thread sees
# only the attributes it set itself. Here each thread stores its student in
# `local_school.student`, and process_student() — which takes no argument —
# still greets the right one. The main thread set nothing, so reading the
# attribute there is an AttributeError.

let local_school = local()

fn process_student() {
    let std = local_school.student
    print("Hello, {std} (in {current_thread().name})")
}

fn process_thread(name) {
    local_school.student = name
    sleep(0.01)              # the other thread runs meanwhile, and sets its own
    process_student()
}

let t1 = thread process_thread("Alice")
t1.name = "Thread-A"
let t2 = thread process_thread("Bob")
t2.name = "Thread-B"
t1.join()
t2.join()
try {
    print(local_school.student)
} catch e {
    print("MainThread set no student: {e.kind}")
}
