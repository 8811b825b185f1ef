#!/usr/bin/env bash
# viper-hpack against the hpack-test-case corpus: decode every encoder's stories and
# re-encode raw-data at several table sizes. Corpus lives beside the repo in CI.
set -euo pipefail
corpus="${HPACK_TEST_CASE:-${VIPER_SHARED:-../shared}/data/hpack-test-case}"
if [ ! -d "$corpus" ]; then
    echo "hpack-test-case corpus not found at $corpus" >&2
    exit 1
fi
cargo run -q -p viper-conformance-hpack -- "$corpus"
