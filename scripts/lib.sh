# Shared helpers for the scripts (sourced, not run).

# shellcheck source=setup.sh
. "$(dirname "${BASH_SOURCE[0]}")/setup.sh"

pod_root() { cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd; }

# The scripts' debug builds lint as they compile: clippy's driver is the
# compiler of the workspace's own crates (what `cargo clippy` does, there in
# check mode), with clippy's `-D warnings`. Dependencies are compiled once,
# by rustc, for the build and the tests alike, not a second time in check
# mode for a separate clippy run (26 of a cold test command's 61 minutes).
# Cargo fingerprints the wrapper: a build by hand shares these builds only
# with the same two variables (`. scripts/lib.sh` exports them). The other
# builds (optimised, wasm, fuzz, tools) run without them (pod_unlinted):
# clippy's driver turns MIR optimisations off, and they are not our code
# to lint or are linted here already.
export RUSTC_WORKSPACE_WRAPPER=/usr/bin/clippy-driver
export CLIPPY_ARGS=-D__CLIPPY_HACKERY__warnings__CLIPPY_HACKERY__
pod_unlinted() { (unset RUSTC_WORKSPACE_WRAPPER CLIPPY_ARGS && "$@"); }

# Builds the node if needed and prints its path.
pod_node_binary() {
  if [ -n "${POD_NODE:-}" ]; then echo "$POD_NODE"; return; fi
  (cd "$(pod_root)" && cargo build -q --locked --workspace --all-targets >&2)
  echo "$CARGO_TARGET_DIR/debug/pod-node"
}

# Runs cargo; with POD_UNITS set to a file, also records there the compiled
# units the build used, for pod_build_and_prune. Arguments after `--` (the
# compiler's, e.g. clippy's `-D warnings`) stay after it.
pod_cargo() {
  if [ -z "${POD_UNITS:-}" ]; then
    cargo "$1" --locked "${@:2}"
    return
  fi
  local args=() rest=() seen=0 a
  for a in "$@"; do
    if [ $seen = 0 ] && [ "$a" = -- ]; then seen=1; continue; fi
    if [ $seen = 0 ]; then args+=("$a"); else rest+=("$a"); fi
  done
  [ $seen = 1 ] && rest=(-- "${rest[@]}")
  (
    set -o pipefail
    cargo "${args[@]}" --locked --message-format=json-render-diagnostics "${rest[@]}" |
      python3 "$(pod_root)/scripts/prune-target.py" record "$POD_UNITS"
  )
}

# The wire crate for the browser: wasm32-unknown-unknown with std built from
# the installed source, in its own target directory (see setup.sh); and none
# of the server-side stacks among its normal dependencies.
pod_wire_wasm() {
  (cd "$(pod_root)" &&
    RUSTC_BOOTSTRAP=1 CARGO_TARGET_DIR="$POD_WASM_TARGET_DIR" \
      pod_unlinted cargo build -q --locked -p pod-wire --target wasm32-unknown-unknown -Zbuild-std=std,panic_abort) || return 1
  local heavy
  heavy=$(cd "$(pod_root)" && cargo tree -q --locked -p pod-wire -e normal --target wasm32-unknown-unknown \
    --prefix none --format '{p}' | awk '{print $1}' |
    grep -xE 'tokio|hyper|hyper-util|rocksdb|librocksdb-sys|libp2p|subxt' | sort -u || true)
  if [ -n "$heavy" ]; then
    echo "pod-wire must not depend on: $heavy" >&2
    return 1
  fi
  echo "pod-wire builds for wasm32-unknown-unknown; no tokio, hyper, RocksDB, libp2p or subxt in its dependencies"
}

