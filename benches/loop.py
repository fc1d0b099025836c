"""A `while` loop of 10,000,000 additions. Unit: seconds (lower is better).
Usage: python3 benches/loop.py [REPS]   (twin: benches/loop.mps)"""
import sys
import time


def while_sum(n):
    s = 0
    i = 0
    while i < n:
        s += i
        i += 1
    return s


def main():
    reps = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    n = 10_000_000
    for _ in range(reps):
        t0 = time.perf_counter()
        s = while_sum(n)
        dt = time.perf_counter() - t0
        assert s == 49999995000000, (n, s)
        print("RESULT", dt, flush=True)


main()
