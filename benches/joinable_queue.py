"""Joinable queue: 2 consumer processes get() + task_done(); the main process
puts 20,000 ints, then join()s. Consumers start before timing.
Unit: items/s (higher is better).
Usage: python3 benches/joinable_queue.py [REPS]
(twin: benches/joinable_queue.mps; same as shared/bench/python_mp.py joinable_queue)"""
import multiprocessing as mp
import sys
import time

CTX = mp.get_context("fork")


def consumer(ready, go, q):
    ready.set()
    go.wait()
    get, done = q.get, q.task_done
    while True:
        item = get()
        done()
        if item is None:
            break


def main():
    reps = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    n, consumers = 20_000, 2
    for _ in range(reps):
        q = CTX.JoinableQueue()
        go = CTX.Event()
        procs, readies = [], []
        for _ in range(consumers):
            r = CTX.Event()
            p = CTX.Process(target=consumer, args=(r, go, q))
            p.start()
            procs.append(p)
            readies.append(r)
        for r in readies:
            r.wait()
        go.set()
        put = q.put
        t0 = time.perf_counter()
        for i in range(n):
            put(i)
        q.join()
        dt = time.perf_counter() - t0
        for _ in range(consumers):
            q.put(None)
        for p in procs:
            p.join()
        print("RESULT", n / dt, flush=True)


main()
