#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""`ward create` of an isolated container with an empty idmap registry and
with LIVE (default 15000) live allocations in it (issue 15: the cost must
not grow with the number of containers), and a create without a user
namespace as the baseline.  Medians over ROUNDS.

Runs ward in a private mount namespace whose /run/ward-idmap is a tmpfs
(what /run is on a usual host) and whose /etc/subuid, /etc/subgid are
fakes: the host's registry is never touched.  The LIVE entries are written
straight into the registry's files (containers that exist: their state
directories are there), the index hint left for ward to rebuild on the
first allocation.  Run as root from the repository root:
    /usr/bin/python3 bench/idmap_registry.py [ROUNDS] [LIVE]"""
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.join(REPO, "tests"))
WARD = os.environ.get("WARD_BIN", os.path.join(REPO, "ward"))
K = 65536
B = 1000000


def fnv1a(data, h=0xcbf29ce484222325):
    for c in data:
        h = ((h ^ c) * 0x100000001b3) & 0xFFFFFFFFFFFFFFFF
    return h


def populate(reg, state, n):
    """N isolated entries as ward writes them (idmap_registry.h)."""
    os.makedirs(os.path.join(reg, "entries"), exist_ok=True)
    os.makedirs(os.path.join(reg, "slots"), exist_ok=True)
    for i in range(n):
        cid = "live-%d" % i
        os.mkdir(os.path.join(state, cid))
        name = "c-%016x" % fnv1a(state.encode() + b"\0" + cid.encode())
        base = B + K * (i + 1)
        e = {"version": 1, "container": {"root": state, "id": cid},
             "kind": "isolated", "uid": {"base": base, "size": K},
             "gid": {"base": base, "size": K}}
        with open(os.path.join(reg, "entries", name), "w") as f:
            json.dump(e, f)
        for slot in range(base >> 16, ((base + K - 1) >> 16) + 1):
            d = os.path.join(reg, "slots", str(slot))
            os.makedirs(d, exist_ok=True)
            open(os.path.join(d, "ib.%d.%d.%s" % (base, K, name)), "w").close()


def main():
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 10
    live = int(sys.argv[2]) if len(sys.argv) > 2 else 15000
    if os.geteuid() != 0 or not os.access(WARD, os.X_OK):
        sys.exit("idmap_registry.py: run as root after building %s" % WARD)
    import conftest
    tmp = tempfile.mkdtemp(prefix="ward-bench-idmap.")
    os.chmod(tmp, 0o711)
    holder = subprocess.Popen(["unshare", "-m", "--propagation", "private",
                               "sleep", "infinity"])
    try:
        ns = ["nsenter", "--mount=/proc/%d/ns/mnt" % holder.pid, "--"]
        for _ in range(200):
            if os.stat("/proc/%d/ns/mnt" % holder.pid).st_ino != \
                    os.stat("/proc/self/ns/mnt").st_ino:
                break
            time.sleep(0.01)
        with open(os.path.join(tmp, "subid"), "w") as f:
            f.write("root:%d:1000000000\n" % B)
        subprocess.run(ns + ["sh", "-ec",
                             "mkdir -p /run/ward-idmap; mount -t tmpfs -o "
                             "mode=0700 bench /run/ward-idmap; for f in subuid "
                             "subgid; do touch /etc/$f 2>/dev/null || true; "
                             "mount --bind %s/subid /etc/$f; done" % tmp],
                       check=True)
        rootfs = os.path.join(tmp, "rootfs")
        conftest.make_rootfs(rootfs)
        bundles = {}
        for kind in ("isolated", "plain"):
            b = os.path.join(tmp, kind)
            os.makedirs(b)
            os.symlink(rootfs, os.path.join(b, "rootfs"))
            c = conftest.default_config(["true"])
            c["root"]["readonly"] = True
            if kind == "isolated":
                c["annotations"] = {"ward.idmap.isolated": "true"}
            with open(os.path.join(b, "config.json"), "w") as f:
                json.dump(c, f)
            bundles[kind] = b
        root = os.path.join(tmp, "state")

        def create_ms(kind, cid):
            t = time.monotonic()
            subprocess.run(ns + [WARD, "--root", root, "create", "--bundle",
                                 bundles[kind], cid], check=True,
                           stdout=subprocess.DEVNULL)
            ms = (time.monotonic() - t) * 1e3
            subprocess.run(ns + [WARD, "--root", root, "delete", "--force",
                                 cid], check=True)
            return ms

        res = {}
        res["plain"] = [create_ms("plain", "p%d" % i) for i in range(rounds)]
        res["empty"] = [create_ms("isolated", "e%d" % i)
                        for i in range(rounds)]
        fake = os.path.join(tmp, "live-state")
        os.makedirs(fake)
        t = time.monotonic()
        populate("/proc/%d/root/run/ward-idmap" % holder.pid, fake, live)
        fill = time.monotonic() - t
        warm = create_ms("isolated", "warm")  # rebuilds the index hint
        res["full"] = [create_ms("isolated", "f%d" % i)
                       for i in range(rounds)]
        print("ward create (median of %d), idmap registry on tmpfs:" % rounds)
        print("  no user namespace (baseline):        %6.2f ms"
              % statistics.median(res["plain"]))
        print("  isolated, empty registry:            %6.2f ms"
              % statistics.median(res["empty"]))
        print("  isolated, %5d live allocations:     %6.2f ms"
              % (live, statistics.median(res["full"])))
        print("  (first create after the %d were written: %.1f ms, rebuilding "
              "the slot hint; writing them took %.1f s)" % (live, warm, fill))
    finally:
        holder.kill()
        holder.wait()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
