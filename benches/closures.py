"""Closures: 200,000 times make a counter closure over a local and call it
5 times, then call a function passed as an argument. Unit: seconds (lower is better).
Usage: python3 benches/closures.py [REPS]   (twin: benches/closures.mps)"""
import sys
import time


def make_counter(start):
    n = start

    def step_by(step):
        nonlocal n
        n += step
        return n

    return step_by


def apply(f, x):
    return f(x)


def closures(rounds):
    total = 0
    for i in range(rounds):
        c = make_counter(i)
        c(1)
        c(1)
        c(1)
        c(1)
        total += apply(c, 1)
    return total


def main():
    reps = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    rounds = 200_000
    for _ in range(reps):
        t0 = time.perf_counter()
        total = closures(rounds)
        dt = time.perf_counter() - t0
        assert total == rounds * (rounds - 1) // 2 + 5 * rounds, (rounds, total)
        print("RESULT", dt, flush=True)


main()
