#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Isolated containers through ctr (containerd's overlayfs snapshotter):
idmapped overlay layers against ward.idmap.chown=true, on a locally built
image of busybox plus a 64 MiB file (no registry).  Each sample is one
`ctr run --rm` of /bin/true on a fresh snapshot, the two kinds alternating;
the median wall time of each and the ratio are printed.  Runs in a private
mount namespace with a fake root range, like tests/test_idmap_clients.py.

Environment: BENCH_IDMAP_ROUNDS (5), WARD_BIN (./ward)."""
import os
import pathlib
import statistics
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "tests"))
os.environ.setdefault("WARD_BIN", os.path.join(os.path.dirname(HERE), "ward"))

from client_helpers import containerd_client  # noqa: E402
from conftest import WARD, make_rootfs  # noqa: E402
from test_idmap import POOL, Host  # noqa: E402


def main():
    rounds = int(os.environ.get("BENCH_IDMAP_ROUNDS", "5"))
    tmp = pathlib.Path(tempfile.mkdtemp(prefix="ward-bench-idmap-"))
    rootfs = str(tmp / "rootfs")
    make_rootfs(rootfs)
    os.makedirs(os.path.join(rootfs, "run"))
    with open(os.path.join(rootfs, "payload"), "wb") as f:
        f.write(os.urandom(64 << 20))
    host = Host(tmp)
    host.shadow(POOL)
    times = {"idmapped layers": [], "ward.idmap.chown=true": []}
    try:
        with containerd_client(tmp, rootfs, "wardbench", host.prefix()) as ctr:
            for r in range(rounds):
                for kind, extra in (("idmapped layers", []),
                                    ("ward.idmap.chown=true",
                                     ["--annotation", "ward.idmap.chown=true"])):
                    t = time.monotonic()
                    p = ctr("run", "--rm", "--runc-binary", WARD,
                            "--annotation", "ward.idmap.isolated=true",
                            *extra, ctr.image, "b%d" % r, "true")
                    times[kind].append(time.monotonic() - t)
                    if p.returncode != 0:
                        sys.exit("ctr run (%s): %s" % (kind, p.stderr.strip()))
    finally:
        host.close()
        import shutil
        shutil.rmtree(str(tmp), ignore_errors=True)
    base = statistics.median(times["idmapped layers"])
    print("isolated container via ctr, image 64 MiB + busybox, "
          "%d rounds (ctr run --rm true):" % rounds)
    for kind, ts in times.items():
        m = statistics.median(ts)
        print("  %-24s %8.0f ms  x%.2f" % (kind, m * 1000, m / base))


if __name__ == "__main__":
    main()
