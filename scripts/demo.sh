#!/usr/bin/env bash
# README command 1: the main job on a local devnet, end to end.
#   set-up if missing → build → four validators on loopback (Aura + GRANDPA)
#   → origin, reporter and three edges → content and edges registered on chain
#   → clients download a few hundred MiB through the edges (progress bars)
#   → windows close; edges claim, the reporter confirms, edges submit the
#     two-signed attestations; the script waits until they are finalized
#   → each edge's credits, the operator's fee, the customer's escrow and usage
#     are read from the chain with @polkadot/api and checked to balance exactly
#     against the bytes the clients received.
# Everything it starts is stopped at the end; logs stay in the folder it names.
#   DEMO_MIB (default 256), DEMO_CLIENTS (default 3), DEMO_FAULTS=1 to add the
#   fault cases of the end-to-end test.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lib.sh
. "$here/lib.sh"
# shellcheck source=e2e-lib.sh
. "$here/e2e-lib.sh"
cd "$here/.."

echo "== building (first run on a fresh machine: about an hour on 2 cores)"
cargo build --workspace --all-targets && pod_save_lockfile
(cd scripts/polkadot-check && { [ -d node_modules/@polkadot/api ] || npm ci --no-audit --no-fund; })
dir=${DEMO_DIR:-$(mktemp -d /tmp/pod-demo.XXXXXX)}
mkdir -p "$dir"
echo "== logs in $dir"
export RPC_BASE=${RPC_BASE:-9944} BASE_PORT=${BASE_PORT:-30333} OFFCHAIN_BASE=${OFFCHAIN_BASE:-8600}
devnet_start "$CARGO_TARGET_DIR/debug/pod-node" "$dir"
trap 'e2e_stop; devnet_stop; echo "== everything stopped; logs kept in $dir"' EXIT
echo "== waiting for the 4 validators to finalize blocks"
wait_finalized "http://127.0.0.1:$RPC_BASE" 2 300 || { echo "no finality; see $dir"; exit 1; }
pod_e2e "$dir" "${DEMO_MIB:-256}" "${DEMO_CLIENTS:-3}" "${DEMO_FAULTS:-0}"
