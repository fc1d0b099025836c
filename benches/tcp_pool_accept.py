"""Connections handed to a pool: a client process makes 2,000 connections,
one after another; the parent accepts each and hands it to Pool(2), whose
task answers one byte and closes (the socket travels to the worker by
multiprocessing.reduction, i.e. SCM_RIGHTS). Pool start excluded.
Unit: connections/s (higher is better).
Usage: python3 benches/tcp_pool_accept.py [REPS]   (twin: benches/tcp_pool_accept.mps)"""
import multiprocessing as mp
import socket
import sys
import time

CTX = mp.get_context("fork")


def serve(conn):
    conn.sendall(b"k")
    conn.close()


def clients(port, k):
    for _ in range(k):
        c = socket.create_connection(("127.0.0.1", port))
        c.recv(1)
        c.close()


def main():
    reps = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    n = 2_000
    srv = socket.socket()
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("127.0.0.1", 0))
    srv.listen(1024)
    port = srv.getsockname()[1]
    with CTX.Pool(2) as pool:
        pool.map(abs, [1, 2])
        for _ in range(reps):
            t0 = time.perf_counter()
            cl = CTX.Process(target=clients, args=(port, n))
            cl.start()
            results, conns = [], []
            for _ in range(n):
                conn, _ = srv.accept()
                results.append(pool.apply_async(serve, (conn,)))
                conns.append(conn)  # pickled later, by the pool's thread
            for r in results:
                r.get()
            for conn in conns:
                conn.close()
            cl.join()
            dt = time.perf_counter() - t0
            print("RESULT", n / dt, flush=True)


main()
