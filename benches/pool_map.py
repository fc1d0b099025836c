"""Pool(2).map of a square over 100,000 ints, default chunks. Unit: tasks/s
(higher is better); the pool's start is not timed. Usage:
python3 benches/pool_map.py [REPS] (twin: benches/pool_map.mps)."""
import multiprocessing as mp
import sys
import time

CTX = mp.get_context("fork")


def square(x):
    return x * x


def main():
    reps = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    n = 100_000
    for _ in range(reps):
        pool = CTX.Pool(2)
        t0 = time.perf_counter()
        out = pool.map(square, range(n))
        dt = time.perf_counter() - t0
        pool.close()
        pool.join()
        assert len(out) == n and out[-1] == (n - 1) ** 2
        print("RESULT", n / dt, flush=True)


if __name__ == "__main__":
    main()
