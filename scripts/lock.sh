#!/usr/bin/env bash
# The recorded dependency resolution (issue #23).
#
# Cargo.lock.recorded, and the same in each of POD_LOCK_DIRS (the crates with
# a workspace of their own: fuzz/, the fuzz targets; web/bindgen/, the browser
# SDK's bindings generator), are what cargo wrote in
# Cargo.lock (name, version, checksum and dependencies of every crate), with
# each `source` line of the default registry replaced by POD_REGISTRY_TOKEN:
# the repository names no registry's address. scripts/setup.sh writes the
# real Cargo.lock files from them on every run, and the scripts build with
# `--locked`, so every machine builds exactly the recorded versions, checked
# against the recorded checksums, or fails.
#
#   bash scripts/lock.sh check
#       the Cargo.lock files are the recorded ones and cargo needs no change to
#       them (downloads what is missing; the test command runs this first)
#   bash scripts/lock.sh update [--in DIR] [CARGO-UPDATE-ARGS…]
#       re-resolves deliberately, from the recorded resolution: with no
#       arguments only what changed manifests need (a new dependency), else
#       `cargo update ARGS` (e.g. `-p rustls --precise 0.23.48`); records the
#       result and lists every version that moved. Commit the .recorded file.
#       DIR: one of POD_LOCK_DIRS (default: the workspace).
#
# Sourced (by setup.sh), it only defines the functions.

POD_REGISTRY_TOKEN='@default-registry@'
# Every directory with a recorded resolution, relative to the repository.
POD_LOCK_DIRS=(. fuzz web/bindgen)

_pod_lock_log() { printf '[lock] %s\n' "$*" >&2; }

# What cargo writes as the `source` of a crate from the default registry on
# this machine: asked of cargo itself once (a scratch project depending on a
# crate the recorded resolution has), then kept in the cache directory.
pod_registry_source() {
  local cache="${XDG_CACHE_HOME:-$HOME/.cache}/pod-cdn/registry-source" tmp src version
  if [ -s "$cache" ]; then
    cat "$cache"
    return
  fi
  tmp=$(mktemp -d)
  version=$(awk '/^name = "itoa"$/ { getline; gsub(/[^0-9.]/, ""); print; exit }' \
    "$(dirname "${BASH_SOURCE[0]}")/../Cargo.lock.recorded" 2>/dev/null)
  mkdir -p "$tmp/src"
  printf '[package]\nname = "pod-registry-probe"\nversion = "0.0.0"\nedition = "2021"\n[dependencies]\nitoa = "=%s"\n' \
    "${version:-1.0.0}" >"$tmp/Cargo.toml"
  : >"$tmp/src/lib.rs"
  (cd "$tmp" && { cargo generate-lockfile -q --offline 2>/dev/null || cargo generate-lockfile -q; }) || {
    rm -rf "$tmp"
    _pod_lock_log "cargo could not resolve a scratch project (is the registry reachable?)"
    return 1
  }
  src=$(sed -n 's/^source = "\(.*\)"$/\1/p' "$tmp/Cargo.lock" | head -n1)
  rm -rf "$tmp"
  case "$src" in
    registry+*://* | sparse+*://*) ;;
    *) _pod_lock_log "unexpected registry source from cargo: '$src'"; return 1 ;;
  esac
  mkdir -p "$(dirname "$cache")"
  printf '%s\n' "$src" >"$cache"
  printf '%s\n' "$src"
}

# RECORDED → the Cargo.lock it stands for, on stdout.
pod_lock_render() { # recorded-file
  local src content
  src=$(pod_registry_source) || return 1
  content=$(<"$1")
  printf '%s\n' "${content//\"$POD_REGISTRY_TOKEN\"/\"$src\"}"
}

