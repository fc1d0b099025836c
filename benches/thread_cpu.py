"""Two CPU-bound threads (or processes, `procs`) vs one thread doing both
jobs: the time ratio. Usage: python3 benches/thread_cpu.py [REPS] [threads|procs]
(twin: benches/thread_cpu.mps)"""
import multiprocessing as mp
import sys
import threading
import time

N = 2_000_000


def count(n):
    x = 0
    while x < n:
        x += 1


def main():
    reps = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    mode = sys.argv[2] if len(sys.argv) > 2 else "threads"
    ctx = mp.get_context("fork")
    for _ in range(reps):
        t0 = time.perf_counter()
        count(N)
        count(N)
        one = time.perf_counter() - t0
        t0 = time.perf_counter()
        make = ctx.Process if mode == "procs" else threading.Thread
        ws = [make(target=count, args=(N,)) for _ in range(2)]
        for w in ws:
            w.start()
        for w in ws:
            w.join()
        print("RESULT", (time.perf_counter() - t0) / one, flush=True)


main()
