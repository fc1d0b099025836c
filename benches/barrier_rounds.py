"""Barrier rounds: 3 processes (main + 2 children) pass one Barrier(3)
5,000 times; one untimed warm-up round. Unit: rounds/s (higher is better).
Usage: python3 benches/barrier_rounds.py [REPS]
(twin: benches/barrier_rounds.mps)"""
import multiprocessing as mp
import sys
import time

CTX = mp.get_context("fork")


def party(b, k):
    for _ in range(k):
        b.wait()


def main():
    reps = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    n = 5_000
    for _ in range(reps):
        b = CTX.Barrier(3)
        ps = [CTX.Process(target=party, args=(b, n + 1)) for _ in range(2)]
        for p in ps:
            p.start()
        b.wait()
        t0 = time.perf_counter()
        for _ in range(n):
            b.wait()
        dt = time.perf_counter() - t0
        for p in ps:
            p.join()
        print("RESULT", n / dt, flush=True)


main()
