#!/usr/bin/env bash
# Fuzzing in CI: build every cargo-fuzz target under fuzz/ and run each for a bounded time.
#
#   scripts/fuzz-ci.sh            # every target, FUZZ_SECONDS each (default: 30, lowered so
#                                 # the whole run stays under FUZZ_BUDGET=540 s)
#   FUZZ_ONLY=h1 scripts/fuzz-ci.sh   # the targets of fuzz/h1 only
#
# Corpora live in fuzz/<crate>/corpus/<target> (git-ignored) and are kept between runs on a
# machine that keeps its files. A crash, leak, timeout or OOM fails the script: the
# offending input is printed (hex and base64) with the command that reproduces it.
# Needs cargo-fuzz and a nightly toolchain; without nightly it uses the stable compiler
# with RUSTC_BOOTSTRAP=1 (the sanitizer flags cargo-fuzz passes are nightly-only flags).
set -uo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
say() { echo "== fuzz: $*"; }

if ! cargo fuzz --version >/dev/null 2>&1; then
    say "installing cargo-fuzz"
    cargo install cargo-fuzz --locked || exit 1
fi
tc=(+nightly)
if ! cargo +nightly --version >/dev/null 2>&1; then
    rustup toolchain install nightly --profile minimal >/dev/null 2>&1 || true
fi
if ! cargo +nightly --version >/dev/null 2>&1; then
    say "no nightly toolchain: using stable with RUSTC_BOOTSTRAP=1"
    tc=()
    export RUSTC_BOOTSTRAP=1
fi
# One target directory for every fuzz crate: shared dependencies build once.
export CARGO_TARGET_DIR="$root/target/fuzz"

dirs=()
for d in fuzz/*/; do
    d="${d%/}"
    [ -f "$d/Cargo.toml" ] || continue
    [ -n "${FUZZ_ONLY:-}" ] && [ "$(basename "$d")" != "$FUZZ_ONLY" ] && continue
    dirs+=("$d")
done
targets=()
for d in "${dirs[@]}"; do
    for t in $(cargo "${tc[@]}" fuzz list --fuzz-dir "$d"); do targets+=("$d:$t"); done
done
n=${#targets[@]}
[ "$n" -gt 0 ] || { say "no fuzz targets found"; exit 1; }
budget=${FUZZ_BUDGET:-540}
per=${FUZZ_SECONDS:-30}
if [ $((per * n)) -gt "$budget" ]; then per=$((budget / n)); fi
[ "$per" -ge 5 ] || per=5
say "$n targets in ${#dirs[@]} crates, ${per} s each"

failed=0
for d in "${dirs[@]}"; do
    say "build $d"
    blog="target/fuzz-build-$(basename "$d").log"
    if cargo "${tc[@]}" fuzz build --fuzz-dir "$d" >"$blog" 2>&1; then
        tail -1 "$blog"
    else
        tail -30 "$blog"
        say "BUILD FAILED: $d"
        failed=1
    fi
done
[ $failed -eq 0 ] || exit 1

for dt in "${targets[@]}"; do
    d="${dt%%:*}"
    t="${dt#*:}"
    mkdir -p "$d/corpus/$t" "$d/artifacts/$t"
    before=$(ls "$d/artifacts/$t" | wc -l)
    log="target/fuzz-$(basename "$d")-$t.log"
    cargo "${tc[@]}" fuzz run --fuzz-dir "$d" "$t" "$d/corpus/$t" -- \
        -max_total_time="$per" -rss_limit_mb=2048 -timeout=10 -print_final_stats=1 >"$log" 2>&1
    rc=$?
    runs=$(grep -oE 'stat::number_of_executed_units: *[0-9]+' "$log" | grep -oE '[0-9]+$' || true)
    cov=$(grep -oE 'cov: [0-9]+' "$log" | tail -1 || true)
    if [ $rc -ne 0 ] || [ "$(ls "$d/artifacts/$t" | wc -l)" -gt "$before" ]; then
        failed=1
        say "FAILURE in $d $t (exit $rc)"
        tail -40 "$log"
        for f in $(ls -t "$d/artifacts/$t" | head -3); do
            echo "-- input $d/artifacts/$t/$f ($(wc -c <"$d/artifacts/$t/$f") bytes)"
            echo "   hex:    $(head -c 4096 "$d/artifacts/$t/$f" | od -An -tx1 -v | tr -d ' \n')"
            echo "   base64: $(head -c 4096 "$d/artifacts/$t/$f" | base64 -w0)"
            echo "   reproduce: cargo +nightly fuzz run --fuzz-dir $d $t $d/artifacts/$t/$f"
        done
    else
        say "ok  $d $t: ${runs:-?} runs, ${cov:-cov ?}"
    fi
done
[ $failed -eq 0 ] && say "all $n targets ran ${per} s without a finding"
exit $failed
