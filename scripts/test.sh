#!/usr/bin/env bash
# README command 2: every test, on a fresh machine or a warm one.
#   1. toolchain and packages (scripts/setup.sh, idempotent); the recorded
#      dependency resolutions (Cargo.lock.recorded here, in fuzz/ and in
#      web/bindgen/) checked: every build below uses exactly it (--locked), or this fails
#   2. the workspace built and linted in one pass (clippy's driver as the
#      workspace's compiler, -D warnings: scripts/lib.sh); the wire crate built for the
#      browser (wasm32-unknown-unknown); primitives, pallet (mock runtime,
#      property tests, benchmark tests), the off-chain crates and their
#      integration tests; a smoke run of every fuzz target (fuzz/)
#   3. the node (with the wasm runtime) and the runtime's own tests
#   4. pod-e2e on a four-validator local devnet on loopback: finality, the
#      @polkadot/api check (reads and drives Pod with metadata types only),
#      then the whole product end to end at small scale (origin, reporter,
#      three edges, two CLI clients and a browser on the publisher's demo
#      page, settlement) with its fault cases: the reporter
#      restarted between claim and confirmation, an edge restarted between
#      confirmation and submission, a validator stopped during settlement;
#      exact credits checked; issue #11's trust scenarios (viewer grants,
#      self-dealing, two reporters in one window, an under-reporting client,
#      a content budget, a capped reporter revoked and voided) with exact
#      amounts; and finality continuing with one validator stopped
#   5. the three guides in docs/guides/ run command by command on a network of
#      their own (scripts/guides.sh), and the dashboard checked in Chromium on it
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lib.sh
. "$here/lib.sh"
cd "$here/.."

# Each step says when it starts (minutes since the command started), so a
# slow run shows which step took the time.
step() { printf '\n=== [%dm%02ds] %s\n' $((SECONDS / 60)) $((SECONDS % 60)) "$*"; }

step "the recorded dependency resolution (scripts/lock.sh): Cargo.lock is Cargo.lock.recorded and cargo needs no change to it"
for d in "${POD_LOCK_DIRS[@]}"; do
  pod_lock_check "$d"
  echo "$d builds its $(grep -c '^name = ' "$d/Cargo.lock.recorded") recorded packages"
done

# One feature resolution for the whole workspace and every target (the same as
# demo.sh's and as `cargo test --workspace --all-targets`), so the node, the
# runtime, the edge and every test share each build, rocksdb's above all. Units
# no build uses any more are then deleted from the shared target directory.
step "build the workspace (node with its wasm runtime, edge binaries, tests), linted as it compiles (clippy -D warnings)"
pod_build_and_prune debug pod_debug_builds

step "the wire crate for the browser (wasm32-unknown-unknown); crate layering"
pod_wire_wasm
pod_check_layering

step "the browser SDK (pod-web to wasm, wasm-bindgen) and its test driver (playwright-core, the system's Chromium)"
pod_web_pkg
(cd web/test && { [ -d node_modules/playwright-core ] || npm ci --no-audit --no-fund; })

step "unit, property and integration tests of every crate"
cargo test --locked --workspace --all-targets

step "fuzz smoke: each decoder's libFuzzer target for a few seconds from its committed corpus (scripts/fuzz.sh)"
bash scripts/fuzz.sh smoke "${FUZZ_SMOKE_SECS:-4}"

step "pallet benchmarks, each run once as a test (runtime-benchmarks)"
cargo test --locked -p pallet-pod --features runtime-benchmarks benchmark

step "end to end on a four-validator devnet (pod-e2e): @polkadot/api check, the product with faults and a browser among the clients, one validator stopped"
(cd scripts/polkadot-check && { [ -d node_modules/@polkadot/api ] || npm ci --no-audit --no-fund; })
dir=$(mktemp -d /tmp/pod-test-e2e.XXXXXX)
"$CARGO_TARGET_DIR/debug/pod-e2e" --mib "${E2E_MIB:-24}" --clients 2 --browser --faults --quiet \
  --polkadot-check --stop-one --dir "$dir" \
  --rpc-base "${RPC_BASE:-19944}" --p2p-base "${BASE_PORT:-40333}" --offchain-base "${OFFCHAIN_BASE:-18600}"

step "the guides as a new user follows them (scripts/guides.sh): a network of one's own from export-chain-spec, an edge operator's and a customer's every command, then the dashboard in Chromium against that network (screenshots in docs/)"
bash scripts/guides.sh

step "nothing changed the recorded resolution"
for d in "${POD_LOCK_DIRS[@]}"; do pod_lock_check "$d"; done
