#!/usr/bin/env bash
# README command 1: the main job on a local devnet, end to end.
# Builds what is missing, starts the four-validator local chain on loopback,
# waits for finality, then a real third-party client (@polkadot/api) registers
# an edge and a content, signs a two-sided attestation as the edge and the dev
# reporter, submits it, and reads back the credits, the operator's fee, the
# customer's escrow and usage, checking the 95/5 split exactly. Stops everything.
#
# (The edge daemon, reporter and client of issues #3/#4 will take the place of
# the scripted attestation here.)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lib.sh
. "$here/lib.sh"
cd "$here/.."

echo "== building the node (first run: ~40 min on 2 cores)"
cargo build --workspace --all-targets
(cd scripts/polkadot-check && { [ -d node_modules/@polkadot/api ] || npm ci --no-audit --no-fund; })
dir=${DEVNET_DIR:-$(mktemp -d /tmp/pod-demo.XXXXXX)}
echo "== logs in $dir"
devnet_start "$CARGO_TARGET_DIR/debug/pod-node" "$dir"
trap 'devnet_stop; echo "== stopped; logs kept in $dir"' EXIT
rpc="http://127.0.0.1:${RPC_BASE:-9944}"
echo "== waiting for the 4 validators to finalize blocks"
wait_finalized "$rpc" 2 240 || { echo "no finality; see $dir"; exit 1; }
echo "== finalized #$(finalized_number "$rpc"); running the settlement through @polkadot/api"
node scripts/polkadot-check/check.mjs "ws://127.0.0.1:${RPC_BASE:-9944}"
