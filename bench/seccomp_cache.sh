#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# `ward create` time with the ~360-syscall podman-shaped seccomp profile:
# first container on a fresh state root (libseccomp compiles the profile)
# against the next one (the BPF comes from STATE_ROOT/seccomp-cache), and a
# no-seccomp baseline.  Medians over ROUNDS (default 10).  Run as root from
# the repository root:  sh bench/seccomp_cache.sh [ROUNDS]
set -eu

ROUNDS=${1:-10}
REPO=$(cd "$(dirname "$0")/.." && pwd)
WARD=${WARD_BIN:-$REPO/ward}
PY=/usr/bin/python3
[ -x "$WARD" ] || { echo "seccomp_cache.sh: build ward first ($WARD)" >&2; exit 1; }

TMP=$(mktemp -d /tmp/ward-bench-seccomp.XXXXXX)
cleanup() {
	for r in "$TMP"/root-*; do
		[ -d "$r" ] || continue
		for c in $("$WARD" --root "$r" list -q 2>/dev/null); do
			"$WARD" --root "$r" delete --force "$c" >/dev/null 2>&1 || true
		done
	done
	rm -rf "$TMP"
}
trap cleanup EXIT INT TERM

# Two bundles sharing one rootfs: with and without the profile.
"$PY" - "$REPO" "$TMP" <<'PYEOF'
import json, os, sys
repo, tmp = sys.argv[1], sys.argv[2]
sys.path.insert(0, os.path.join(repo, "tests"))
import conftest
rootfs = os.path.join(tmp, "rootfs")
conftest.make_rootfs(rootfs)
with open(os.path.join(repo, "tests", "data", "podman-seccomp.json")) as f:
    profile = json.load(f)
for name, seccomp in (("with", profile), ("without", None)):
    b = os.path.join(tmp, name)
    os.makedirs(b)
    os.symlink(rootfs, os.path.join(b, "rootfs"))
    c = conftest.default_config(["true"])
    if seccomp:
        c["linux"]["seccomp"] = seccomp
    with open(os.path.join(b, "config.json"), "w") as f:
        json.dump(c, f)
PYEOF

now_us() { echo $(( $(date +%s%N) / 1000 )); }

# create_us ROOT BUNDLE ID: microseconds `ward create` took; then delete.
create_us() {
	t0=$(now_us)
	timeout 60 "$WARD" --root "$1" create --bundle "$2" "$3" >/dev/null
	t1=$(now_us)
	timeout 60 "$WARD" --root "$1" delete --force "$3" >/dev/null
	echo $((t1 - t0))
}

median() { sort -n | awk '{a[NR]=$1} END {m=a[int((NR+1)/2)]; printf "%.1f", m/1000}'; }

: >"$TMP/first"; : >"$TMP/cached"; : >"$TMP/none"
i=0
while [ $i -lt "$ROUNDS" ]; do
	root="$TMP/root-$i"
	create_us "$root" "$TMP/with" "bench-first-$i" >>"$TMP/first"
	create_us "$root" "$TMP/with" "bench-cached-$i" >>"$TMP/cached"
	create_us "$root" "$TMP/without" "bench-none-$i" >>"$TMP/none"
	i=$((i + 1))
done

first=$(median <"$TMP/first")
cached=$(median <"$TMP/cached")
none=$(median <"$TMP/none")
echo "seccomp cache: ward create, podman-shaped profile (median of $ROUNDS)"
echo "  first (compiles with libseccomp):  $first ms"
echo "  cached (BPF from the state root):  $cached ms"
echo "  no seccomp at all (baseline):      $none ms"
