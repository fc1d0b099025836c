"""300,000 rounds of method calls on a list and a str: append, pop, upper,
split, startswith (5 calls a round). Unit: seconds (lower is better).
Usage: python3 benches/methods.py [REPS]   (twin: benches/methods.mps)"""
import sys
import time


def methods(n):
    xs = []
    s = "alpha,beta"
    hits = 0
    for i in range(n):
        xs.append(i)
        xs.pop()
        u = s.upper()
        parts = u.split(",")
        if u.startswith("ALPHA"):
            hits += len(parts)
    return hits


def main():
    reps = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    n = 300_000
    for _ in range(reps):
        t0 = time.perf_counter()
        hits = methods(n)
        dt = time.perf_counter() - t0
        assert hits == 2 * n, (n, hits)
        print("RESULT", dt, flush=True)


main()