# The browser SDK: pod-web for wasm32-unknown-unknown (std built from the
# installed source, release), then its JavaScript bindings into POD_WEB_PKG
# (what web/pod.js imports as ./pkg/) by pod-bindgen (web/bindgen/: the
# wasm-bindgen library at exactly the wasm-bindgen crate's version, with a
# recorded resolution of its own), built once into the cache beside the
# target directory.
pod_web_pkg() {
  local root version pinned tool
  root=$(pod_root)
  version=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/[^0-9.]/, ""); print; exit }' "$root/Cargo.lock")
  pinned=$(sed -n 's/^wasm-bindgen-cli-support = "=\(.*\)"$/\1/p' "$root/web/bindgen/Cargo.toml")
  if [ -z "$version" ] || [ "$version" != "$pinned" ]; then
    echo "the workspace has wasm-bindgen ${version:-(none)} but web/bindgen pins wasm-bindgen-cli-support ${pinned:-(none)}:" \
      "they must be the same version (bump web/bindgen/Cargo.toml, then bash scripts/lock.sh update --in web/bindgen)" >&2
    return 1
  fi
  tool="$(dirname "$CARGO_TARGET_DIR")/tools/bindgen"
  (cd "$root/web/bindgen" && CARGO_TARGET_DIR="$tool" pod_unlinted cargo build -q --locked --release) || return 1
  # simd128: BLAKE3's SIMD path (every current browser runs wasm SIMD). Its
  # own target directory: other flags than pod_wire_wasm's, so neither
  # build undoes the other's.
  (cd "$root" &&
    RUSTC_BOOTSTRAP=1 CARGO_TARGET_DIR="$POD_WASM_TARGET_DIR/web" RUSTFLAGS="-C target-feature=+simd128" \
      pod_unlinted cargo build -q --locked --release -p pod-web --target wasm32-unknown-unknown -Zbuild-std=std,panic_abort) || return 1
  "$tool/release/pod-bindgen" "$POD_WASM_TARGET_DIR/web/wasm32-unknown-unknown/release/pod_web.wasm" \
    "$POD_WEB_PKG" || return 1
  echo "pod-web for the browser: $(du -k "$POD_WEB_PKG/pod_web_bg.wasm" | cut -f1) KiB of wasm in $POD_WEB_PKG"
}

