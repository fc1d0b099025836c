"""TCP echo: one loopback connection, a child process echoes what it
receives; 20,000 round trips of 16 bytes after one untimed warm-up.
Unit: round trips/s (higher is better).
Usage: python3 benches/tcp_echo.py [REPS]   (twin: benches/tcp_echo.mps)"""
import multiprocessing as mp
import socket
import sys
import time

CTX = mp.get_context("fork")


def echo(conn, client):
    client.close()  # the child's copy of the client end
    while True:
        data = conn.recv(4096)
        if not data:
            break
        conn.sendall(data)


def main():
    reps = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    n = 20_000
    msg = b"0123456789abcdef"
    srv = socket.socket()
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("127.0.0.1", 0))
    srv.listen(128)
    port = srv.getsockname()[1]
    for _ in range(reps):
        c = socket.create_connection(("127.0.0.1", port))
        conn, _ = srv.accept()
        p = CTX.Process(target=echo, args=(conn, c))
        p.start()
        conn.close()
        c.sendall(msg)
        c.recv(4096)
        send, recv = c.sendall, c.recv
        t0 = time.perf_counter()
        for _ in range(n):
            send(msg)
            recv(4096)
        dt = time.perf_counter() - t0
        c.close()
        p.join()
        print("RESULT", n / dt, flush=True)


main()
