#!/usr/bin/env bash
# Smoke test of the README's first command: the demo server (viper-tokio) answers its JSON
# API over h1 and h2c, streams SSE readings and broadcasts WebSocket chat. Seconds.
set -euo pipefail
cargo build -q -p viper-examples --example demo
port=18481
base="http://127.0.0.1:$port"
log=$(mktemp)
VIPER_ADDR="127.0.0.1:$port" "${CARGO_TARGET_DIR:-target}/debug/examples/demo" >"$log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true; rm -f "$log"' EXIT
for _ in $(seq 100); do
    curl -s -o /dev/null --max-time 1 "$base/hello" && break
    sleep 0.1
done
grep -q "http://127.0.0.1:$port" "$log" || { echo "demo did not print its URL:"; cat "$log"; exit 1; }
check() { [ "$2" = "$3" ] || { echo "$1: expected '$3', got '$2'"; exit 1; }; }
check "h1 hello" "$(curl -sS --max-time 5 "$base/hello")" "Hello, world!"
check "h2c item" "$(curl -sS --max-time 5 --http2-prior-knowledge -w '|%{http_version}' "$base/api/items/7")" \
    '{"id":7,"name":"item-7"}|2'
check "sum" "$(curl -sS --max-time 5 "$base/api/sum/1.5/2")" '{"a":1.5,"b":2.0,"sum":3.5}'
check "bad int" "$(curl -sS --max-time 5 -o /dev/null -w '%{http_code}' "$base/api/items/x")" "404"
sse=$(curl -sS -N --max-time 5 -H 'Last-Event-ID: 4' "$base/events?count=2&interval_ms=10")
check "sse ids" "$(grep '^id:' <<<"$sse" | tr '\n' ' ')" "id: 5 id: 6 "
"${VIPER_PYTHON:-.venv/bin/python}" - "$port" <<'PY'
import asyncio, sys
import websockets
async def main():
    url = f"ws://127.0.0.1:{sys.argv[1]}/ws/chat"
    async with websockets.connect(url, open_timeout=5) as a, websockets.connect(url, open_timeout=5) as b:
        await a.send("hi from a")
        async def until(ws, text):
            while True:
                m = await asyncio.wait_for(ws.recv(), 5)
                if m.endswith(text):
                    return m
        await until(a, ": hi from a")
        await until(b, ": hi from a")
asyncio.run(main())
PY
curl -sS --max-time 5 "$base/debug/stats" | "${VIPER_PYTHON:-.venv/bin/python}" -c 'import json,sys; s=json.load(sys.stdin); assert isinstance(s, dict) and s, s'
echo "demo: h1, h2c, typed params, SSE resume, WebSocket broadcast and stats OK"
