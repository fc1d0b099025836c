"""2 processes x 5,000 `with lock: d["count"] += 1` on a Manager().dict().
Unit: ops/s (higher is better). Usage: python3 benches/shared_dict.py [REPS]
(twin: benches/shared_dict.mps; same as shared/bench/python_mp.py manager_dict, mp_lock variant)"""
import multiprocessing as mp
import sys
import time

CTX = mp.get_context("fork")


def worker(ready, go, d, lock, n):
    ready.set()
    go.wait()
    for _ in range(n):
        with lock:
            d["count"] += 1


def main():
    reps = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    n, procs = 5_000, 2
    for _ in range(reps):
        mgr = CTX.Manager()
        d = mgr.dict()
        d["count"] = 0
        lock = CTX.Lock()
        go = CTX.Event()
        readies, ps = [], []
        for _ in range(procs):
            r = CTX.Event()
            p = CTX.Process(target=worker, args=(r, go, d, lock, n))
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
        assert d["count"] == procs * n, d["count"]
        mgr.shutdown()
        print("RESULT", procs * n / dt, flush=True)


main()
