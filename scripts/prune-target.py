#!/usr/bin/env python3
"""Deletes compiled units of one Cargo profile that no current build uses.

The shared target directory outlives clones and dependency updates: every
resolution or feature set that ever compiled leaves its units behind (one
stale copy of librocksdb-sys alone is 2.6 GB). Cargo names each unit's files
and directories `<name>-<16 hex hash>`; the builds' JSON messages (also sent
for units that were fresh) name every file they use. Everything in `deps/`,
`build/` and `.fingerprint/` whose hash no build named is deleted.

Usage:
  cargo ... --message-format=json | prune-target.py record UNITS
      appends the hashes of the units the build used to UNITS; run it on each
      build as it runs (an uplifted binary is resolved before a later build of
      another variant replaces it)
  prune-target.py prune PROFILE_DIR UNITS
      deletes every unit of that profile whose hash UNITS does not list
      (POD_PRUNE_VERBOSE=1 names each one)
"""

import json
import os
import re
import shutil
import sys
from pathlib import Path

HASH = re.compile(r"-([0-9a-f]{16})(?=[._/]|$)")
INCOMPLETE = "incomplete"


def uplifted_hash(path: Path, deps: Path):
    """Hash of the unit behind an uplifted file (`debug/pod-node`, a workspace
    member's `lib*.rlib`): cargo hard-links it from `deps/`, or copies it when
    it cannot; then the newest `deps/` file of that name is the one."""
    st = stat_or_none(path)
    if st is None:
        return None
    stem = path.stem.replace("-", "_")
    # A binary has no suffix: only `deps/` names without a dot are its
    # candidates (rustc's `*.rcgu.o` temporaries come and go while it runs).
    candidates = []
    for e in deps.glob(f"{stem}-*{path.suffix}"):
        if not HASH.search(e.name) or (not path.suffix and "." in e.name):
            continue
        est = stat_or_none(e)
        if est is not None:
            candidates.append((e, est))
    for e, est in candidates:
        if est.st_ino == st.st_ino:
            return HASH.search(e.name).group(1)
    if candidates:
        newest, _ = max(candidates, key=lambda c: c[1].st_mtime)
        return HASH.search(newest.name).group(1)
    return None


def stat_or_none(path: Path):
    """A concurrent build may delete a file between listing and stat."""
    try:
        return path.stat()
    except OSError:
        return None


def record(stream, out):
    """Never fails the build it listens to: a message it cannot read marks the
    listing incomplete (prune then deletes nothing) and it reads on."""
    used = set()
    for line in stream:
        if not line.startswith("{"):
            continue
        try:
            used.update(hashes_named(json.loads(line)))
        except (ValueError, OSError) as e:
            print(f"prune-target: listing incomplete: {e}", file=sys.stderr)
            used.add(INCOMPLETE)
    with open(out, "a", encoding="utf-8") as f:
        f.writelines(h + "\n" for h in sorted(used))


def hashes_named(msg):
    names = list(msg.get("filenames") or [])
    names += [msg.get("out_dir") or "", msg.get("executable") or ""]
    for name in names:
        found = HASH.findall(name)
        if not found and name:
            path = Path(name)
            h = uplifted_hash(path, path.parent / "deps")
            found = [h] if h else []
        yield from found


def size_of(p: Path) -> int:
    if p.is_symlink() or p.is_file():
        return p.lstat().st_size
    return sum(f.lstat().st_size for f in p.rglob("*") if not f.is_symlink() and f.is_file())


def remove(entry: Path) -> int:
    """Deletes a file or directory and returns the bytes it held."""
    size = size_of(entry)
    if os.environ.get("POD_PRUNE_VERBOSE"):
        print(f"prune: {entry}", file=sys.stderr)
    if entry.is_dir() and not entry.is_symlink():
        shutil.rmtree(entry)
    else:
        entry.unlink()
    return size


def main() -> int:
    if len(sys.argv) == 3 and sys.argv[1] == "record":
        record(sys.stdin, sys.argv[2])
        return 0
    if len(sys.argv) != 4 or sys.argv[1] != "prune":
        print(__doc__, file=sys.stderr)
        return 2
    profile = Path(sys.argv[2])
    with open(sys.argv[3], encoding="utf-8") as f:
        used = {line.strip() for line in f if line.strip()}
    if INCOMPLETE in used:
        print("prune: a build's listing was incomplete; nothing deleted", file=sys.stderr)
        return 1
    if len(used) < 50:
        # A failed or empty listing must never empty the cache.
        print(f"prune: only {len(used)} units named; nothing deleted", file=sys.stderr)
        return 1
    freed = removed = kept = 0
    for sub in ("deps", "build", ".fingerprint"):
        d = profile / sub
        if not d.is_dir():
            continue
        for entry in d.iterdir():
            m = HASH.search(entry.name)
            if not m or m.group(1) in used:
                kept += 1
                continue
            freed += remove(entry)
            removed += 1
    # rustc keeps one incremental directory per crate and variant; keep the
    # three newest per crate (library, test harness, benchmark features).
    inc = profile / "incremental"
    if inc.is_dir():
        by_crate = {}
        for entry in inc.iterdir():
            by_crate.setdefault(entry.name.rsplit("-", 1)[0], []).append(entry)
        for entries in by_crate.values():
            entries.sort(key=lambda e: e.stat().st_mtime, reverse=True)
            for entry in entries[3:]:
                freed += remove(entry)
                removed += 1
    print(
        f"prune {profile}: {len(used)} units in use, {kept} entries kept, "
        f"{removed} removed, {freed / 2**30:.1f} GiB freed",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
