#!/usr/bin/env bash
# Instructions executed per lookup, viper-router vs matchit, counted by callgrind (only
# inside the `measured_*` functions), on the GitHub API fixture. Repeatable on a noisy
# machine: instructions, not time. Prints one line per case with both counts and the ratio.
#
#   bash benches/router/instructions.sh [rounds]     # default 100 rounds
set -euo pipefail
cd "$(dirname "$0")/../.."
rounds="${1:-100}"
command -v valgrind >/dev/null || { echo "valgrind is needed: apt-get install valgrind" >&2; exit 1; }
cargo build -q --release -p viper-bench-router --example instructions
bin="${CARGO_TARGET_DIR:-target}/release/examples/instructions"
count() { # who set -> instructions per lookup
    local out lookups total
    out=$(valgrind --tool=callgrind --callgrind-out-file=/dev/null \
        --toggle-collect='*measured_*' "$bin" "$1" "$2" "$rounds" 2>&1)
    lookups=$(grep -oE '[0-9]+ lookups' <<<"$out" | grep -oE '^[0-9]+')
    total=$(grep -oE 'Collected : [0-9]+' <<<"$out" | grep -oE '[0-9]+$')
    echo $((total / lookups))
}
printf '%-6s %14s %14s %16s\n' case viper-router matchit matchit/viper
for set in all miss deep; do
    v=$(count viper "$set")
    m=$(count matchit "$set")
    awk -v s="$set" -v v="$v" -v m="$m" 'BEGIN { printf "%-6s %14d %14d %15.2fx\n", s, v, m, m / v }'
done