# Cargo.lock → its recorded form, on stdout; refuses any source other than the
# default registry (a git or path source would name an address or a machine).
pod_lock_tokenise() { # lock-file
  local src content out other
  src=$(pod_registry_source) || return 1
  content=$(<"$1")
  out=${content//\"$src\"/\"$POD_REGISTRY_TOKEN\"}
  other=$(printf '%s\n' "$out" | grep -E '^source = ' | grep -vxF "source = \"$POD_REGISTRY_TOKEN\"" | sort -u || true)
  if [ -n "$other" ] || printf '%s\n' "$out" | grep -q '://'; then
    _pod_lock_log "$1 has sources other than the default registry, which cannot be recorded: ${other:-an address}"
    return 1
  fi
  printf '%s\n' "$out"
}

# Writes DIR/Cargo.lock from DIR/Cargo.lock.recorded. A Cargo.lock that
# differs (a hand-made change) is kept as Cargo.lock.unrecorded, not lost.
pod_lock_materialise() { # dir
  local dir=$1 tmp
  [ -f "$dir/Cargo.lock.recorded" ] || { _pod_lock_log "no $dir/Cargo.lock.recorded"; return 1; }
  tmp=$(mktemp)
  pod_lock_render "$dir/Cargo.lock.recorded" >"$tmp" || { rm -f "$tmp"; return 1; }
  if [ -f "$dir/Cargo.lock" ] && cmp -s "$tmp" "$dir/Cargo.lock"; then
    rm -f "$tmp"
    return 0
  fi
  if [ -f "$dir/Cargo.lock" ]; then
    mv "$dir/Cargo.lock" "$dir/Cargo.lock.unrecorded"
    _pod_lock_log "$dir/Cargo.lock was not the recorded resolution: kept as Cargo.lock.unrecorded" \
      "(to change the resolution: bash scripts/lock.sh update)"
  fi
  mv "$tmp" "$dir/Cargo.lock"
}

# The versions (name version) of a lock file, sorted.
_pod_lock_versions() { awk '/^name = / { n = $3 } /^version = / { print n, $3 }' "$1" | tr -d '"' | sort; }

# Fails unless DIR's Cargo.lock is its recorded resolution and cargo, given
# it, would change nothing (downloads, and checks the checksums of, every
# crate of the resolution).
pod_lock_check() { # dir
  local dir=$1 tmp
  tmp=$(mktemp)
  pod_lock_tokenise "$dir/Cargo.lock" >"$tmp" || { rm -f "$tmp"; return 1; }
  if ! cmp -s "$tmp" "$dir/Cargo.lock.recorded"; then
    _pod_lock_log "$dir/Cargo.lock is not the recorded resolution:"
    diff <(_pod_lock_versions "$dir/Cargo.lock.recorded") <(_pod_lock_versions "$tmp") >&2 || true
    rm -f "$tmp"
    return 1
  fi
  rm -f "$tmp"
  (cd "$dir" && cargo fetch -q --locked) || {
    _pod_lock_log "the manifests in $dir need another resolution than the recorded one:" \
      "record a deliberate change with: bash scripts/lock.sh update"
    return 1
  }
}

# Re-resolves DIR deliberately and records the result.
pod_lock_update() { # dir [cargo update args…]
  local dir=$1 before
  shift
  before=$(mktemp)
  cp "$dir/Cargo.lock" "$before"
  if [ $# = 0 ]; then
    (cd "$dir" && cargo metadata -q --format-version 1 >/dev/null) || return 1
  else
    (cd "$dir" && cargo update "$@") || return 1
  fi
  pod_lock_tokenise "$dir/Cargo.lock" >"$dir/Cargo.lock.recorded.new" || return 1
  mv "$dir/Cargo.lock.recorded.new" "$dir/Cargo.lock.recorded"
  _pod_lock_log "recorded $dir/Cargo.lock.recorded; versions that moved (< before, > after):"
  diff <(_pod_lock_versions "$before") <(_pod_lock_versions "$dir/Cargo.lock") >&2 || true
  rm -f "$before"
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  set -euo pipefail
  here=$(cd "$(dirname "$0")" && pwd)
  # shellcheck source=setup.sh
  . "$here/setup.sh"
  root=$(cd "$here/.." && pwd)
  case "${1:-}" in
    check)
      for d in "${POD_LOCK_DIRS[@]}"; do pod_lock_check "$root/$d"; done
      _pod_lock_log "${POD_LOCK_DIRS[*]}: each builds exactly its recorded resolution"
      ;;
    update)
      shift
      dir=$root
      if [ "${1:-}" = --in ]; then dir=$root/$2; shift 2; fi
      [ -f "$dir/Cargo.lock.recorded" ] || { _pod_lock_log "no recorded resolution in $dir"; exit 2; }
      pod_lock_update "$dir" "$@"
      ;;
    *)
      sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//' >&2
      exit 2
      ;;
  esac
fi
