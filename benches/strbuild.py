"""String building: a str grown by += 20,000 times, plus a join of 200,000 formatted pieces. Unit: seconds (lower is better).
Usage: python3 benches/strbuild.py [REPS]   (twin: benches/strbuild.mps)"""
import sys
import time


def build(n):
    s = ""
    for i in range(20_000):
        s += "ab"
    parts = []
    for i in range(n):
        parts.append(f"{i},")
    t = "".join(parts)
    return len(s) + len(t)


def main():
    reps = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    n = 200_000
    for _ in range(reps):
        t0 = time.perf_counter()
        total = build(n)
        dt = time.perf_counter() - t0
        assert total == 40000 + 1288890, (n, total)
        print("RESULT", dt, flush=True)


main()
