#!/usr/bin/env bash
# Prints the crates below the adapters: each must build as #![no_std] + alloc for
# riscv32imc-unknown-none-elf. Adapters (viper-tokio, viper-esp-idf, …) are excluded.
cd "$(dirname "$0")/.."
for d in crates/viper crates/viper-*; do
    name=$(basename "$d")
    case "$name" in
        viper-tokio|viper-esp-idf|viper-embassy) ;;
        # a proc-macro crate runs on the host only
        viper-macros) ;;
        # std, test-only (dev-dependencies, never in a riscv build): the counting global
        # allocator of the state-size and no-allocation tests, and the tests' peer checks.
        viper-test-alloc|viper-test-support) ;;
        *) echo "$name" ;;
    esac
done
