"""10,000 apply_async(square, (i,)), then get() of every result, on Pool(2).
Unit: tasks/s (higher is better); the pool's start is not timed. Usage:
python3 benches/pool_apply_async.py [REPS] (twin: benches/pool_apply_async.mps)."""
import multiprocessing as mp
import sys
import time

CTX = mp.get_context("fork")


def square(x):
    return x * x


def noop():
    pass


def main():
    reps = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    n = 10_000
    for _ in range(reps):
        pool = CTX.Pool(2)
        pool.apply(noop)  # workers up and serving
        t0 = time.perf_counter()
        rs = [pool.apply_async(square, (i,)) for i in range(n)]
        out = [r.get() for r in rs]
        dt = time.perf_counter() - t0
        pool.close()
        pool.join()
        assert out[-1] == (n - 1) ** 2
        print("RESULT", n / dt, flush=True)


if __name__ == "__main__":
    main()
