#!/usr/bin/env bash
# Smoke test of the README's first command: the viper-h1 blocking example server
# answers keep-alive, pipelined and chunked-echo requests. Takes a few seconds.
set -euo pipefail
cargo build -q -p viper-examples --example h1_blocking_server
port=18480
PORT=$port "${CARGO_TARGET_DIR:-target}/debug/examples/h1_blocking_server" &
pid=$!
trap 'kill $pid 2>/dev/null || true' EXIT
for _ in $(seq 100); do
    curl -s -o /dev/null --max-time 1 "http://127.0.0.1:$port/" && break
    sleep 0.1
done
base="http://127.0.0.1:$port"
out=$(curl -sS --max-time 5 "$base/a" "$base/b")
[ "$out" = $'hello /a\nhello /b' ] || { echo "keep-alive: unexpected '$out'"; exit 1; }
out=$(printf 'chunked-body' | curl -sS --max-time 5 -H 'Transfer-Encoding: chunked' --data-binary @- "$base/echo")
[ "$out" = "chunked-body" ] || { echo "chunked echo: unexpected '$out'"; exit 1; }
python3 - "$port" <<'PY'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5)
s.sendall(b"GET /1 HTTP/1.1\r\nHost: x\r\n\r\nGET /2 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
data = b""
while True:
    chunk = s.recv(4096)
    if not chunk:
        break
    data += chunk
assert data.count(b"HTTP/1.1 200 OK") == 2 and data.index(b"hello /1") < data.index(b"hello /2"), data
PY
echo "h1 example: keep-alive, chunked echo and pipelining OK"
