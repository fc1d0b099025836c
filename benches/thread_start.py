"""2,000 threads started and joined one after another. Unit: µs/thread.
Usage: python3 benches/thread_start.py [REPS]   (twin: thread_start.mps)"""
import sys
import threading
import time


def nothing():
    pass


def main():
    reps = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    n = 2000
    for _ in range(reps):
        t0 = time.perf_counter()
        for _ in range(n):
            t = threading.Thread(target=nothing)
            t.start()
            t.join()
        print("RESULT", (time.perf_counter() - t0) / n * 1e6, flush=True)


main()
