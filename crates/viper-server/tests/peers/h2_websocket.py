"""RFC 8441 client: extended CONNECT with :protocol websocket over h2c prior
knowledge, then WebSocket frames (masked, as a client must) on the stream.

Usage: h2_websocket.py PORT MESSAGES SEED. Prints one line per check; exits 1 on a
mismatch."""
import os
import random
import socket
import struct
import sys

import h2.config
import h2.connection
import h2.events
import h2.settings

port, count, seed = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
rng = random.Random(seed)
sock = socket.create_connection(("127.0.0.1", port), timeout=20)
conn = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True))
conn.initiate_connection()
sock.sendall(conn.data_to_send())

inbox = bytearray()
ended = set()
responses = {}
peer_settings = {}


def pump():
    data = sock.recv(65536)
    if not data:
        raise SystemExit("server closed the connection")
    for ev in conn.receive_data(data):
        if isinstance(ev, h2.events.RemoteSettingsChanged):
            for k, v in ev.changed_settings.items():
                peer_settings[int(k)] = v.new_value
        elif isinstance(ev, h2.events.ResponseReceived):
            responses[ev.stream_id] = dict(ev.headers)
        elif isinstance(ev, h2.events.DataReceived):
            conn.acknowledge_received_data(ev.flow_controlled_length, ev.stream_id)
            if ev.stream_id == 1:
                inbox.extend(ev.data)
        elif isinstance(ev, h2.events.StreamEnded):
            ended.add(ev.stream_id)
        elif isinstance(ev, h2.events.ConnectionTerminated):
            raise SystemExit(f"connection terminated: {ev}")
    out = conn.data_to_send()
    if out:
        sock.sendall(out)


while 8 not in peer_settings:
    pump()
assert peer_settings[8] == 1, peer_settings
print("SETTINGS_ENABLE_CONNECT_PROTOCOL = 1")

conn.send_headers(1, [
    (":method", "CONNECT"), (":protocol", "websocket"), (":scheme", "http"),
    (":path", "/ws"), (":authority", f"127.0.0.1:{port}"),
    ("sec-websocket-version", "13"),
])
sock.sendall(conn.data_to_send())
while 1 not in responses:
    pump()
status = responses[1][b":status"]
assert status == b"200", responses[1]
print("extended CONNECT answered 200")

# An ordinary request on another stream while the session is open.
conn.send_headers(3, [(":method", "GET"), (":scheme", "http"), (":path", "/x"),
                      (":authority", "h")], end_stream=True)
sock.sendall(conn.data_to_send())


def frame(op, payload, fin=True):
    key = os.urandom(4)
    head = bytes([(0x80 if fin else 0) | op])
    n = len(payload)
    if n < 126:
        head += bytes([0x80 | n])
    elif n < 65536:
        head += bytes([0x80 | 126]) + struct.pack("!H", n)
    else:
        head += bytes([0x80 | 127]) + struct.pack("!Q", n)
    return head + key + bytes(b ^ key[i % 4] for i, b in enumerate(payload))


def send(data):
    while data:
        room = min(conn.local_flow_control_window(1), conn.max_outbound_frame_size)
        if room <= 0:
            pump()
            continue
        conn.send_data(1, data[:room])
        sock.sendall(conn.data_to_send())
        data = data[room:]


def read_frame():
    while True:
        if len(inbox) >= 2:
            b0, b1 = inbox[0], inbox[1]
            n, off = b1 & 0x7F, 2
            if n == 126 and len(inbox) >= 4:
                n, off = struct.unpack("!H", inbox[2:4])[0], 4
            elif n == 127 and len(inbox) >= 10:
                n, off = struct.unpack("!Q", inbox[2:10])[0], 10
            if n < 126 or off > 2:
                assert b1 & 0x80 == 0, "server frames are unmasked"
                if len(inbox) >= off + n:
                    payload = bytes(inbox[off:off + n])
                    del inbox[:off + n]
                    return b0, payload
        pump()


pongs = 0
for i in range(count):
    size = rng.choice([0, 1, 125, 126, 1000, 65535, 65536, rng.randrange(0, 200_000)])
    text = rng.random() < 0.5
    if text:
        payload = "".join(rng.choice("aé€😀 z") for _ in range(size // 4)).encode()
    else:
        payload = rng.randbytes(size)
    op = 1 if text else 2
    if size > 10 and rng.random() < 0.3:
        cut = rng.randrange(1, size)
        if text:
            cut = len(payload[:cut].decode("utf-8", "ignore").encode())
        send(frame(op, payload[:cut], fin=False))
        send(frame(9, b"ping-%d" % i))  # a ping between the fragments
        send(frame(0, payload[cut:]))
        b0, p = read_frame()
        assert b0 == 0x8A and p == b"ping-%d" % i, (b0, p)
        pongs += 1
    else:
        send(frame(op, payload))
    b0, p = read_frame()
    assert b0 == 0x80 | op, (i, hex(b0))
    assert p == payload, (i, len(p), len(payload))
print(f"{count} messages echoed, {pongs} pings answered between fragments")

while 3 not in ended:
    pump()
assert responses[3][b":status"] == b"200"
print("stream 3 served alongside")

send(frame(8, struct.pack("!H", 1000)))
b0, p = read_frame()
assert b0 == 0x88 and p[:2] == struct.pack("!H", 1000), (b0, p)
while 1 not in ended:
    pump()
print("close handshake 1000, stream ended")
conn.close_connection()
sock.sendall(conn.data_to_send())
sock.close()
