# distributed_master.mps — the master of seed 004's distributed processes: tasks out, results in.
# needs: a Redis server — run with: mpscript scripts/distributed_master.mps [URL] [AUTHKEY]
#
# Lesson: Python's BaseManager serves two queues over the network; here the
# queues live in a Redis server, so the master and its workers can run on
# any machines that reach it. The master puts ten numbers on `task_queue`
# and collects the answers from `result_queue`; start one or more
# `distributed_worker.mps` anywhere (see README "More than one machine").
# A worker that dies holding a task does not lose it: the task goes back
# to the queue for another worker.
let url = "redis://127.0.0.1:6379/0"
let authkey = "abc"
if len(args) > 0 { url = args[0] }
if len(args) > 1 { authkey = args[1] }

let m = manager(url, authkey=authkey)
let task = m.queue("task_queue")
let result = m.queue("result_queue")

for i in 0..10 {
    let n = rand_int(0, 10000)
    print("Put task {n}...")
    task.put(n)
}
print("Try get results...")
for i in 0..10 {
    let r = result.get(timeout=10)
    print("Result: {r}")
}
print("master exit.")
