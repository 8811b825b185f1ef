#!/usr/bin/env bash
# Runs every no_std crate's test vectors bare-metal on riscv32imc under QEMU (`virt`
# machine, semihosting): conformance/qemu. Prints "N passed, M failed" per group and in
# total; exits non-zero on any failure.
#
# Then proves the runner can fail: a build with VIPER_QEMU_PLANT=1 corrupts one expected
# answer per group, and that run must report exactly that many failures.
#
# Installs qemu-system-misc (as root) and the riscv32imc target when missing.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
export VIPER_SHARED="${VIPER_SHARED:-$root/../shared}"
say() { echo "== qemu-tests: $*"; }

if ! command -v qemu-system-riscv32 >/dev/null; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        say "installing qemu-system-misc"
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends qemu-system-misc >/dev/null ||
            { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends qemu-system-misc >/dev/null; }
    else
        say "qemu-system-riscv32 is missing; install it with:  sudo apt-get install qemu-system-misc"
        exit 1
    fi
fi
rustup target list --installed 2>/dev/null | grep -q riscv32imc-unknown-none-elf ||
    rustup target add riscv32imc-unknown-none-elf

cd "$root/conformance/qemu"
# Its own target dir, so the planted build does not evict the real one.
export CARGO_TARGET_DIR="$root/target/qemu"
say "building and running the vectors"
VIPER_QEMU_PLANT=0 cargo build --release --quiet
out=$(VIPER_QEMU_PLANT=0 timeout 600 cargo run --release --quiet 2>&1) && rc=0 || rc=$?
echo "$out"
if [ $rc -ne 0 ]; then
    say "FAILED (exit $rc)"
    exit 1
fi

say "self-check: a build with one planted wrong answer per group must fail"
export CARGO_TARGET_DIR="$root/target/qemu-planted"
VIPER_QEMU_PLANT=1 cargo build --release --quiet
planted=$(VIPER_QEMU_PLANT=1 timeout 600 cargo run --release --quiet 2>&1) && prc=0 || prc=$?
groups=$(echo "$out" | grep -c ' passed, ' || true)
groups=$((groups - 1))
if [ $prc -ne 1 ] || ! echo "$planted" | grep -q "riscv32imc: .* passed, $groups failed"; then
    echo "$planted" | tail -12
    say "the planted run did not report $groups failures (exit $prc): the runner cannot be trusted"
    exit 1
fi
say "planted run failed as it must: $(echo "$planted" | grep 'riscv32imc:')"
