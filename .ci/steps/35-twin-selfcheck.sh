#!/usr/bin/env bash
# The FastAPI twin differential harness checks itself: its comparer against fabricated
# answer pairs with known verdicts, then two fresh twins compared case by case (all
# identical). Seconds.
set -euo pipefail
bash conformance/twin/selfcheck.sh
