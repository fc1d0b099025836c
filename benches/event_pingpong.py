"""Event ping-pong: two Events, each side set()/wait()/clear(); one untimed
warm-up round trip. Unit: us per round trip (lower is better).
Usage: python3 benches/event_pingpong.py [REPS]
(twin: benches/event_pingpong.mps; same as shared/bench/python_mp.py event_pingpong)"""
import multiprocessing as mp
import sys
import time

CTX = mp.get_context("fork")


def child(ping, pong, n):
    for _ in range(n):
        ping.wait()
        ping.clear()
        pong.set()


def main():
    reps = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    n = 5_000
    for _ in range(reps):
        ping, pong = CTX.Event(), CTX.Event()
        p = CTX.Process(target=child, args=(ping, pong, n + 1))
        p.start()
        ping.set()
        pong.wait()
        pong.clear()
        t0 = time.perf_counter()
        for _ in range(n):
            ping.set()
            pong.wait()
            pong.clear()
        dt = time.perf_counter() - t0
        p.join()
        print("RESULT", dt / n * 1e6, flush=True)


main()
