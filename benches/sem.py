"""4 processes x 50,000 acquire()+release() on Semaphore(2).
Unit: pairs/s (higher is better). Usage: python3 benches/sem.py [REPS]
(twin: benches/sem.mps; same as shared/bench/python_mp.py semaphore)"""
import multiprocessing as mp
import sys
import time

CTX = mp.get_context("fork")


def worker(ready, go, sem, n):
    ready.set()
    go.wait()
    acq, rel = sem.acquire, sem.release
    for _ in range(n):
        acq()
        rel()


def main():
    reps = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    n, procs = 50_000, 4
    for _ in range(reps):
        sem = CTX.Semaphore(2)
        go = CTX.Event()
        readies, ps = [], []
        for _ in range(procs):
            r = CTX.Event()
            p = CTX.Process(target=worker, args=(r, go, sem, n))
            p.start()
            readies.append(r)
            ps.append(p)
        for r in readies:
            r.wait()
        t0 = time.perf_counter()
        go.set()
        for p in ps:
            p.join()
        dt = time.perf_counter() - t0
        print("RESULT", procs * n / dt, flush=True)


main()
