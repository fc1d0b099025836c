"""fib(30), recursive, in-process. Unit: seconds per call (lower is better).
Usage: python3 benches/fib.py [REPS]   (twin: benches/fib.mps)"""
import sys
import time


def fib(n):
    return n if n < 2 else fib(n - 1) + fib(n - 2)


def main():
    reps = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    n = 30
    for _ in range(reps):
        t0 = time.perf_counter()
        x = fib(n)
        dt = time.perf_counter() - t0
        assert x == 832040, (n, x)
        print("RESULT", dt, flush=True)


main()
