#!/usr/bin/env bash
# README command 2: every test, on a fresh machine or a warm one.
#   1. toolchain and packages (scripts/setup.sh, idempotent)
#   2. primitives, pallet (mock runtime, property tests, benchmark tests), edge
#   3. the node (with the wasm runtime) and the runtime's own tests
#   4. a four-validator local devnet on loopback: finality, the @polkadot/api
#      check (reads and drives Pod with metadata types only), then the whole
#      product end to end at small scale (origin, reporter, three edges,
#      clients, settlement) with its fault cases: the reporter restarted
#      between claim and confirmation, an edge restarted between confirmation
#      and submission, a validator stopped during settlement; exact credits
#      checked; and finality continuing with one validator stopped
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lib.sh
. "$here/lib.sh"
# shellcheck source=e2e-lib.sh
. "$here/e2e-lib.sh"
cd "$here/.."

step() { printf '\n=== %s\n' "$*"; }

# One feature resolution for the whole workspace and every target (the same as
# demo.sh's and as `cargo test --workspace --all-targets`), so the node, the
# runtime, the edge and every test share each build, rocksdb's above all. Units
# no build uses any more are then deleted from the shared target directory.
step "build the workspace (node with its wasm runtime, edge binaries, tests)"
pod_build_and_prune debug pod_debug_builds

step "unit, property and integration tests of every crate"
cargo test --workspace --all-targets

step "pallet benchmarks, each run once as a test (runtime-benchmarks)"
cargo test -p pallet-pod --features runtime-benchmarks benchmark

step "@polkadot/api check against a four-validator devnet"
(cd scripts/polkadot-check && { [ -d node_modules/@polkadot/api ] || npm ci --no-audit --no-fund; })
dir=$(mktemp -d /tmp/pod-test-devnet.XXXXXX)
echo "devnet logs in $dir"
export RPC_BASE=${RPC_BASE:-19944} BASE_PORT=${BASE_PORT:-40333} OFFCHAIN_BASE=${OFFCHAIN_BASE:-18600}
devnet_start "$CARGO_TARGET_DIR/debug/pod-node" "$dir"
trap 'e2e_stop; devnet_stop' EXIT
rpc="http://127.0.0.1:$RPC_BASE"
wait_finalized "$rpc" 2 240 || { echo "no finality; logs in $dir"; tail -20 "$dir"/alice.log; exit 1; }
node scripts/polkadot-check/check.mjs "ws://127.0.0.1:$RPC_BASE"

step "end to end: reporter, three edges, clients, settlement, with faults"
echo "end-to-end logs in $dir/e2e"
E2E_QUIET=1 pod_e2e "$dir/e2e" "${E2E_MIB:-24}" 2 1
e2e_stop

step "one of four validators stops: finality continues"
devnet_stop_one dave
f0=-1; while [ "$f0" -lt 1 ]; do f0=$(finalized_number "$rpc"); sleep 1; done
wait_finalized "$rpc" $((f0 + 3)) 120 || { echo "finality stalled with Dave stopped; logs in $dir"; exit 1; }
echo "finalized #$f0 -> #$(finalized_number "$rpc") with Alice, Bob and Charlie"
devnet_stop
echo "devnet checks: 3 passed, 0 failed"
