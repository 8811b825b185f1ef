#!/usr/bin/env bash
# h2spec against viper-h2.
#
# Builds viper-h2's test server (crates/viper-h2/examples/h2_test_server.rs), starts it
# on 127.0.0.1 (a free port), runs the h2spec binary named by $H2SPEC against it with
# prior-knowledge HTTP/2 (no TLS), prints a pass/fail table per RFC section and every
# failed case, and exits non-zero when any case failed or errored.
#
#   H2SPEC=/path/to/h2spec bash conformance/h2spec.sh            # every section
#   H2SPEC=/path/to/h2spec bash conformance/h2spec.sh http2/6.9  # some sections
#
# h2spec is not available from the package registries this project uses, so it is
# optional: without $H2SPEC the run is skipped (exit 0). Not part of CI.
#
# Environment: H2SPEC (required to run), H2SPEC_CASE_TIMEOUT (seconds per case,
# default 3), H2SPEC_TIMEOUT (seconds for the whole run, default 900),
# H2SPEC_STRICT=1 (also run h2spec's "strict" cases).
set -uo pipefail

if [[ -z "${H2SPEC:-}" ]]; then
    echo "SKIPPED: h2spec not installed (H2SPEC is not set). h2spec is not in this" \
        "project's package registries; set H2SPEC to an h2spec binary to run it."
    exit 0
fi
h2spec_bin=$(command -v -- "$H2SPEC" || true)
if [[ -z "$h2spec_bin" || ! -x "$h2spec_bin" ]]; then
    echo "error: H2SPEC=$H2SPEC is not an executable" >&2
    exit 2
fi

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root" || exit 2

echo "building the viper-h2 test server..."
if ! cargo build -q -p viper-h2 --example h2_test_server; then
    echo "error: build failed" >&2
    exit 2
fi
target_dir=${CARGO_TARGET_DIR:-$root/target}
server="$target_dir/debug/examples/h2_test_server"

tmp=$(mktemp -d)
server_pid=""
cleanup() {
    if [[ -n "$server_pid" ]]; then
        kill "$server_pid" 2>/dev/null
        wait "$server_pid" 2>/dev/null
    fi
    rm -rf "$tmp"
}
trap cleanup EXIT

"$server" 127.0.0.1:0 2>"$tmp/server.log" &
server_pid=$!
port=""
for _ in $(seq 1 100); do
    port=$(sed -n 's/^viper-h2 test server on 127\.0\.0\.1:\([0-9]*\)$/\1/p' "$tmp/server.log")
    [[ -n "$port" ]] && break
    if ! kill -0 "$server_pid" 2>/dev/null; then
        break
    fi
    sleep 0.1
done
if [[ -z "$port" ]]; then
    echo "error: the test server did not start:" >&2
    cat "$tmp/server.log" >&2
    exit 2
fi
echo "test server on 127.0.0.1:$port; running $h2spec_bin"

args=(-h 127.0.0.1 -p "$port" -o "${H2SPEC_CASE_TIMEOUT:-3}" -j "$tmp/report.xml")
if [[ "${H2SPEC_STRICT:-0}" == 1 ]]; then
    args+=(-S)
fi
timeout "${H2SPEC_TIMEOUT:-900}" "$h2spec_bin" "${args[@]}" "$@" >"$tmp/h2spec.out" 2>&1
rc=$?
if [[ $rc == 124 ]]; then
    echo "error: h2spec did not finish within ${H2SPEC_TIMEOUT:-900} s" >&2
fi

if [[ ! -s "$tmp/report.xml" ]]; then
    # No JUnit report (an h2spec without -j, or it failed to start): show its output.
    cat "$tmp/h2spec.out"
    echo "h2spec exit status $rc (no JUnit report to tabulate)"
    [[ $rc == 0 ]] && exit 0 || exit 1
fi

# The table: one row per section, from h2spec's JUnit report.
python3 - "$tmp/report.xml" <<'PY'
import sys
import xml.etree.ElementTree as ET

root = ET.parse(sys.argv[1]).getroot()
rows, failed = [], []
tot = [0, 0, 0, 0]
for s in root.iter("testsuite"):
    n = int(s.get("tests", 0))
    if n == 0:
        continue
    sk, fa, er = (int(s.get(k, 0)) for k in ("skipped", "failures", "errors"))
    ok = n - sk - fa - er
    rows.append((s.get("package", ""), s.get("name", ""), ok, fa + er, sk))
    for i, v in enumerate((n, ok, fa + er, sk)):
        tot[i] += v
    for c in s.iter("testcase"):
        for tag in ("failure", "error"):
            e = c.find(tag)
            if e is not None:
                detail = " ".join((e.text or "").split())
                failed.append((s.get("package", ""), c.get("classname", ""), detail))
w = max([len(r[0]) for r in rows] + [7])
print(f"{'section':<{w}}  {'pass':>4}  {'fail':>4}  {'skip':>4}  name")
for pkg, name, ok, fa, sk in rows:
    mark = "" if fa == 0 else "  <-- FAILED"
    print(f"{pkg:<{w}}  {ok:>4}  {fa:>4}  {sk:>4}  {name}{mark}")
print(f"{'total':<{w}}  {tot[1]:>4}  {tot[2]:>4}  {tot[3]:>4}  ({tot[0]} cases)")
for pkg, desc, detail in failed:
    print(f"FAILED {pkg}: {desc}\n       {detail}")
sys.exit(1 if tot[2] else 0)
PY
table_rc=$?
# h2spec's own closing line ("N tests, N passed, N skipped, N failed").
grep -E '^[0-9]+ tests, ' "$tmp/h2spec.out" || true
if [[ $rc != 0 || $table_rc != 0 ]]; then
    echo "h2spec: FAILED (exit status $rc)"
    exit 1
fi
echo "h2spec: all cases passed"
