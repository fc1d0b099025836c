"""Pipe ping-pong: Pipe() (duplex => socketpair), the child sends back what it
receives plus one; 20,000 round trips of a small int after one untimed warm-up.
Unit: us per round trip (lower is better).
Usage: python3 benches/pipe_pingpong.py [REPS]
(twin: benches/pipe_pingpong.mps; same as shared/bench/python_mp.py pipe_pingpong)"""
import multiprocessing as mp
import sys
import time

CTX = mp.get_context("fork")


def child(conn, n):
    recv, send = conn.recv, conn.send
    for _ in range(n):
        send(recv() + 1)


def main():
    reps = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    n = 20_000
    for _ in range(reps):
        a, b = CTX.Pipe()
        p = CTX.Process(target=child, args=(b, n + 1))
        p.start()
        a.send(-1)
        a.recv()
        send, recv = a.send, a.recv
        x = 0
        t0 = time.perf_counter()
        for _ in range(n):
            send(x)
            x = recv()
        dt = time.perf_counter() - t0
        p.join()
        assert x == n
        print("RESULT", dt / n * 1e6, flush=True)


main()
