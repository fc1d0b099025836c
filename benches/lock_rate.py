"""2 processes x 100,000 `with lock: v.value += 1` on a shared counter, contended.
Unit: pairs/s (higher is better). Usage: python3 benches/lock_rate.py [REPS]
(twin: benches/lock_rate.mps; same as shared/bench/python_mp.py lock_rate)"""
import multiprocessing as mp
import sys
import time

CTX = mp.get_context("fork")


def worker(ready, go, lock, val, n):
    ready.set()
    go.wait()
    for _ in range(n):
        with lock:
            val.value += 1


def main():
    reps = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    n, procs = 100_000, 2
    for _ in range(reps):
        lock = CTX.Lock()
        val = CTX.Value("i", 0, lock=False)
        go = CTX.Event()
        readies, ps = [], []
        for _ in range(procs):
            r = CTX.Event()
            p = CTX.Process(target=worker, args=(r, go, lock, val, n))
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
        assert val.value == procs * n, val.value
        print("RESULT", procs * n / dt, flush=True)


main()
