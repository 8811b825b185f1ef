#!/usr/bin/env bash
# The harness's own check (for CI): the comparer's verdicts on fabricated pairs, then two
# fresh twins compared with every case — all must be identical. Exit code non-zero on any
# wrong verdict, difference or connection failure.
#
#   conformance/twin/selfcheck.sh          # uses $VIPER_PYTHON, default <repo>/.venv/bin/python
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
py="${VIPER_PYTHON:-$repo/.venv/bin/python}"
"$py" "$here/selftest.py" | grep -v "^ok "
"$py" "$here/compare.py" --a twin --b twin