# The crate layering the design relies on: data flows client → edge →
# reporter → chain, so no role depends on another; the client library embeds
# without a database, a peer-to-peer stack or a chain client.
pod_check_layering() {
  local bad=0 crate forbidden found
  for rule in "pod-edge:pod-reporter|pod-client" "pod-reporter:pod-edge|pod-client" \
    "pod-client:pod-edge|pod-reporter|rocksdb|librocksdb-sys|libp2p|subxt" \
    "pod-cli:pod-edge|pod-reporter|rocksdb|librocksdb-sys|libp2p" \
    "pod-chain:pod-edge|pod-reporter|pod-client" "pod-http:pod-edge|pod-reporter|pod-client|pod-chain"; do
    crate=${rule%%:*} forbidden=${rule#*:}
    found=$(cd "$(pod_root)" && cargo tree -q --locked -p "$crate" -e normal --prefix none --format '{p}' |
      awk '{print $1}' | grep -xE "$forbidden" | sort -u | tr '\n' ' ' || true)
    if [ -n "$found" ]; then
      echo "$crate must not depend on: $found" >&2
      bad=1
    fi
  done
  [ $bad = 0 ] && echo "layering: no role depends on another; pod-client has no database, libp2p or subxt"
  return $bad
}

# The debug builds of README command 2, each one feature resolution: the whole
# workspace with every target (node with its wasm runtime, edge binaries, every
# test harness: `cargo test --workspace --all-targets` reuses all of it), the
# pallet with runtime-benchmarks; both linted as they compile (clippy's driver
# above), so a warning fails them.
pod_debug_builds() {
  (cd "$(pod_root)" &&
    pod_cargo build --workspace --all-targets &&
    pod_cargo test -p pallet-pod --features runtime-benchmarks --no-run)
}

# The one optimised build every benchmark uses: the node with the benchmarking
# CLI (`runtime-benchmarks`) and the edge binaries, in one feature resolution so
# each crate is compiled once. Benchmarks are only meaningful optimised: the
# host's hashing and signature code is far slower unoptimised.
pod_release_build() {
  # The benchmarking CLI's storage-access test runtime is only used by
  # `benchmark storage`; its wasm build cannot find itself in this workspace's
  # metadata (it is an optional dependency), so it is skipped.
  (cd "$(pod_root)" && SKIP_FRAME_STORAGE_ACCESS_TEST_RUNTIME_WASM_BUILD=1 \
    pod_unlinted pod_cargo build --release --workspace --bins --features pod-node/runtime-benchmarks)
}

# Runs one profile's builds (pod_debug_builds or pod_release_build) and deletes every unit of that profile none of them used,
# so the shared target directory stays one build of each variant in size.
pod_build_and_prune() { # debug|release build-function
  local units
  units=$(mktemp)
  POD_UNITS=$units "$2" || { rm -f "$units"; return 1; }
  # Housekeeping only: a prune that declines (an incomplete listing) or fails
  # leaves the cache as it was and never fails the build.
  python3 "$(pod_root)/scripts/prune-target.py" prune "$CARGO_TARGET_DIR/$1" "$units" ||
    echo "[setup] target directory not pruned this time" >&2
  rm -f "$units"
}

# JSON-RPC over HTTP (the node serves HTTP and WS on one port).
rpc_call() { # url method [params-json]
  curl -s -m 5 -H 'Content-Type: application/json' \
    -d "{\"id\":1,\"jsonrpc\":\"2.0\",\"method\":\"$2\",\"params\":${3:-[]}}" "$1"
}

# Prints the finalized block number, or -1 when the node does not answer.
finalized_number() { # url
  local h n
  h=$(rpc_call "$1" chain_getFinalizedHead | sed -n 's/.*"result":"\(0x[0-9a-f]*\)".*/\1/p')
  [ -n "$h" ] || { echo -1; return; }
  n=$(rpc_call "$1" chain_getHeader "[\"$h\"]" | sed -n 's/.*"number":"\(0x[0-9a-f]*\)".*/\1/p')
  [ -n "$n" ] || { echo -1; return; }
  printf '%d\n' "$n"
}

wait_finalized() { # url min-number timeout-seconds
  local deadline=$((SECONDS + $3)) n
  while [ $SECONDS -lt $deadline ]; do
    n=$(finalized_number "$1" 2>/dev/null || echo -1)
    [ "${n:--1}" -ge "$2" ] && return 0
    sleep 1
  done
  return 1
}

declare -A DEVNET_PIDS=()

# Starts Alice, Bob, Charlie and Dave on loopback; Alice is the bootnode.
# DEVNET_CHAIN (default `local`) may name a chain spec file instead;
# DEVNET_ARGS adds node options (split on spaces).
devnet_start() { # node dir
  local node=$1 dir=$2 i=0 base=${BASE_PORT:-30333} rpc=${RPC_BASE:-9944}
  # A fixed node key for Alice makes her peer id known to the others.
  local alice_key=0000000000000000000000000000000000000000000000000000000000000001
  local alice_id=12D3KooWEyoppNCUx8Yx66oV9fJnriXwCcXwDDUA2kj6vnc6iDEp
  for who in alice bob charlie dave; do
    local args=(--chain "${DEVNET_CHAIN:-local}" --"$who" --validator --base-path "$dir/$who" --database rocksdb
      --listen-addr "/ip4/127.0.0.1/tcp/$((base + i))" --rpc-port $((rpc + i)) --rpc-cors all
      --no-telemetry --no-prometheus --no-mdns --unsafe-force-node-key-generation
      ${DEVNET_ARGS:-})
    if [ "$who" = alice ]; then
      args+=(--node-key "$alice_key")
    else
      args+=(--bootnodes "/ip4/127.0.0.1/tcp/$base/p2p/$alice_id")
    fi
    "$node" "${args[@]}" >"$dir/$who.log" 2>&1 &
    DEVNET_PIDS[$who]=$!
    i=$((i + 1))
  done
}

devnet_stop_one() { # name
  local pid=${DEVNET_PIDS[$1]:-}
  [ -n "$pid" ] || return 0
  kill -INT "$pid" 2>/dev/null || true
  for _ in $(seq 1 30); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
  kill -KILL "$pid" 2>/dev/null || true
  unset "DEVNET_PIDS[$1]"
}

devnet_stop() {
  for who in "${!DEVNET_PIDS[@]}"; do devnet_stop_one "$who"; done
}

# The dashboard (web/dashboard): @polkadot/api and Chart.js from npm, bundled
# by esbuild into web/dashboard/dist/.
pod_dashboard_build() {
  (cd "$(pod_root)/web/dashboard" &&
    { [ -d node_modules/chart.js ] || npm ci --no-audit --no-fund; } &&
    npm run --silent build)
}
