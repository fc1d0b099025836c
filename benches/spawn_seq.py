"""200 processes spawned and joined one after another. Unit: µs per process
(lower is better). Usage: python3 benches/spawn_seq.py [REPS]
(twin: benches/spawn_seq.mps). Each child runs an empty function."""
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
        failures = 0
        t0 = time.perf_counter()
        for _ in range(n):
            p = CTX.Process(target=noop)
            p.start()
            p.join()
            failures += p.exitcode != 0
        dt = time.perf_counter() - t0
        assert failures == 0, failures
        print("RESULT", dt / n * 1e6, flush=True)


if __name__ == "__main__":
    main()
