#!/usr/bin/env bash
# End-to-end comparisons, pinned and interleaved (not part of CI).
#
# Each scenario runs a Viper server and a peer server doing the same work, both pinned to
# CPU 0 (`taskset -c 0`), and loads them from CPU 1 (`taskset -c 1`) in interleaved rounds
# (viper, peer, viper, peer, ...). Each round pair gives a ratio viper/peer; the median
# ratio is printed, with every round's figures.
#
#   scenario  load                                   viper                    peer
#   h1        wrk -t1 -c64 GET /hello                examples/hello            hyper 1.x, 1 thread
#   h2c       h2load -c16 -m10 -t1 GET /hello        examples/hello            nghttpd --no-tls -n 1
#   ws        ws-load: 50 conns, 64 B ping-pong      examples/hello /ws        tokio-tungstenite echo
#   json      wrk -t1 -c64 GET /api/sensors/1        examples/smart_home       axum, same route
#
#   bash benches/e2e/pinned.sh                 # every scenario, ROUNDS=5 x DURATION=5 s
#   SCENARIOS="h1 ws" ROUNDS=3 bash benches/e2e/pinned.sh
#
# The Viper servers run with one worker thread (`--threads 1`), as the peers do.
# Bounded: every load step runs under `timeout`; servers are stopped on exit.
set -euo pipefail
cd "$(dirname "$0")/../.."

ROUNDS=${ROUNDS:-5}
DURATION=${DURATION:-5}
SCENARIOS=${SCENARIOS:-"h1 h2c ws json"}
LIMIT=$((DURATION + 30))
T=target/release
VIPER_HELLO=${VIPER_HELLO:-"$T/examples/hello --threads 1 --addr"}
VIPER_SMART=${VIPER_SMART:-"$T/examples/smart_home --threads 1 --addr"}
for tool in wrk h2load nghttpd curl taskset; do
    command -v "$tool" >/dev/null ||
        { echo "$tool not installed (apt-get install wrk nghttp2-client nghttp2-server curl util-linux)"; exit 1; }
done
[ "$(nproc)" -ge 2 ] || { echo "needs 2 CPUs (server on 0, load on 1)"; exit 1; }

echo "== building (release)"
timeout 1800 cargo build --release -q -p viper-bench-e2e
timeout 1800 cargo build --release -q -p viper-examples --examples

TMP=$(mktemp -d)
PIDS=()
cleanup() {
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$TMP"
}
trap cleanup EXIT

start() { # name port command... ; the server is pinned to CPU 0
    local name=$1 port=$2
    shift 2
    taskset -c 0 "$@" >"$TMP/$name.log" 2>&1 &
    PIDS+=($!)
    for _ in $(seq 1 200); do
        if (exec 3<>/dev/tcp/127.0.0.1/"$port") 2>/dev/null; then return 0; fi
        sleep 0.05
    done
    echo "$name did not come up on port $port:"; cat "$TMP/$name.log"; exit 1
}

wrk_rps() { # url
    local out
    out=$(timeout "$LIMIT" taskset -c 1 wrk -t1 -c64 -d"${DURATION}s" "$1")
    if grep -qE 'Non-2xx|Socket errors' <<<"$out"; then echo "wrk errors on $1 (a failed request voids the run): $out" >&2; return 1; fi
    awk '/^Requests\/sec:/ {print $2}' <<<"$out"
}
h2load_rps() { # url
    local out failed
    out=$(timeout "$LIMIT" taskset -c 1 h2load -c16 -m10 -t1 -D"$DURATION" "$1")
    failed=$(awk '/^requests:/ {for (i = 1; i <= NF; i++) if ($(i+1) ~ /failed/) print $i}' <<<"$out")
    [ "${failed:-0}" = 0 ] || { echo "h2load: $failed failed requests on $1 (voids the run)" >&2; return 1; }
    awk '/^finished in/ {gsub(",", "", $4); print $4}' <<<"$out"
}
ws_rps() { # url
    timeout "$LIMIT" taskset -c 1 "$T/ws-load" "$1" 50 64 "$DURATION" | grep -oE '[0-9.]+ msg/s' | cut -d' ' -f1
}

median() { sort -g | awk '{a[NR] = $1} END { if (NR % 2) print a[(NR + 1) / 2]; else printf "%.3f\n", (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }

compare() { # scenario peer-name measure viper-url peer-url
    local sc=$1 peer=$2 fn=$3 vu=$4 pu=$5 ratios=() v p r
    echo "== $sc: viper vs $peer, $ROUNDS interleaved rounds of ${DURATION}s"
    for i in $(seq 1 "$ROUNDS"); do
        v=$($fn "$vu") || exit 1
        p=$($fn "$pu") || exit 1
        [ -n "$v" ] && [ -n "$p" ] || { echo "no figure in round $i (viper '$v', $peer '$p')"; exit 1; }
        r=$(awk -v a="$v" -v b="$p" 'BEGIN { printf "%.3f", a / b }')
        ratios+=("$r")
        printf '   round %d: viper %10.0f   %-18s %10.0f   ratio %s\n' "$i" "$v" "$peer" "$p" "$r"
    done
    local m
    m=$(printf '%s\n' "${ratios[@]}" | median)
    echo "$sc: median viper/$peer = ${m}x" | tee -a "$TMP/summary"
}

for sc in $SCENARIOS; do
    case $sc in
    h1)
        # shellcheck disable=SC2086
        start viper-hello 18090 $VIPER_HELLO 127.0.0.1:18090
        start hyper 18091 "$T/hyper-hello" 127.0.0.1:18091 1
        compare h1 hyper-1thread wrk_rps http://127.0.0.1:18090/hello http://127.0.0.1:18091/hello
        ;;
    h2c)
        mkdir -p "$TMP/docroot"
        printf 'Hello, world!' >"$TMP/docroot/hello"
        # shellcheck disable=SC2086
        start viper-hello2 18092 $VIPER_HELLO 127.0.0.1:18092
        start nghttpd 18093 nghttpd --no-tls -n 1 -d "$TMP/docroot" 18093
        compare h2c nghttpd h2load_rps http://127.0.0.1:18092/hello http://127.0.0.1:18093/hello
        ;;
    ws)
        # shellcheck disable=SC2086
        start viper-hello3 18094 $VIPER_HELLO 127.0.0.1:18094
        start tt-echo 18095 "$T/tt-echo" 127.0.0.1:18095
        compare ws tokio-tungstenite ws_rps ws://127.0.0.1:18094/ws ws://127.0.0.1:18095/ws
        ;;
    json)
        # shellcheck disable=SC2086
        start viper-smart 18096 $VIPER_SMART 127.0.0.1:18096
        start axum 18097 "$T/axum-sensors" 127.0.0.1:18097
        compare json axum wrk_rps http://127.0.0.1:18096/api/sensors/1 http://127.0.0.1:18097/api/sensors/1
        ;;
    *) echo "unknown scenario $sc"; exit 1 ;;
    esac
done
echo
echo "machine: $(nproc) CPUs, server on CPU 0, load on CPU 1; $(uname -sr)"
cat "$TMP/summary"
