"""A burst of 200 processes: all spawned, then all joined. Unit: µs per
process (lower is better). Usage: python3 benches/spawn_burst.py [REPS]
(twin: benches/spawn_burst.mps). Each child runs an empty function."""
import multiprocessing as mp
import sys
import time

CTX = mp.get_context("fork")


def noop():
    pass


def main():
    reps = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    n = 200
    for _ in range(3):  # warm-up: load the lazily imported machinery
        p = CTX.Process(target=noop)
        p.start()
        p.join()
    for _ in range(reps):
        t0 = time.perf_counter()
        ps = [CTX.Process(target=noop) for _ in range(n)]
        for p in ps:
            p.start()
        for p in ps:
            p.join()
        dt = time.perf_counter() - t0
        failures = sum(p.exitcode != 0 for p in ps)
        assert failures == 0, failures
        print("RESULT", dt / n * 1e6, flush=True)


if __name__ == "__main__":
    main()
