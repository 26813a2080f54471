#!/usr/bin/env bash
# Runs pallet-pod's benchmarks on the wasm runtime (frame-benchmarking-cli built
# into an optimised pod-node with the `runtime-benchmarks` feature) and writes
# pallets/pod/src/weights.rs. Then prints what the weights mean for a block:
# attestations per block, single and batched (runtime/tests/block_capacity.rs).
#   STEPS (default 20), REPEAT (default 5)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lib.sh
. "$here/lib.sh"
cd "$here/.."

pod_build_and_prune release pod_release_build
log=${BENCH_LOG:-/tmp/pod-bench-pallet.log}
"$CARGO_TARGET_DIR/release/pod-node" benchmark pallet --chain dev --pallet pallet_pod --extrinsic '*' \
  --steps "${STEPS:-20}" --repeat "${REPEAT:-5}" \
  --template scripts/weights-template.hbs --output pallets/pod/src/weights.rs \
  >"$log" 2>&1 || { tail -40 "$log"; exit 1; }
grep -E '^(Pallet|Time|Reads|Writes|Recorded proof| +[a-z]+ +[0-9.]+)' "$log" || true
echo "weights written to pallets/pod/src/weights.rs (full output: $log)"
# The same target selection as scripts/test.sh (a `--test` filter would
# resolve features differently and rebuild), then a name filter.
cargo test -q --locked --workspace --all-targets -- --nocapture --test-threads 1 block_capacity
