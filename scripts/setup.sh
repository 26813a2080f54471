#!/usr/bin/env bash
# Installs and selects the one toolchain this workspace builds with: Debian's
# Rust (rustc-web/cargo-web, 1.96) plus the standard library's source and the
# matching clippy, and a prebuilt wasm32v1-none sysroot so
# substrate-wasm-builder's target probe passes without -Zbuild-std.
# Idempotent: a second run does nothing but check.
#
# The browser target (wasm32-unknown-unknown, with std) has no prebuilt
# sysroot either: `pod_wire_wasm` in lib.sh builds the wire crate for it with
# -Zbuild-std from the installed std source (RUSTC_BOOTSTRAP=1), in its own
# target directory POD_WASM_TARGET_DIR, so the unstable flag never touches
# the fingerprints of the main build.
#
# Source it (`. scripts/setup.sh`) to get PATH and CARGO_TARGET_DIR in your shell,
# or run it (`bash scripts/setup.sh`) just to install.
set -euo pipefail

_pod_log() { printf '[setup] %s\n' "$*" >&2; }

_pod_need_apt() {
  local missing=()
  # prometheus for promtool, systemd for systemd-analyze (the metrics and
  # deploy tests), chromium for the browser tests, curl and python3 for the
  # guides (scripts/guides.sh runs their commands).
  for p in rustc-web cargo-web rust-web-src rust-web-clippy lld-22 protobuf-compiler clang libclang-dev g++ openssl chromium prometheus systemd curl python3; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    _pod_log "installing Debian packages: ${missing[*]}"
    local sudo=""
    [ "$(id -u)" = 0 ] || sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
    # Only promtool is wanted: not a Prometheus server running on this machine.
    case " ${missing[*]} " in
      *" prometheus "*) $sudo systemctl disable --now prometheus >/dev/null 2>&1 || true ;;
    esac
  fi
}

# Debian's toolchain must win over the rustup proxies in ~/.cargo/bin.
_pod_select_toolchain() {
  case ":$PATH:" in
    /usr/bin:*) ;;
    *) export PATH="/usr/bin:$PATH" ;;
  esac
  # rustup-managed env vars would redirect cargo back to rustup's toolchain.
  unset RUSTUP_TOOLCHAIN || true
}

# substrate-wasm-builder first checks the wasm target with a plain dummy build
# (no -Zbuild-std). Debian ships no prebuilt wasm sysroot, so that probe fails.
# Build core/alloc/compiler_builtins for wasm32v1-none once per rustc version
# (with bitcode, since the runtime is built with LTO) and install them into the
# sysroot; the builder then selects wasm32v1-none and needs no build-std.
_pod_wasm_sysroot() {
  local sysroot libdir stamp ver
  sysroot=$(rustc --print sysroot)
  libdir="$sysroot/lib/rustlib/wasm32v1-none/lib"
  stamp="$libdir/.pod-cdn-stamp"
  ver=$(rustc --version)
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$ver" ]; then
    return 0
  fi
  _pod_log "building the wasm32v1-none sysroot for $ver (once per rustc version)"
  local tmp
  tmp=$(mktemp -d)
  mkdir -p "$tmp/src"
  cat >"$tmp/Cargo.toml" <<'TOML'
[package]
name = "pod-wasm-sysroot"
version = "0.0.0"
edition = "2021"
[lib]
path = "src/lib.rs"
[profile.release]
panic = "abort"
TOML
  printf '#![no_std]\npub fn f() {}\n' >"$tmp/src/lib.rs"
  (
    cd "$tmp"
    RUSTC_BOOTSTRAP=1 RUSTFLAGS=-Cembed-bitcode=yes CARGO_TARGET_DIR="$tmp/target" \
      cargo build -q --release --target wasm32v1-none -Zbuild-std=core,alloc
  )
  mkdir -p "$libdir"
  local deps="$tmp/target/wasm32v1-none/release/deps"
  for l in core alloc compiler_builtins; do
    local f
    f=$(ls "$deps"/lib"$l"-*.rlib | head -n1)
    [ -n "$f" ] || { _pod_log "no lib$l built"; return 1; }
    cp "$f" "$libdir/"
  done
  echo "$ver" >"$stamp"
  rm -rf "$tmp"
}

_pod_need_node() {
  if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
    _pod_log "installing Node.js and npm"
    local sudo=""
    [ "$(id -u)" = 0 ] || sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends nodejs npm >&2
  fi
}

# rustc links wasm with `rust-lld`, which Debian's packages do not ship under
# that name; lld-22 is the same linker (rustc passes `-flavor wasm` itself).
# rustc puts <sysroot>/lib/rustlib/<host>/bin on the linker's PATH.
_pod_rust_lld() {
  command -v rust-lld >/dev/null 2>&1 && return 0
  local host bindir lld
  host=$(rustc -vV | sed -n 's/^host: //p')
  bindir="$(rustc --print sysroot)/lib/rustlib/$host/bin"
  [ -x "$bindir/rust-lld" ] && return 0
  lld=$(command -v lld-22 || ls /usr/lib/llvm-*/bin/lld 2>/dev/null | tail -n1)
  [ -n "$lld" ] || { _pod_log "no lld found"; return 1; }
  _pod_log "linking $bindir/rust-lld -> $lld"
  mkdir -p "$bindir"
  ln -sf "$(readlink -f "$lld")" "$bindir/rust-lld"
}

_pod_need_apt
_pod_select_toolchain
_pod_rust_lld
_pod_wasm_sysroot
_pod_need_node
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/pod-cdn/target}"
# The target dir is outside the clone, so substrate-wasm-builder cannot find the
# workspace (and its Cargo.lock) by walking up from OUT_DIR: tell it.
WASM_BUILD_WORKSPACE_HINT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export WASM_BUILD_WORKSPACE_HINT
mkdir -p "$CARGO_TARGET_DIR"
export POD_WASM_TARGET_DIR="${POD_WASM_TARGET_DIR:-$(dirname "$CARGO_TARGET_DIR")/wasm-target}"
# The browser SDK's build (scripts/lib.sh pod_web_pkg), served as web/pkg.
export POD_WEB_PKG="${POD_WEB_PKG:-$POD_WASM_TARGET_DIR/pkg}"

# The dependency resolution is recorded in the repository: Cargo.lock.recorded
# (the workspace's), fuzz/ and web/bindgen/ (crates with workspaces of their
# own) are
# Cargo.lock with every registry `source` line replaced by a token, so that no
# file names a registry's address. Every run of this script writes the real
# Cargo.lock from them, the token replaced by what cargo itself writes for a
# crate from the default registry (asked of cargo once per machine, in a
# scratch project), and the scripts build with `--locked`: a build that would
# change the resolution fails instead of resolving newer releases. Changing it
# is a deliberate step: scripts/lock.sh (docs/development.md).
# shellcheck source=lock.sh
. "$WASM_BUILD_WORKSPACE_HINT/scripts/lock.sh"
for _pod_d in "${POD_LOCK_DIRS[@]}"; do pod_lock_materialise "$WASM_BUILD_WORKSPACE_HINT/$_pod_d"; done
unset _pod_d
_pod_log "toolchain: $(rustc --version); target dir: $CARGO_TARGET_DIR"
