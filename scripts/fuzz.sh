#!/usr/bin/env bash
# Fuzzing every decoder that takes bytes from outside (fuzz/, issue #12) with
# libFuzzer through the libfuzzer-sys crate: coverage instrumentation from
# rustc's stable SanitizerCoverage flags, so Debian's Rust builds it as is
# (no nightly, no cargo-fuzz binary; overflow checks and debug assertions on).
#
#   fuzz.sh build               build every target (and the seed writer)
#   fuzz.sh seeds               write one valid example per target into fuzz/corpus
#   fuzz.sh smoke [SECS]        each target for SECS (default 4) from its corpus;
#                               new inputs go to a scratch directory (the test command)
#   fuzz.sh run TARGET SECS     one target for SECS, growing fuzz/corpus/TARGET,
#                               then minimised back into it
#   fuzz.sh all SECS            `run` for every target in turn
#   fuzz.sh list                the targets
# A crash stops the script with libFuzzer's report; its input is kept under
# $FUZZ_OUT (default /tmp/pod-fuzz-artifacts).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=setup.sh
. "$here/setup.sh"
# Its own workspace and target directory, built optimised: not through the
# clippy driver the test command's debug builds use (scripts/lib.sh).
unset RUSTC_WORKSPACE_WRAPPER CLIPPY_ARGS
root=$(cd "$here/.." && pwd)
fuzz="$root/fuzz"
export CARGO_TARGET_DIR="$(dirname "$CARGO_TARGET_DIR")/fuzz-target"
mkdir -p "$CARGO_TARGET_DIR"
out=${FUZZ_OUT:-/tmp/pod-fuzz-artifacts}
mkdir -p "$out"
# The fuzz crate has its own recorded resolution (fuzz/Cargo.lock.recorded,
# written out as fuzz/Cargo.lock by setup.sh): its builds are instrumented, so
# they share no units with the workspace's.

# With an explicit --target, RUSTFLAGS reach only the target's code, not build
# scripts and proc macros (which would need libFuzzer's symbols to link).
host=$(rustc -vV | sed -n 's/^host: //p')
bin_dir="$CARGO_TARGET_DIR/$host/release"

targets() { (cd "$fuzz/fuzz_targets" && ls ./*.rs | sed 's|^\./||; s|\.rs$||'); }

instrumented() {
  RUSTFLAGS="--cfg fuzzing -Cpasses=sancov-module \
    -Cllvm-args=-sanitizer-coverage-level=4 \
    -Cllvm-args=-sanitizer-coverage-inline-8bit-counters \
    -Cllvm-args=-sanitizer-coverage-pc-table \
    -Cllvm-args=-sanitizer-coverage-trace-compares" \
    cargo "$@"
}

build() {
  local bins=()
  for t in $(targets); do bins+=(--bin "$t"); done
  (cd "$fuzz" && instrumented build -q --locked --release --target "$host" "${bins[@]}")
}

# fuzz_one TARGET SECS CORPUS_DIRS...: the first directory receives new inputs.
fuzz_one() {
  local t=$1 secs=$2
  shift 2
  "$bin_dir/$t" -max_total_time="$secs" -rss_limit_mb=2048 \
    -timeout=10 -max_len=65536 -print_final_stats=1 -artifact_prefix="$out/$t-" "$@" 2>"$out/$t.log" || {
    tail -n 60 "$out/$t.log" >&2
    echo "fuzz target $t crashed; its input is under $out" >&2
    return 1
  }
  local execs
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$out/$t.log" | tail -n1)
  printf '%-16s %6ss %12s runs  corpus %s\n' "$t" "$secs" "${execs:-?}" "$(ls "$fuzz/corpus/$t" | wc -l)"
}

case "${1:-}" in
  build) build ;;
  list) targets ;;
  seeds)
    (cd "$fuzz" && cargo run -q --locked --release --bin seeds)
    ;;
  smoke)
    build
    for t in $(targets); do
      scratch=$(mktemp -d)
      fuzz_one "$t" "${2:-4}" "$scratch" "$fuzz/corpus/$t"
      rm -rf "$scratch"
    done
    ;;
  run | all)
    build
    secs=${3:-${2:-60}}
    list=$(targets)
    [ "$1" = run ] && { list=$2; secs=$3; }
    for t in $list; do
      mkdir -p "$fuzz/corpus/$t"
      fuzz_one "$t" "$secs" "$fuzz/corpus/$t"
      merged=$(mktemp -d)
      "$bin_dir/$t" -merge=1 "$merged" "$fuzz/corpus/$t" 2>>"$out/$t.log"
      rm -rf "${fuzz:?}/corpus/$t" && mv "$merged" "$fuzz/corpus/$t"
    done
    ;;
  *) sed -n '2,17p' "$0" >&2; exit 2 ;;
esac
