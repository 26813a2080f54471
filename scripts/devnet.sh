#!/usr/bin/env bash
# Starts the four-validator local chain (Alice, Bob, Charlie, Dave) on loopback,
# waits until blocks finalize, and then either keeps it running until Ctrl-C
# (`devnet.sh up`) or stops it cleanly (`devnet.sh check`).
#
#   scripts/devnet.sh check            start, wait for finality, stop
#   scripts/devnet.sh up               start and keep running (Ctrl-C stops)
#   scripts/devnet.sh check --stop-one also stop Dave and check finality continues
#
# Env: POD_NODE (node binary), DEVNET_DIR (logs and databases), BASE_PORT (30333),
#      RPC_BASE (9944).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lib.sh
. "$here/lib.sh"

mode=${1:-check}
stop_one=0
[ "${2:-}" = "--stop-one" ] && stop_one=1

node=$(pod_node_binary)
dir=${DEVNET_DIR:-$(mktemp -d /tmp/pod-devnet.XXXXXX)}
mkdir -p "$dir"
echo "devnet: logs and databases in $dir"

devnet_start "$node" "$dir"
trap 'devnet_stop' EXIT INT TERM

rpc="http://127.0.0.1:${RPC_BASE:-9944}"
wait_finalized "$rpc" 3 180 || { echo "devnet: no finality; see $dir/*.log" >&2; exit 1; }
echo "devnet: 4 validators up, blocks finalizing (RPC ws://127.0.0.1:${RPC_BASE:-9944})"

if [ "$stop_one" = 1 ]; then
  devnet_stop_one dave
  f0=-1; while [ "$f0" -lt 1 ]; do f0=$(finalized_number "$rpc"); sleep 1; done
  wait_finalized "$rpc" $((f0 + 3)) 120 || { echo "devnet: finality stalled with 3 of 4 validators" >&2; exit 1; }
  echo "devnet: Dave stopped; finality continued to #$(finalized_number "$rpc")"
fi

if [ "$mode" = up ]; then
  echo "devnet: running; Ctrl-C to stop"
  while sleep 3600; do :; done
fi
