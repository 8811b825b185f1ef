"""Echo client with the `websockets` package, permessage-deflate on.

Usage: websockets_echo.py URI MESSAGES SEED. Sends MESSAGES text and binary messages
of random sizes 0..1 MiB (skewed small), some fragmented, with pings between them,
and checks every echo. Exits non-zero on any mismatch."""
import random
import sys

from websockets.sync.client import connect

uri, count, seed = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
rng = random.Random(seed)
MAX = 1 << 20
sent_bytes = 0
fragmented = 0
pings = 0
with connect(uri, compression="deflate", max_size=2 * MAX, open_timeout=10,
             close_timeout=10) as ws:
    names = [e.name for e in ws.protocol.extensions]
    assert "permessage-deflate" in names, names
    print("negotiated", names)
    for i in range(count):
        size = min(MAX, int(MAX * rng.random() ** 6))
        if rng.random() < 0.5:
            # Compressible text with some non-ASCII.
            words = ["viper", "échange", "数据", "🐍", "frame", "deflate"]
            # Joined once: repeated += on a non-ASCII str is quadratic.
            parts, n = [], 0
            while n < size:
                w = rng.choice(words) + " "
                parts.append(w)
                n += len(w)
            msg = "".join(parts)[:size]
        else:
            msg = rng.randbytes(size)
        if size > 16 and rng.random() < 0.2:
            cuts = sorted(rng.sample(range(1, size), min(3, size - 1)))
            parts = [msg[a:b] for a, b in zip([0] + cuts, cuts + [size])]
            ws.send(parts)
            fragmented += 1
        else:
            ws.send(msg)
        echo = ws.recv(timeout=30)
        if type(echo) is not type(msg) or echo != msg:
            at = next((k for k, (a, b) in enumerate(zip(echo, msg)) if a != b), None)
            raise SystemExit(f"message {i}: {type(msg).__name__} of {size}, echo "
                             f"{type(echo).__name__} of {len(echo)}, first difference at {at}, "
                             f"fragmented={size > 16 and 'parts' in dir()}")
        sent_bytes += size
        if i % 10 == 0:
            ws.ping(b"p%d" % i).wait(10)
            pings += 1
print(f"{count} messages echoed ({sent_bytes} bytes each way), {fragmented} fragmented, {pings} pings")
