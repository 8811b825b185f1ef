#!/usr/bin/env bash
# End-to-end benchmark (not part of CI): the demo's /hello route on viper-tokio against
# a hyper 1.x hello server, both release builds, in the same run:
#   wrk    HTTP/1.1 keep-alive      (WRK_CONNS connections, 1 wrk thread)
#   h2load HTTP/2 prior knowledge   (H2_CLIENTS connections x H2_STREAMS streams each)
# Prints requests/s, p99 latency and the viper/hyper ratios.
#
#   bash benches/e2e/run.sh              # 10 s per tool and server
#   DURATION=5 bash benches/e2e/run.sh
#
# Bounded: every step runs under `timeout`; the servers are stopped on exit.
set -euo pipefail
cd "$(dirname "$0")/../.."

DURATION=${DURATION:-10}
WRK_CONNS=${WRK_CONNS:-64}
H2_CLIENTS=${H2_CLIENTS:-16}
H2_STREAMS=${H2_STREAMS:-100}
VIPER_ADDR=${VIPER_BENCH_ADDR:-127.0.0.1:18080}
HYPER_ADDR=${HYPER_BENCH_ADDR:-127.0.0.1:18081}
LIMIT=$((DURATION + 30))

for tool in wrk h2load curl; do
    command -v "$tool" >/dev/null || { echo "$tool not installed (apt-get install wrk nghttp2-client curl)"; exit 1; }
done

echo "== building (release): demo example and hyper-hello"
timeout 1800 cargo build --release -q -p viper-examples --example demo
timeout 1800 cargo build --release -q -p viper-bench-e2e --bin hyper-hello

TMP=$(mktemp -d)
PIDS=()
cleanup() {
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$TMP"
}
trap cleanup EXIT

VIPER_ADDR="$VIPER_ADDR" target/release/examples/demo >"$TMP/viper.log" 2>&1 &
PIDS+=($!)
target/release/hyper-hello "$HYPER_ADDR" >"$TMP/hyper.log" 2>&1 &
PIDS+=($!)

for addr in "$VIPER_ADDR" "$HYPER_ADDR"; do
    ok=""
    for _ in $(seq 1 100); do
        if curl -sf --max-time 1 "http://$addr/hello" >/dev/null; then ok=1; break; fi
        sleep 0.1
    done
    [ -n "$ok" ] || { echo "server on $addr did not come up"; cat "$TMP"/*.log; exit 1; }
    [ "$(curl -s "http://$addr/hello")" = "Hello, world!" ] || { echo "unexpected body from $addr"; exit 1; }
    [ "$(curl -s --http2-prior-knowledge -o /dev/null -w '%{http_version}' "http://$addr/hello")" = 2 ] \
        || { echo "$addr does not speak h2c"; exit 1; }
done

# wrk latency figures come as 812.00us / 1.20ms / 1.01s: print milliseconds.
to_ms() {
    awk -v v="$1" 'BEGIN {
        n = v + 0
        if (v ~ /us$/) n = n / 1000; else if (v ~ /ms$/) n = n; else if (v ~ /s$/) n = n * 1000
        printf "%.2f", n }'
}

run_wrk() { # name addr -> "rps p99ms"
    local out
    out=$(timeout "$LIMIT" wrk -t1 -c"$WRK_CONNS" -d"${DURATION}s" --latency "http://$2/hello")
    echo "$out" >"$TMP/wrk-$1.txt"
    local rps p99 errs
    rps=$(echo "$out" | awk '/^Requests\/sec:/ {print $2}')
    p99=$(echo "$out" | awk '$1 == "99%" {print $2}')
    errs=$(echo "$out" | awk '/Non-2xx|Socket errors/ {print}')
    [ -z "$errs" ] || echo "   wrk $1: $errs" >&2
    echo "$rps $(to_ms "$p99")"
}

run_h2load() { # name addr -> "rps p99ms"
    local out log="$TMP/h2load-$1.log"
    out=$(timeout "$LIMIT" h2load -c"$H2_CLIENTS" -m"$H2_STREAMS" -t1 -D"$DURATION" \
        --log-file="$log" "http://$2/hello")
    echo "$out" >"$TMP/h2load-$1.txt"
    local rps p99 failed
    rps=$(echo "$out" | awk '/^finished in/ {gsub(",", "", $4); print $4}')
    failed=$(echo "$out" | awk '/^requests:/ {for (i = 1; i <= NF; i++) if ($(i+1) ~ /failed/) print $i}')
    [ "${failed:-0}" = 0 ] || echo "   h2load $1: $failed failed requests" >&2
    # The log has one line per request: start (us), status, duration (us).
    p99=$(awk '{print $3}' "$log" | sort -n | awk '{a[NR] = $1} END {
        if (NR == 0) { print "nan"; exit }
        i = int(NR * 0.99); if (i < 1) i = 1; printf "%.2f", a[i] / 1000 }')
    echo "$rps $p99"
}

echo "== wrk (HTTP/1.1 keep-alive, $WRK_CONNS connections, ${DURATION}s each)"
read -r v_h1_rps v_h1_p99 < <(run_wrk viper "$VIPER_ADDR")
read -r h_h1_rps h_h1_p99 < <(run_wrk hyper "$HYPER_ADDR")
echo "== h2load (h2c, $H2_CLIENTS connections x $H2_STREAMS streams, ${DURATION}s each)"
read -r v_h2_rps v_h2_p99 < <(run_h2load viper "$VIPER_ADDR")
read -r h_h2_rps h_h2_p99 < <(run_h2load hyper "$HYPER_ADDR")

for v in "$v_h1_rps" "$h_h1_rps" "$v_h2_rps" "$h_h2_rps"; do
    if [ -z "$v" ]; then
        echo "a load generator produced no figure; raw output:"
        cat "$TMP"/*.txt 2>/dev/null || true
        exit 1
    fi
done

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b + 0 == 0) print "n/a"; else printf "%.2f", a / b }'; }

echo
echo "machine: $(nproc) CPUs shared by client and servers; $(uname -sr)"
printf '%-22s %14s %14s %10s\n' "" "viper req/s" "hyper req/s" "ratio"
printf '%-22s %14s %14s %10s\n' "h1 (wrk)" "$v_h1_rps" "$h_h1_rps" "$(ratio "$v_h1_rps" "$h_h1_rps")"
printf '%-22s %14s %14s %10s\n' "h2c (h2load)" "$v_h2_rps" "$h_h2_rps" "$(ratio "$v_h2_rps" "$h_h2_rps")"
printf '%-22s %14s %14s %10s\n' "" "viper p99 ms" "hyper p99 ms" "ratio"
printf '%-22s %14s %14s %10s\n' "h1 (wrk)" "$v_h1_p99" "$h_h1_p99" "$(ratio "$v_h1_p99" "$h_h1_p99")"
printf '%-22s %14s %14s %10s\n' "h2c (h2load)" "$v_h2_p99" "$h_h2_p99" "$(ratio "$v_h2_p99" "$h_h2_p99")"
echo "(req/s ratio = viper / hyper, higher is better for viper; p99 ratio = viper / hyper, lower is better)"
