#!/usr/bin/env bash
# The ESP32-C3 firmware (its own workspace, Cargo.lock committed) must build with the
# stable toolchain for riscv32imc-unknown-none-elf; then its section sizes are printed.
set -euo pipefail
rustup target list --installed | grep -q riscv32imc-unknown-none-elf ||
    rustup target add riscv32imc-unknown-none-elf
cd examples/esp32c3
cargo build --release --locked
size -A target/riscv32imc-unknown-none-elf/release/viper-esp32c3 |
    grep -E '^\.(text|rodata|data|bss|stack|rwtext)'
