# distributed_worker.mps — a worker of seed 004's distributed processes: run on any machine.
# needs: a Redis server — run with: mpscript scripts/distributed_worker.mps [URL] [AUTHKEY]
#
# Lesson: the worker connects to the same server with the same authkey and
# pulls tasks until the task queue stays empty for a few seconds. Start as
# many as you like, on as many machines: each task goes to exactly one of
# them. A wrong authkey is an AuthenticationError; a server that cannot be
# reached, a ConnectionError naming it.
let url = "redis://127.0.0.1:6379/0"
let authkey = "abc"
if len(args) > 0 { url = args[0] }
if len(args) > 1 { authkey = args[1] }

print("Connect to server {url}...")
let m = manager(url, authkey=authkey)
let task = m.queue("task_queue")
let result = m.queue("result_queue")

while true {
    let n = nil
    try {
        n = task.get(timeout=3)
    } catch e {
        if e.kind != "Empty" { throw e }
        print("task queue is empty.")
        break
    }
    print("run task {n} * {n}...")
    sleep(0.1)
    result.put("{n} * {n} = {n * n}")
}
print("worker exit.")
