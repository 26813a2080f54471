#!/usr/bin/env bash
# Settlement throughput: a four-validator local devnet on loopback (optimised
# build) with BENCH_EDGES synthetic edges registered in its genesis; then
# pod-settle-bench submits one two-signed attestation per edge for each of the
# last BENCH_WINDOWS closed windows, in MAX_BATCH-attestation batches, and
# reports attestations finalized per second next to the raw two-signature
# verification rate of one core, in the same run.
#   BENCH_EDGES (default 16000), BENCH_WINDOWS (default 4), BENCH_INFLIGHT (48)
#   BENCH_FLOOD (forged batches per second at the pool while the second half
#   of the windows settles; default 0, no flood: see pod-settle-bench --flood)
#   BENCH_RPC_RATE_LIMIT (the validators' --rpc-rate-limit, calls per minute
#   per RPC connection, as a public RPC node would run, with 127.0.0.1 — the
#   honest settlement's address — exempt and the flood sent from 127.0.0.2;
#   default none)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lib.sh
. "$here/lib.sh"
cd "$here/.."

pod_build_and_prune release pod_release_build
bin="$CARGO_TARGET_DIR/release"
dir=$(mktemp -d /tmp/pod-bench-settlement.XXXXXX)
echo "== logs in $dir"
edges=${BENCH_EDGES:-16000} windows=${BENCH_WINDOWS:-4}
content=bebebebebebebebebebebebebebebebebebebebebebebebebebebebebebebebe
price=1000000000000

# The local chain's spec, plus the synthetic edges (1 GB/s each, each owned by
# its own account, funded for the bond) and the content (owned by Ferdie, whose
# genesis escrow pays).
"$bin/pod-node" build-spec --chain local >"$dir/local.json" 2>"$dir/build-spec.log"
"$bin/pod-settle-bench" --edges "$edges" --print-keys >"$dir/edge-keys"
python3 - "$dir/local.json" "$dir/edge-keys" "$content" "$price" >"$dir/bench.json" <<'PY'
import json, sys
spec = json.load(open(sys.argv[1]))
edges = [line.split() for line in open(sys.argv[2]) if line.strip()]
ferdie = "5CiPPseXPECbkjWCa6MnjNokrgYjMqmKndv2rSnekmSK2DjL"
unit = 10**12
patch = spec["genesis"]["runtimeGenesis"]["patch"]
patch.setdefault("balances", {}).setdefault("balances", []).extend(
    [owner, 1_000 * unit] for _, owner in edges)
pod = patch.setdefault("pod", {})
# Byte arrays and vectors are JSON arrays of numbers in a genesis patch.
ints = lambda b: list(b)
pod["edges"] = [[owner, ints(bytes.fromhex(k)), ints(b"bench"), 1_000_000_000] for k, owner in edges]
pod["contents"] = [[ints(bytes.fromhex(sys.argv[3])), ferdie, 1 << 40, int(sys.argv[4]), ints(b"http://bench")]]
spec["name"] = "PoD settlement bench"
json.dump(spec, sys.stdout)
PY
export RPC_BASE=${RPC_BASE:-29944} BASE_PORT=${BASE_PORT:-50333} DEVNET_CHAIN="$dir/bench.json"
flood_from=()
if [ -n "${BENCH_RPC_RATE_LIMIT:-}" ]; then
  export DEVNET_ARGS="${DEVNET_ARGS:-} --rpc-rate-limit $BENCH_RPC_RATE_LIMIT --rpc-rate-limit-whitelisted-ips 127.0.0.1/32"
  flood_from=(--flood-from 127.0.0.2)
fi
devnet_start "$bin/pod-node" "$dir"
trap 'devnet_stop; echo "== stopped; logs in $dir"' EXIT
ws="ws://127.0.0.1:$RPC_BASE"
# Blocks are 3 s, windows 10 blocks: wait until BENCH_WINDOWS windows closed.
need=$(((windows + 1) * 10))
echo "== $edges edges in genesis; waiting for finalized block #$need ($windows closed windows)"
wait_finalized "http://127.0.0.1:$RPC_BASE" "$need" 900
"$bin/pod-settle-bench" --chain "$ws" --edges "$edges" --windows "$windows" \
  --content "$content" --price "$price" --inflight "${BENCH_INFLIGHT:-48}" \
  --flood "${BENCH_FLOOD:-0}" "${flood_from[@]}"
