"""Build a dict of 1,000,000 int keys (d[i] = i). Unit: seconds (lower is better).
Usage: python3 benches/dict.py [REPS]   (twin: benches/dict.mps)"""
import sys
import time


def dict_build(n):
    d = {}
    for i in range(n):
        d[i] = i
    return d


def main():
    reps = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    n = 1_000_000
    for _ in range(reps):
        t0 = time.perf_counter()
        d = dict_build(n)
        dt = time.perf_counter() - t0
        assert len(d) == n, (n, len(d))
        del d
        print("RESULT", dt, flush=True)


main()
