#!/usr/bin/env bash
# Which compiles cheaper: polkadot-sdk's crates one by one (what this workspace
# uses) or the `polkadot-sdk` umbrella crate with one feature per crate? Builds
# the runtime's FRAME/Substrate dependency set both ways, natively, in a fresh
# target directory each (never the shared one), side by side in the same run:
# both builds at once, one job each, so both see the same machine load.
#   UMBRELLA_DIR (default: a new temporary directory)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=setup.sh
. "$here/setup.sh"
root=$(cd "$here/.." && pwd)
dir=${UMBRELLA_DIR:-$(mktemp -d /tmp/pod-umbrella.XXXXXX)}
echo "== measuring in $dir"

# The runtime's dependencies on the SDK, with the versions the workspace pins
# (read from the root Cargo.toml) and the features the runtime enables.
crates=(frame-executive frame-metadata-hash-extension frame-support frame-system
  frame-system-rpc-runtime-api pallet-aura pallet-balances pallet-grandpa pallet-sudo
  pallet-timestamp pallet-transaction-payment pallet-transaction-payment-rpc-runtime-api
  sp-api sp-block-builder sp-consensus-aura sp-consensus-grandpa sp-core sp-genesis-builder
  sp-inherents sp-keyring sp-offchain sp-runtime sp-session sp-storage sp-transaction-pool
  sp-version)
with_serde=" sp-consensus-aura sp-consensus-grandpa sp-core sp-runtime sp-version "
umbrella_version=$(sed -n 's/.*umbrella `polkadot-sdk` \([0-9.]*\)).*/\1/p' "$root/Cargo.toml")
[ -n "$umbrella_version" ] || { echo "no umbrella version named in Cargo.toml"; exit 1; }

manifest() { # name
  cat <<TOML
[package]
name = "$1"
version = "0.0.0"
edition = "2021"
publish = false

[lib]
path = "lib.rs"

[profile.dev]
debug = "line-tables-only"

TOML
}

mkdir -p "$dir/individual" "$dir/umbrella"
{
  manifest individual
  echo "[dependencies]"
  for c in "${crates[@]}"; do
    v=$(sed -n "s/^$c = { version = \"\([^\"]*\)\".*/\1/p" "$root/Cargo.toml")
    [ -n "$v" ] || { echo "no version of $c in Cargo.toml" >&2; exit 1; }
    features='"std"'
    case "$with_serde" in *" $c "*) features='"std", "serde"' ;; esac
    [ "$c" = frame-support ] && features='"std", "experimental"'
    echo "$c = { version = \"$v\", default-features = false, features = [$features] }"
  done
} >"$dir/individual/Cargo.toml"
{
  manifest umbrella
  echo "[dependencies]"
  printf 'polkadot-sdk = { version = "=%s", default-features = false, features = ["std", "serde", "experimental"' \
    "$umbrella_version"
  for c in "${crates[@]}"; do printf ', "%s"' "$c"; done
  echo '] }'
} >"$dir/umbrella/Cargo.toml"
: >"$dir/individual/lib.rs"
: >"$dir/umbrella/lib.rs"

for v in individual umbrella; do
  (cd "$dir/$v" && cargo generate-lockfile -q)
done
# What each resolves to (the lockfile covers every feature a build could ask
# for; the build compiles only what the features enable).
python3 - "$dir/individual/Cargo.lock" "$dir/umbrella/Cargo.lock" <<'PY'
import re, sys
def versions(p):
    return dict(re.findall(r'name = "([^"]+)"\nversion = "([^"]+)"', open(p).read()))
a, b = versions(sys.argv[1]), versions(sys.argv[2])
diff = sorted(k for k in a.keys() & b.keys() if a[k] != b[k])
print(f"lockfile packages: individual {len(a)}, umbrella {len(b)}; "
      f"{len(diff)} shared packages resolved to other versions")
PY

build() { # variant
  local start=$SECONDS
  (cd "$dir/$1" && CARGO_TARGET_DIR="$dir/$1/target" cargo build -j1 >"$dir/$1.log" 2>&1)
  echo "$1 $((SECONDS - start))" >"$dir/$1.time"
}
echo "== building both at once, one job each (a cold build: several minutes)"
build individual &
a=$!
build umbrella &
b=$!
wait "$a" || { tail -20 "$dir/individual.log"; exit 1; }
wait "$b" || { tail -20 "$dir/umbrella.log"; exit 1; }
ti=$(cut -d' ' -f2 "$dir/individual.time")
tu=$(cut -d' ' -f2 "$dir/umbrella.time")
ni=$(grep -c '^ *Compiling' "$dir/individual.log")
nu=$(grep -c '^ *Compiling' "$dir/umbrella.log")
si=$(du -sm "$dir/individual/target" | cut -f1)
su=$(du -sm "$dir/umbrella/target" | cut -f1)
printf '%-12s %8s %8s %10s\n' variant seconds crates "target MiB"
printf '%-12s %8s %8s %10s\n' individual "$ti" "$ni" "$si" umbrella "$tu" "$nu" "$su"
awk -v a="$ti" -v b="$tu" 'BEGIN { printf "umbrella/individual build time: %.2f\n", b / a }'
rm -rf "$dir/individual/target" "$dir/umbrella/target"
