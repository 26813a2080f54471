#!/usr/bin/env bash
# What Proof-of-Delivery costs a browser (issue #13), in one run: the
# optimised workspace's edge and reporter on loopback, Chromium running
# web/bench/index.html — a content downloaded from one edge alternately by
# plain fetch and by podFetch (verified and receipted), three rounds each —
# then BLAKE3 verification and receipt signing timed in WebAssembly and
# natively on the same bytes (pod-web-bench).
#   BENCH_MIB (default 64)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lib.sh
. "$here/lib.sh"
cd "$here/.."

pod_build_and_prune release pod_release_build
pod_web_pkg
(cd web/test && { [ -d node_modules/playwright-core ] || npm ci --no-audit --no-fund; })
"$CARGO_TARGET_DIR/release/pod-web-bench" --mib "${BENCH_MIB:-64}"
