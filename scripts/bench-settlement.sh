#!/usr/bin/env bash
# Settlement throughput: a four-validator local devnet on loopback, BENCH_EDGES
# synthetic edges registered by Alice, then pod-settle-bench submits one
# two-signed attestation per edge for each of the last BENCH_WINDOWS closed
# windows, in 128-attestation batches, and reports attestations finalized per
# second next to the raw two-signature verification rate of one core.
#   BENCH_EDGES (default 2000), BENCH_WINDOWS (default 4)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lib.sh
. "$here/lib.sh"
cd "$here/.."

cargo build --workspace --all-targets
(cd scripts/polkadot-check && { [ -d node_modules/@polkadot/api ] || npm ci --no-audit --no-fund; })
dir=$(mktemp -d /tmp/pod-bench-settlement.XXXXXX)
echo "== logs in $dir"
export RPC_BASE=${RPC_BASE:-29944} BASE_PORT=${BASE_PORT:-50333}
devnet_start "$CARGO_TARGET_DIR/debug/pod-node" "$dir"
trap 'devnet_stop; echo "== stopped; logs in $dir"' EXIT
ws="ws://127.0.0.1:$RPC_BASE"
wait_finalized "http://127.0.0.1:$RPC_BASE" 2 300
edges=${BENCH_EDGES:-2000} windows=${BENCH_WINDOWS:-4}
content=bebebebebebebebebebebebebebebebebebebebebebebebebebebebebebebebe
echo "== registering $edges synthetic edges and the content"
node scripts/polkadot-check/pod.mjs bench-setup "$ws" --edges "$edges" --content "$content" --price 1000000000000
# Wait until enough windows have closed (blocks are 3 s, windows 10 blocks).
need=$(((windows + 1) * 10))
echo "== waiting for block #$need (so $windows windows are closed)"
wait_finalized "http://127.0.0.1:$RPC_BASE" "$need" 900
"$CARGO_TARGET_DIR/debug/pod-settle-bench" --chain "$ws" --edges "$edges" --windows "$windows" --content "$content"
