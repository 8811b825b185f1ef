"""Seed 004's stress scenarios, written once and run against every Viper adapter.

    python stress.py fanout URL [--clients 10] [--messages 40] [--rate 20]
    python stress.py slow   URL [--readers 3] [--messages 1500] [--size 4096]
    python stress.py cycles HOST:PORT [--n 1000] [--path /hello]

URL is a broadcast WebSocket endpoint (every message to every member, in order), e.g.
ws://127.0.0.1:8080/ws/chat. Each scenario prints one result line that the calling test
checks, and exits non-zero on a failure. Every wait is bounded.
"""
import argparse, asyncio, os, socket, sys, time
from urllib.parse import urlsplit

import websockets


async def fanout(a):
    """One member publishes at `rate` msg/s; every member must receive every message once, in order."""
    conns = [await websockets.connect(a.url, open_timeout=30) for _ in range(a.clients)]

    async def listen(c):
        got = []
        while len(got) < a.messages:
            got.append(await asyncio.wait_for(c.recv(), 30))
        return got

    tasks = [asyncio.create_task(listen(c)) for c in conns]
    for i in range(a.messages):
        await conns[0].send(f"tick {i}")
        await asyncio.sleep(1 / a.rate)
    results = await asyncio.gather(*tasks)
    want = [f"tick {i}" for i in range(a.messages)]
    extra = 0
    for c in conns:
        try:
            await asyncio.wait_for(c.recv(), 0.3)
            extra += 1
        except asyncio.TimeoutError:
            pass
    for c in conns:
        await c.close()
    ok = sum(r == want for r in results)
    print(f"fanout: {ok} of {a.clients} received all {a.messages} once and in order, extra {extra}")
    return ok == a.clients and extra == 0


async def slow(a):
    """A member that never reads must be cut off while the readers get everything in order."""
    u = urlsplit(a.url)
    s = socket.create_connection((u.hostname, u.port or 80), timeout=30)
    # (no SO_RCVBUF change: the kernel default is what a real stalled client has)
    s.sendall(
        f"GET {u.path} HTTP/1.1\r\nHost: {u.netloc}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n".encode()
    )
    head = s.recv(4096)
    assert head.startswith(b"HTTP/1.1 101 "), head
    conns = [await websockets.connect(a.url, max_size=None, open_timeout=30) for _ in range(a.readers)]

    async def listen(c):
        n = 0
        while n < a.messages:
            m = await asyncio.wait_for(c.recv(), 30)
            assert m[:4] == n.to_bytes(4, "big"), (n, m[:4])
            n += 1
        return n

    tasks = [asyncio.create_task(listen(c)) for c in conns]
    t = time.monotonic()
    for i in range(a.messages):
        await conns[0].send(i.to_bytes(4, "big") + os.urandom(a.size - 4))
    results = await asyncio.gather(*tasks)
    took = time.monotonic() - t
    for c in conns:
        await c.close()
    # Drain the slow member: it must end (EOF or reset) before it got everything.
    s.settimeout(30)
    total = len(head)
    try:
        while True:
            b = s.recv(65536)
            if not b:
                break
            total += len(b)
    except (ConnectionResetError, socket.timeout, OSError):
        pass
    dropped = total < a.messages * a.size
    print(f"slow: readers got {results} in {took:.1f} s; the non-reading member "
          f"{'was dropped after' if dropped else 'was NOT dropped, got'} {total} bytes")
    return all(r == a.messages for r in results) and dropped


def cycles(a):
    host, port = a.addr.rsplit(":", 1)
    ok = 0
    t = time.monotonic()
    for _ in range(a.n):
        s = socket.create_connection((host, int(port)), timeout=10)
        s.sendall(f"GET {a.path} HTTP/1.1\r\nHost: {a.addr}\r\nConnection: close\r\n\r\n".encode())
        data = b""
        while True:
            b = s.recv(65536)
            if not b:
                break
            data += b
        s.close()
        ok += data.startswith(b"HTTP/1.1 200 ")
    print(f"cycles: {ok} of {a.n} answered 200 in {time.monotonic() - t:.1f} s")
    return ok == a.n


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)
    f = sub.add_parser("fanout"); f.add_argument("url"); f.add_argument("--clients", type=int, default=10)
    f.add_argument("--messages", type=int, default=40); f.add_argument("--rate", type=float, default=20)
    s = sub.add_parser("slow"); s.add_argument("url"); s.add_argument("--readers", type=int, default=3)
    s.add_argument("--messages", type=int, default=1500); s.add_argument("--size", type=int, default=4096)
    c = sub.add_parser("cycles"); c.add_argument("addr"); c.add_argument("--n", type=int, default=1000)
    c.add_argument("--path", default="/hello")
    a = p.parse_args()
    if a.cmd == "fanout":
        ok = asyncio.run(fanout(a))
    elif a.cmd == "slow":
        ok = asyncio.run(slow(a))
    else:
        ok = cycles(a)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
