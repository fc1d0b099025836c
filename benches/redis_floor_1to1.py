"""The floor for a queue through Redis: a raw LPUSH / BRPOP loop, one round
trip per message each way, 1 producer process -> the main process, 20,000
small ints, over plain sockets speaking RESP (no client library, no
serialization beyond the decimal text). Unit: msgs/s (higher is better).
Usage: python3 benches/redis_floor_1to1.py REPS URL AUTHKEY
(its row compares benches/remote_queue_1to1.mps against this floor)"""
import multiprocessing as mp
import os
import socket
import sys
import time

CTX = mp.get_context("fork")
N = 20_000


class Resp:
    def __init__(self, url, authkey):
        hostport = url.split("//", 1)[1].split("/", 1)[0]
        host, port = hostport.rsplit(":", 1)
        self.sock = socket.create_connection((host, int(port)))
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.file = self.sock.makefile("rb")
        self.call("AUTH", authkey)

    def call(self, *args):
        out = [b"*%d\r\n" % len(args)]
        for a in args:
            a = a if isinstance(a, bytes) else str(a).encode()
            out.append(b"$%d\r\n%s\r\n" % (len(a), a))
        self.sock.sendall(b"".join(out))
        return self.reply()

    def reply(self):
        line = self.file.readline()
        kind, rest = line[:1], line[1:-2]
        if kind in (b"+", b":"):
            return rest
        if kind == b"-":
            raise RuntimeError(rest.decode())
        if kind == b"$":
            n = int(rest)
            if n < 0:
                return None
            data = self.file.read(n + 2)[:-2]
            return data
        if kind == b"*":
            n = int(rest)
            return None if n < 0 else [self.reply() for _ in range(n)]
        raise RuntimeError("bad reply %r" % line)


def producer(url, key, name, ready, go):
    r = Resp(url, key)
    ready.set()
    go.wait()
    for i in range(N):
        r.call("LPUSH", name, i)


def main():
    reps, url, key = int(sys.argv[1]), sys.argv[2], sys.argv[3]
    r = Resp(url, key)
    for rep in range(reps):
        name = "floor-%d-%d" % (os.getpid(), rep)
        ready, go = CTX.Event(), CTX.Event()
        p = CTX.Process(target=producer, args=(url, key, name, ready, go))
        p.start()
        ready.wait()
        t0 = time.perf_counter()
        go.set()
        acc = 0
        for _ in range(N):
            acc += int(r.call("BRPOP", name, 0)[1])
        dt = time.perf_counter() - t0
        p.join()
        assert acc == N * (N - 1) // 2
        print("RESULT", N / dt, flush=True)


if __name__ == "__main__":
    main()
