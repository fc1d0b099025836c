"""CPU-bound pool: Pool(2).map(fib, [25] * 8), pool start excluded.
Unit: seconds (lower is better).
Usage: python3 benches/pool_fib.py [REPS]   (twin: benches/pool_fib.mps)"""
import multiprocessing as mp
import sys
import time


def fib(n):
    return n if n < 2 else fib(n - 1) + fib(n - 2)


def main():
    reps = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    ctx = mp.get_context("fork")
    for _ in range(reps):
        with ctx.Pool(2) as p:
            t0 = time.perf_counter()
            out = p.map(fib, [25] * 8)
            dt = time.perf_counter() - t0
        assert len(out) == 8 and out[7] == 75025
        print("RESULT", dt, flush=True)


if __name__ == "__main__":
    main()
