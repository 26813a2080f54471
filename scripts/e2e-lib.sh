# The product's main job on a running local devnet (sourced by demo.sh and
# test.sh after devnet_start): an origin, the reporter, three edges and some
# clients on loopback; downloads through the edges; windows claimed,
# confirmed, submitted and finalized; then the chain's books checked against
# the bytes the clients received.
#
#   pod_e2e DIR SIZE_MIB CLIENTS FAULTS
# FAULTS=1 adds, in the same run: the reporter dies on its first confirmation
# request (restarted), edge 2 dies right after its first confirmation, before
# submitting (restarted), and validator Dave stops before settlement.
# Needs RPC_BASE (the devnet's first RPC port) and OFFCHAIN_BASE (first port
# for origin/reporter/edges).

# Runs a command; while it exits with 75 (a fault-injection exit), restarts it
# without the fault variable. Logs append to $log.
supervise() { # log var cmd...
  local log=$1 var=$2
  shift 2
  (
    while true; do
      "$@" >>"$log" 2>&1 && break
      rc=$?
      [ "$rc" = 75 ] || break
      echo "[supervisor] exited with 75 (fault injection); restarting without $var" >>"$log"
      unset "$var"
    done
  ) &
  E2E_PIDS+=($!)
}

E2E_PIDS=()

e2e_stop() {
  local p
  for p in "${E2E_PIDS[@]}"; do pkill -TERM -P "$p" 2>/dev/null || true; kill -TERM "$p" 2>/dev/null || true; done
  sleep 1
  for p in "${E2E_PIDS[@]}"; do pkill -KILL -P "$p" 2>/dev/null || true; kill -KILL "$p" 2>/dev/null || true; done
  E2E_PIDS=()
}

seed_hex() { printf '%-32s' "$1" | od -An -tx1 | tr -d ' \n'; }

wait_http() { # url timeout
  local deadline=$((SECONDS + $2))
  until curl -fs -m 2 "$1" >/dev/null 2>&1; do
    [ $SECONDS -lt $deadline ] || return 1
    sleep 0.5
  done
}

