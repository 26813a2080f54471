#!/usr/bin/env bash
# What a database read and write cost on this machine's disk: `pod-node
# benchmark storage` (frame-benchmarking-cli, built into the optimised node
# with `runtime-benchmarks`) over a dev chain's RocksDB state, printing the
# read and write figures per key and writing the weights it derives to
# $BENCH_DIR/rocksdb_weights.rs. A new chain's state is its genesis: run it
# against a validator's copied base path (BASE_PATH, CHAIN) for figures that
# hold for a network's real state. Writes are committed one key at a time
# (BATCH): a genesis state has fewer keys than the default batch.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lib.sh
. "$here/lib.sh"
cd "$here/.."

pod_build_and_prune release pod_release_build
dir=${BENCH_DIR:-$(mktemp -d /tmp/pod-bench-storage.XXXXXX)}
base=${BASE_PATH:-$dir/db}
log=$dir/storage.log
"$CARGO_TARGET_DIR/release/pod-node" benchmark storage --chain "${CHAIN:-dev}" --base-path "$base" \
  --state-version 1 --database rocksdb --warmups "${WARMUPS:-1}" --batch-size "${BATCH:-1}" \
  --weight-path "$dir" \
  >"$log" 2>&1 || { tail -40 "$log"; exit 1; }
grep -E 'Reading|Writing|Total|Min|Max|Average|Median|percentile|Time summary|Value size' "$log" || tail -30 "$log"
echo "weights: $dir/rocksdb_weights.rs (full output: $log)"
