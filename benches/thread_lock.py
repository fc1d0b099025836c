"""A lock handed between 2 threads: 2 threads x 20,000 `with l: n += 1`.
Unit: pairs/s. Usage: python3 benches/thread_lock.py [REPS]   (twin: thread_lock.mps)"""
import sys
import threading
import time

K = 20_000
lock = threading.Lock()
n = 0


def worker():
    global n
    for _ in range(K):
        with lock:
            n += 1


def main():
    global n
    reps = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    for _ in range(reps):
        n = 0
        t0 = time.perf_counter()
        ts = [threading.Thread(target=worker) for _ in range(2)]
        for t in ts:
            t.start()
        for t in ts:
            t.join()
        dt = time.perf_counter() - t0
        assert n == 2 * K, n
        print("RESULT", 2 * K / dt, flush=True)


main()
