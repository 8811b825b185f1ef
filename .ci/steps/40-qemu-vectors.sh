#!/usr/bin/env bash
# Every no_std crate's test vectors, bare-metal on riscv32imc under QEMU (semihosting),
# then the planted-failure self-check. About 40 s after the first build.
set -euo pipefail
bash scripts/qemu-tests.sh