pod_e2e() {
  local dir=$1 size_mib=$2 clients=$3 faults=$4
  local bin="$CARGO_TARGET_DIR/debug/pod-edge"
  local ws="ws://127.0.0.1:$RPC_BASE" http_rpc="http://127.0.0.1:$RPC_BASE"
  local base=${OFFCHAIN_BASE:-8600}
  local origin_port=$base reporter_port=$((base + 1)) reporter="http://127.0.0.1:$((base + 1))"
  local js="node scripts/polkadot-check/pod.mjs"
  local price=1000000000000 # 1 UNIT per GiB
  mkdir -p "$dir/origin"
  export POD_EDGE_FAULT POD_REPORTER_FAULT

  local genesis
  genesis=$(rpc_call "$http_rpc" chain_getBlockHash '[0]' | sed -n 's/.*"result":"0x\([0-9a-f]*\)".*/\1/p')
  [ ${#genesis} = 64 ] || { echo "cannot read the genesis hash from $http_rpc"; return 1; }

  echo "== content: $size_mib MiB of random bytes (+12345, so the last chunk is short)"
  head -c $(((size_mib << 20) + 12345)) /dev/urandom >"$dir/origin/video.bin"
  local size content
  size=$(stat -c %s "$dir/origin/video.bin")
  content=$("$bin" publish "$dir/origin/video.bin" -o "$dir/video.manifest" 2>/dev/null)
  echo "   content id $content, $size bytes"
  "$bin" origin --dir "$dir/origin" --listen "127.0.0.1:$origin_port" >"$dir/origin.log" 2>&1 &
  E2E_PIDS+=($!)
  local origin_url="http://127.0.0.1:$origin_port/video.bin"

  echo "== reporter on $reporter (dev reporter key, registered at genesis)"
  local rep_seed rep_pub
  rep_seed=$(seed_hex 'pod-cdn/dev/reporter/seed/v1____')
  rep_pub=$("$bin" key --seed "$rep_seed")
  cat >"$dir/reporter.toml" <<EOF
listen = "127.0.0.1:$reporter_port"
data_dir = "$dir/reporter"
key_seed = "$rep_seed"
chain = "$ws"
ticket_ttl_secs = 40
confirm_grace_ms = 3000
edge_timeout_secs = 15
hot_threshold = 2
hot_replicas = 3
audit_interval_secs = 4
EOF
  POD_REPORTER_FAULT=$([ "$faults" = 1 ] && echo exit-on-confirm || true) \
    supervise "$dir/reporter.log" POD_REPORTER_FAULT "$bin" reporter --config "$dir/reporter.toml"
  wait_http "$reporter/status" 120 || { echo "reporter did not start; see $dir/reporter.log"; return 1; }

  echo "== three edges (owners Alice, Charlie, Dave)"
  local owners=(//Alice //Charlie //Dave) keys=() bootstrap="" i
  for i in 0 1 2; do
    local seed key
    seed=$(seed_hex "pod-cdn/demo/edge-$i")
    key=$("$bin" key --seed "$seed")
    keys+=("$key")
    cat >"$dir/edge$i.toml" <<EOF
listen = "127.0.0.1:$((base + 10 + i))"
data_dir = "$dir/edge$i"
key_seed = "$seed"
genesis = "$genesis"
reporters = ["$rep_pub"]
reporter_url = "$reporter"
chain = "$ws"
heartbeat_secs = 2
claim_grace_ms = 2000
cache_quota = $((size * 2))
min_free = 0
p2p_listen = "/ip4/127.0.0.1/tcp/$((base + 20 + i))"
$([ -n "$bootstrap" ] && echo "bootstrap = [\"$bootstrap\"]")
EOF
    local fault=""
    [ "$faults" = 1 ] && [ $i = 2 ] && fault=exit-after-confirm
    POD_EDGE_FAULT=$fault supervise "$dir/edge$i.log" POD_EDGE_FAULT "$bin" run --config "$dir/edge$i.toml"
    wait_http "http://127.0.0.1:$((base + 10 + i))/status" 60 || { echo "edge $i did not start; see $dir/edge$i.log"; return 1; }
    if [ $i = 0 ]; then
      bootstrap=$(sed -n 's/^p2p //p' "$dir/edge0.log" | head -1)
    fi
    echo "   edge $i: ${key:0:16}… on 127.0.0.1:$((base + 10 + i)) owned by ${owners[$i]}"
  done

  echo "== on chain (@polkadot/api): register the edges (bonded) and the content (Ferdie pays 1 UNIT/GiB)"
  $js setup "$ws" --edge "${owners[0]}=${keys[0]}" --edge "${owners[1]}=${keys[1]}" \
    --edge "${owners[2]}=${keys[2]}" --content "$content:$size:$price:$origin_url"
  "$bin" register "$dir/video.manifest" --origin "$origin_url" --reporter "$reporter" >/dev/null
  $js snapshot "$ws" --owner //Alice --owner //Charlie --owner //Dave >"$dir/before.json"

  local deadline=$((SECONDS + 60))
  until [ "$(curl -fs "$reporter/status" | grep -o '"live":true' | wc -l)" -ge 3 ]; do
    [ $SECONDS -lt $deadline ] || { echo "edges did not reach the reporter"; return 1; }
    sleep 1
  done

  echo "== $clients client(s) download through the edges (scheduled by the reporter)"
  local c
  for c in $(seq 1 "$clients"); do
    "$bin" fetch "$content" -o "$dir/client$c.bin" --reporter "$reporter" ${E2E_QUIET:+--quiet} \
      >"$dir/client$c.json" 2> >(tee "$dir/client$c.log" >&2) || { echo "client $c failed"; return 1; }
    cmp -s "$dir/origin/video.bin" "$dir/client$c.bin" || { echo "client $c got different bytes"; return 1; }
    echo "   client $c: byte-exact copy"
  done

  if [ "$faults" = 1 ]; then
    echo "== fault: validator Dave stops before settlement"
    devnet_stop_one dave
  fi

  python3 - "$dir" "$clients" "${keys[*]}" "${owners[*]}" "$content" "$price" >"$dir/expect.json" <<'EOF'
import json, sys
d, n, keys, owners, content, price = sys.argv[1], int(sys.argv[2]), sys.argv[3].split(), sys.argv[4].split(), sys.argv[5], sys.argv[6]
edges = {k: {"owner": o, "bytes": 0} for k, o in zip(keys, owners)}
for c in range(1, n + 1):
    for s in json.load(open(f"{d}/client{c}.json"))["sources"]:
        edges[s["edge"]]["bytes"] += s["bytes"]
print(json.dumps({"edges": edges, "customer": "//Ferdie", "content": content, "price": price}))
EOF
  echo "== waiting for windows to close, claims, confirmations and finalized attestations"
  $js wait "$ws" --expect "$dir/expect.json" --timeout "${E2E_SETTLE_TIMEOUT:-600}"
  echo "== the chain's books against the bytes the clients received"
  $js verify "$ws" --before "$dir/before.json" --expect "$dir/expect.json"
  if [ "$faults" = 1 ]; then
    grep -q "fault injection: exiting before confirming" "$dir/reporter.log" || { echo "reporter fault did not fire"; return 1; }
    grep -q "fault injection: exiting after the confirmation" "$dir/edge2.log" || { echo "edge fault did not fire"; return 1; }
    echo "faults exercised: reporter restarted before confirming, edge 2 restarted before submitting, Dave stopped"
  fi
  echo "audits: $(curl -fs "$reporter/metrics" | grep '^pod_reporter_audits_total' | tr '\n' ' ')"
}
