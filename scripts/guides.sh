#!/usr/bin/env bash
# Runs the guides as a new user would: every ```sh block of
# docs/guides/validator.md, operator.md and customer.md, in that order, in one
# shell (what one block exports, the next uses), in a fresh directory, with the
# workspace's binaries on PATH as an install would put them. Blocks opened with
# ```sh later run after every other block (an operator looks at its earnings
# once customers' viewers have downloaded). Every process a guide starts is
# stopped at the end.
#
#   scripts/guides.sh [GUIDE…]     (default: validator operator customer)
#
# Env: POD_BIN (binaries; default the debug build), GUIDES_PORT_BASE (29900):
# the guides' ports are moved there so they never meet a running network.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lib.sh
. "$here/lib.sh"
root=$(cd "$here/.." && pwd)
guides=("$@")
[ ${#guides[@]} -gt 0 ] || guides=(validator operator customer)

bin=${POD_BIN:-$CARGO_TARGET_DIR/debug}
for b in pod-node pod-reporter pod-edge pod pod-origin; do
  [ -x "$bin/$b" ] || { echo "guides: $bin/$b is missing: build the workspace first" >&2; exit 1; }
done
work=$(mktemp -d /tmp/pod-guides.XXXXXX)
pod_dashboard_build
base=${GUIDES_PORT_BASE:-29900}

# ```sh blocks of a guide; $1: "now" (plain blocks) or "later".
blocks() {
  awk -v want="$2" '
    /^```sh( later)?$/ { on = ($0 ~ / later$/) ? (want == "later") : (want == "now"); next }
    /^```/ { on = 0; next }
    on { print }' "$root/docs/guides/$1.md"
}

script=$work/guides-run.sh
{
  echo 'set -euo pipefail'
  for g in "${guides[@]}"; do echo "echo '### $g guide'"; blocks "$g" now; done
  for g in "${guides[@]}"; do echo "echo '### $g guide, later steps'"; blocks "$g" later; done
  echo "echo '### every guide ran'"
} > "$script"

echo "guides: running ${guides[*]} in $work (script: $script)"
export PATH="$bin:$PATH" POD_HOME=$work/home POD_DASHBOARD=$root/web/dashboard
export V1_P2P=$base V2_P2P=$((base + 1)) V1_RPC=$((base + 2)) V2_RPC=$((base + 3))
export REPORTER_PORT=$((base + 10)) REPORTER_ADMIN=$((base + 11))
export EDGE_PORT=$((base + 20)) EDGE_ADMIN=$((base + 21)) ORIGIN_PORT=$((base + 30))
for port in $V1_P2P $V2_P2P $V1_RPC $V2_RPC $REPORTER_PORT $REPORTER_ADMIN $EDGE_PORT $EDGE_ADMIN $ORIGIN_PORT; do
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
    echo "guides: port $port is taken (another run?); set GUIDES_PORT_BASE" >&2
    exit 1
  fi
done
# No inherited secrets or endpoints: the guides say where everything is.
unset POD_ACCOUNT POD_ACCOUNT_FILE POD_EDGE_SEED POD_CHAIN POD_REPORTER RUST_LOG

# Its own process group, so that whatever the guides start in the
# background stops with it.
status=0
setsid bash -x "$script" > "$work/guides.log" 2>&1 &
pid=$!
cleanup() { kill -TERM -- "-$pid" 2>/dev/null || true; sleep 1; kill -KILL -- "-$pid" 2>/dev/null || true; }
trap cleanup EXIT INT TERM
timeout_s=${GUIDES_TIMEOUT:-900}
( sleep "$timeout_s"; echo "guides: no end after $timeout_s s" >> "$work/guides.log"; kill -TERM -- "-$pid" 2>/dev/null ) &
watchdog=$!
wait "$pid" || status=$?
kill "$watchdog" 2>/dev/null || true
grep -v '^+' "$work/guides.log" | tail -n 80
if [ "$status" != 0 ]; then
  echo "guides: FAILED (exit $status); the whole run with every command: $work/guides.log" >&2
  tail -n 30 "$work/guides.log" >&2
  exit 1
fi
echo "guides: every command of ${guides[*]} ran (log: $work/guides.log)"

# The network the guides made is still up: the dashboard, in Chromium, on
# the edge's admin plane, must show it as the guides left it.
if [ "${guides[*]}" = "validator operator customer" ]; then
  h=$POD_HOME
  url="http://127.0.0.1:$EDGE_ADMIN/dashboard/?chain=ws://127.0.0.1:$V1_RPC"
  url+="&reporter=http://127.0.0.1:$REPORTER_PORT&customer=$(cat "$h/customer.address")"
  expect=$(printf '{"validators":2,"edges":1,"region":"guide-west","edge":"%s","customer_bytes":3000000}' "$(cat "$h/edge.public")")
  (cd "$root/web/test" && { [ -d node_modules/playwright-core ] || npm ci --no-audit --no-fund; })
  # GUIDES_HOLD=SECS keeps the network up that long first (to look at it).
  [ -z "${GUIDES_HOLD:-}" ] || { echo "guides: holding the network for ${GUIDES_HOLD}s: $url"; sleep "$GUIDES_HOLD"; }
  echo "guides: the dashboard in Chromium: $url"
  node "$root/web/test/dashboard.mjs" "$url" "$root/docs" "$expect"
  echo "guides: dashboard checked; screenshots docs/dashboard-{network,operator,customer}.png"
fi
