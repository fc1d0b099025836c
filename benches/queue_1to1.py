"""Queue throughput, 1 producer process -> the main process: 100,000 small
ints (or, with the extra argument `kib`, 20,000 items of 1 KiB).
Unit: msgs/s, or MB/s of payload for `kib` (higher is better).
Usage: python3 benches/queue_1to1.py [REPS [kib]]
(twin: benches/queue_1to1.mps; same as shared/bench/python_mp.py queue_throughput)"""
import multiprocessing as mp
import sys
import time

CTX = mp.get_context("fork")


def producer(q, ready, go, n, payload):
    ready.set()
    go.wait()
    put = q.put
    if payload is None:
        for i in range(n):
            put(i)
    else:
        for _ in range(n):
            put(payload)


def main():
    reps = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    kib = len(sys.argv) > 2 and sys.argv[2] == "kib"
    n = 20_000 if kib else 100_000
    payload = b"x" * 1024 if kib else None
    for _ in range(reps):
        q = CTX.Queue()
        ready, go = CTX.Event(), CTX.Event()
        p = CTX.Process(target=producer, args=(q, ready, go, n, payload))
        p.start()
        ready.wait()
        get = q.get
        t0 = time.perf_counter()
        go.set()
        acc = 0
        if kib:
            for _ in range(n):
                acc += len(get())
        else:
            for _ in range(n):
                acc += get()
        dt = time.perf_counter() - t0
        p.join()
        if kib:
            assert acc == n * 1024
            print("RESULT", n * 1024 / dt / 1e6, flush=True)
        else:
            assert acc == n * (n - 1) // 2
            print("RESULT", n / dt, flush=True)


main()
