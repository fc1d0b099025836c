"""A pool's whole life with no work: Pool(2); close(); join(). Unit: ms
(lower is better). Usage: python3 benches/pool_life.py [REPS]
(twin: benches/pool_life.mps)."""
import multiprocessing as mp
import sys
import time

CTX = mp.get_context("fork")


def noop():
    pass


def main():
    reps = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    for _ in range(3):  # warm-up: load the lazily imported machinery
        p = CTX.Process(target=noop)
        p.start()
        p.join()
    for _ in range(reps):
        t0 = time.perf_counter()
        pool = CTX.Pool(2)
        pool.close()
        pool.join()
        print("RESULT", (time.perf_counter() - t0) * 1e3, flush=True)


if __name__ == "__main__":
    main()
