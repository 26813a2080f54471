#!/usr/bin/env bash
# README command 1: the main job on a local devnet, end to end (pod-e2e).
#   set-up if missing → build → four validators on loopback (Aura + GRANDPA)
#   → origin, reporter and three edges → content and edges registered on chain
#   → clients download a few hundred MiB through the edges (progress bars),
#     then a browser (Chromium on the publisher's demo page) downloads it too
#   → windows close; edges claim, the reporter confirms, edges submit the
#     two-signed attestations; pod-e2e waits until they are finalized
#   → each edge's credits, the operator's fee, the customer's escrow and usage
#     are read from the chain and checked to balance exactly against the
#     bytes the clients received.
# Everything it starts is stopped at the end; logs stay in the folder it names.
#   DEMO_MIB (default 256), DEMO_CLIENTS (default 3), DEMO_FAULTS=1 to add the
#   fault cases of the end-to-end test, DEMO_DIR for the logs.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lib.sh
. "$here/lib.sh"
cd "$here/.."

echo "== building (first run on a fresh machine: about an hour on 2 cores)"
cargo build --locked --workspace --all-targets
echo "== the browser SDK and its driver (a browser downloads too; DEMO_BROWSER=0 skips it)"
if [ "${DEMO_BROWSER:-1}" = 1 ]; then
  pod_web_pkg
  (cd web/test && { [ -d node_modules/playwright-core ] || npm ci --no-audit --no-fund; })
fi
args=(--mib "${DEMO_MIB:-256}" --clients "${DEMO_CLIENTS:-3}"
  --rpc-base "${RPC_BASE:-9944}" --p2p-base "${BASE_PORT:-30333}" --offchain-base "${OFFCHAIN_BASE:-8600}")
[ "${DEMO_FAULTS:-0}" = 1 ] && args+=(--faults)
[ "${DEMO_BROWSER:-1}" = 1 ] && args+=(--browser)
[ -n "${DEMO_DIR:-}" ] && args+=(--dir "$DEMO_DIR")
exec "$CARGO_TARGET_DIR/debug/pod-e2e" "${args[@]}"
