#!/usr/bin/env bash
# Runs pallet-pod's benchmarks on the wasm runtime (frame-benchmarking-cli built
# into pod-node behind the `runtime-benchmarks` feature) and writes
# pallets/pod/src/weights.rs. Then prints what the weights mean for a block:
# attestations per block, single and batched.
#   STEPS (default 20), REPEAT (default 5)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lib.sh
. "$here/lib.sh"
cd "$here/.."

cargo build -p pod-node --features runtime-benchmarks
bin="$CARGO_TARGET_DIR/debug/pod-node"
"$bin" benchmark pallet --chain dev --pallet pallet_pod --extrinsic '*' \
  --steps "${STEPS:-20}" --repeat "${REPEAT:-5}" \
  --template scripts/weights-template.hbs --output pallets/pod/src/weights.rs \
  | tee "${BENCH_LOG:-/tmp/pod-bench-pallet.log}"
echo "weights written to pallets/pod/src/weights.rs"
