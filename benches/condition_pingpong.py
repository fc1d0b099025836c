"""Condition ping-pong: two processes take turns under one Condition; each
turn flips a shared flag and notifies the other. One untimed warm-up round
trip. Unit: us per round trip (lower is better).
Usage: python3 benches/condition_pingpong.py [REPS]
(twin: benches/condition_pingpong.mps)"""
import multiprocessing as mp
import sys
import time

CTX = mp.get_context("fork")


def child(c, turn, k):
    for _ in range(k):
        with c:
            while turn.value != 1:
                c.wait()
            turn.value = 0
            c.notify()


def main():
    reps = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    n = 5_000
    for _ in range(reps):
        c = CTX.Condition()
        turn = CTX.Value("i", 0, lock=False)
        p = CTX.Process(target=child, args=(c, turn, n + 1))
        p.start()
        with c:
            turn.value = 1
            c.notify()
            while turn.value != 0:
                c.wait()
        t0 = time.perf_counter()
        for _ in range(n):
            with c:
                turn.value = 1
                c.notify()
                while turn.value != 0:
                    c.wait()
        dt = time.perf_counter() - t0
        p.join()
        print("RESULT", dt / n * 1e6, flush=True)


main()
