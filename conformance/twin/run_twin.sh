#!/usr/bin/env bash
# Start the FastAPI twin on a loopback port and keep it in the foreground (Ctrl-C stops it).
#
#   conformance/twin/run_twin.sh [PORT]     # PORT defaults to a free one
#
# The twin comes from $VIPER_SHARED/specs/smart-home (default: <repo>/../shared) and runs
# with $VIPER_PYTHON (default: the repo's .venv/bin/python, fastapi/uvicorn at the twin's
# pins) as `python -m uvicorn app_fastapi:app --app-dir ... --port P`. Prints the base URL once the
# twin answers /api/health, so another shell can run
#   .venv/bin/python conformance/twin/compare.py --a http://127.0.0.1:PORT --b ...
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
shared="${VIPER_SHARED:-$repo/../shared}"
app_dir="$shared/specs/smart-home"
py="${VIPER_PYTHON:-$repo/.venv/bin/python}"
[ -f "$app_dir/app_fastapi.py" ] || { echo "no twin at $app_dir (set VIPER_SHARED)" >&2; exit 2; }
"$py" -c "import uvicorn, fastapi" 2>/dev/null || { echo "$py lacks uvicorn/fastapi (the twin's requirements)" >&2; exit 2; }
port="${1:-$("$py" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')}"
"$py" -m uvicorn app_fastapi:app --app-dir "$app_dir" --host 127.0.0.1 --port "$port" \
  --log-level warning &
pid=$!
trap 'kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null' EXIT INT TERM
for _ in $(seq 1 300); do
  if "$py" - "$port" <<'PY' 2>/dev/null; then
import sys, httpx
r = httpx.get(f"http://127.0.0.1:{sys.argv[1]}/api/health", headers={"Host": "localhost"}, timeout=1)
sys.exit(0 if r.status_code == 200 else 1)
PY
    echo "twin ready at http://127.0.0.1:$port (pid $pid)"
    wait "$pid"
    exit $?
  fi
  kill -0 "$pid" 2>/dev/null || { echo "twin exited" >&2; exit 1; }
  sleep 0.1
done
echo "twin not ready after 30 s" >&2
exit 1
