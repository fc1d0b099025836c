"""Remote pool throughput the CPython way (the seed's distributed
processes): a BaseManager on loopback serves a task queue and a result
queue, 2 worker processes connect, take (chunk of) squares and put the
results back; 20,000 tasks in chunks like Pool.map's default (n / 16).
Unit: tasks/s (higher is better).
Usage: python3 benches/remote_pool.py REPS [URL AUTHKEY]
(twin: benches/remote_pool.mps; URL and AUTHKEY are ignored here)"""
import multiprocessing as mp
import queue
import sys
import time
from multiprocessing.managers import BaseManager

CTX = mp.get_context("fork")
N = 20_000
CHUNK = N // 16
AUTHKEY = b"abc"


class QueueManager(BaseManager):
    pass


def worker(address):
    QueueManager.register("tasks")
    QueueManager.register("results")
    m = QueueManager(address=address, authkey=AUTHKEY)
    m.connect()
    tasks, results = m.tasks(), m.results()
    while True:
        chunk = tasks.get()
        if chunk is None:
            return
        start, xs = chunk
        results.put((start, [x * x for x in xs]))


def main():
    reps = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    tq, rq = queue.Queue(), queue.Queue()
    QueueManager.register("tasks", callable=lambda: tq)
    QueueManager.register("results", callable=lambda: rq)
    manager = QueueManager(address=("127.0.0.1", 0), authkey=AUTHKEY, ctx=CTX)
    manager.start()
    tasks, results = manager.tasks(), manager.results()
    workers = [CTX.Process(target=worker, args=(manager.address,)) for _ in range(2)]
    for w in workers:
        w.start()
    for _ in range(reps):
        t0 = time.perf_counter()
        for start in range(0, N, CHUNK):
            tasks.put((start, list(range(start, min(start + CHUNK, N)))))
        out = [None] * N
        for _ in range(0, N, CHUNK):
            start, values = results.get()
            out[start:start + len(values)] = values
        dt = time.perf_counter() - t0
        assert out[-1] == (N - 1) ** 2
        print("RESULT", N / dt, flush=True)
    for w in workers:
        tasks.put(None)
    for w in workers:
        w.join()
    manager.shutdown()


if __name__ == "__main__":
    main()
