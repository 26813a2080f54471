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

# The benchmarking CLI's storage-access test runtime is only used by
# `benchmark storage`; its wasm build cannot find itself in this workspace's
# metadata (it is an optional dependency), so it is skipped.
export SKIP_FRAME_STORAGE_ACCESS_TEST_RUNTIME_WASM_BUILD=1
# --workspace: the same feature resolution as the other builds, so rocksdb
# and the client stack are reused rather than rebuilt.
cargo build --workspace --bins --features pod-node/runtime-benchmarks
bin="$CARGO_TARGET_DIR/debug/pod-node"
"$bin" benchmark pallet --chain dev --pallet pallet_pod --extrinsic '*' \
  --steps "${STEPS:-20}" --repeat "${REPEAT:-5}" \
  --template scripts/weights-template.hbs --output pallets/pod/src/weights.rs \
  | tee "${BENCH_LOG:-/tmp/pod-bench-pallet.log}"
echo "weights written to pallets/pod/src/weights.rs"
