"""Remote queue throughput, 1 producer process -> the main process, through
CPython's BaseManager serving a queue.Queue on loopback (the seed's
distributed processes): 20,000 small ints. Unit: msgs/s (higher is better).
Usage: python3 benches/remote_queue_1to1.py REPS [URL AUTHKEY]
(twin: benches/remote_queue_1to1.mps; URL and AUTHKEY are ignored here)"""
import multiprocessing as mp
import queue
import sys
import time
from multiprocessing.managers import BaseManager

CTX = mp.get_context("fork")
N = 20_000
AUTHKEY = b"abc"


class QueueManager(BaseManager):
    pass


def producer(address, ready, go):
    QueueManager.register("get_queue")
    m = QueueManager(address=address, authkey=AUTHKEY)
    m.connect()
    q = m.get_queue()
    ready.set()
    go.wait()
    for i in range(N):
        q.put(i)


def main():
    reps = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    q = queue.Queue()
    QueueManager.register("get_queue", callable=lambda: q)
    manager = QueueManager(address=("127.0.0.1", 0), authkey=AUTHKEY, ctx=CTX)
    manager.start()
    proxy = manager.get_queue()
    for _ in range(reps):
        ready, go = CTX.Event(), CTX.Event()
        p = CTX.Process(target=producer, args=(manager.address, ready, go))
        p.start()
        ready.wait()
        get = proxy.get
        t0 = time.perf_counter()
        go.set()
        acc = 0
        for _ in range(N):
            acc += get()
        dt = time.perf_counter() - t0
        p.join()
        assert acc == N * (N - 1) // 2
        print("RESULT", N / dt, flush=True)
    manager.shutdown()


if __name__ == "__main__":
    main()
