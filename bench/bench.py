#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""make bench: ward side by side with runc and crun, one run, as ratios.

For each runtime: N times `RUNTIME run --bundle B ID` of a busybox `true`
container (create + start + wait + delete), wall time per container and the
peak RSS of the runtime process (wait4 rusage).  crun refuses this hybrid
host, so it runs in a private mount namespace whose /sys/fs/cgroup is a pure
cgroup2 mount; the config has no linux.resources so all three do the same.
"""
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests"))
WARD = os.environ.get("WARD_BIN", os.path.join(HERE, "..", "ward"))
N = int(os.environ.get("BENCH_N", "30"))


def make_bundle(path):
    from conftest import default_config, make_rootfs
    make_rootfs(os.path.join(path, "rootfs"))
    c = default_config(["true"])
    c["ociVersion"] = "1.0.2"  # crun 1.8 refuses newer versions
    del c["linux"]["resources"]
    c["mounts"] = [m for m in c["mounts"] if m["type"] != "cgroup"]
    with open(os.path.join(path, "config.json"), "w") as f:
        json.dump(c, f)


def measure(argv_for, n):
    """argv_for(i) -> argv; returns (median seconds, max RSS KiB).

    Timed with wall clock around the whole command; RSS from GNU time in a
    second pass, since a fork of this Python would count its own pages."""
    times, rss = [], 0
    for i in range(n):
        argv = argv_for(i)
        t0 = time.monotonic()
        p = subprocess.run(argv, stdout=subprocess.DEVNULL)
        times.append(time.monotonic() - t0)
        if p.returncode != 0:
            raise SystemExit("bench: %s failed" % " ".join(argv))
    with tempfile.NamedTemporaryFile("r") as out:
        for i in range(min(n, 5)):
            argv = argv_for(n + i)
            subprocess.run(["/usr/bin/time", "-f", "%M", "-o", out.name] + argv,
                           stdout=subprocess.DEVNULL, check=True)
            out.seek(0)
            rss = max(rss, int(out.read().split()[-1]))
    return statistics.median(times), rss


def run_one(name, binary, bundle, root):
    return measure(lambda i: [binary, "--root", root, "run", "--bundle",
                              bundle, "bench-%s-%d-%d" % (name, os.getpid(), i)], N)


def main():
    if len(sys.argv) == 5 and sys.argv[1] == "--inner":
        # inside the pure-v2 mount namespace: print the result as JSON
        t, r = run_one(os.path.basename(sys.argv[2]), sys.argv[2], sys.argv[3],
                       sys.argv[4])
        print(json.dumps([t, r]))
        return
    # State roots on tmpfs, as in real use (/run/ward, /run/runc, /run/crun):
    # on ext4 every state file costs a journal write.
    tmp = tempfile.mkdtemp(prefix="ward-bench-", dir="/run")
    try:
        bundle = os.path.join(tmp, "bundle")
        os.makedirs(bundle)
        make_bundle(bundle)
        results = {}
        results["ward"] = run_one("ward", WARD, bundle, os.path.join(tmp, "ward"))
        runc = shutil.which("runc")
        if runc:
            results["runc"] = run_one("runc", runc, bundle, os.path.join(tmp, "runc"))
        else:
            print("bench: runc not installed, skipped")
        # crun refuses this hybrid host: it runs where /sys/fs/cgroup is a
        # pure cgroup2 mount, and ward runs there too for a like-for-like row.
        def pure_v2(name, binary):
            inner = ("mount -t cgroup2 none /sys/fs/cgroup && exec /usr/bin/python3 "
                     "%s --inner %s %s %s" % (os.path.abspath(__file__), binary,
                                               bundle, os.path.join(tmp, name)))
            p = subprocess.run(["unshare", "-m", "--propagation", "private",
                                "sh", "-c", inner], capture_output=True, text=True)
            if p.returncode != 0:
                print("bench: %s failed on pure v2: %s" % (name, p.stderr.strip()[-200:]))
                return None
            return tuple(json.loads(p.stdout.splitlines()[-1]))
        if shutil.which("crun"):
            r = pure_v2("crun", shutil.which("crun"))
            if r:
                results["crun (v2)"] = r
            r = pure_v2("ward", os.path.abspath(WARD))
            if r:
                results["ward (v2)"] = r
        else:
            print("bench: crun not installed, skipped")
        seccomp = os.path.join(HERE, "seccomp_cache.sh")
        print("\n%d containers each (busybox `true`, run = create+start+wait+delete)\n" % N)
        print("%-10s %10s %8s %12s %8s" % ("", "median ms", "x ward", "max RSS KiB", "x ward"))
        wt, wr = results["ward"]
        for name, (t, r) in results.items():
            print("%-10s %10.1f %8.2f %12d %8.2f" % (name, t * 1000, t / wt, r, r / wr))
        print("\n(ward and runc on this host's hybrid layout: ~10 cgroup hierarchies;"
              " the (v2) rows run in a private mount namespace with a pure cgroup2"
              " /sys/fs/cgroup)")
        if os.path.exists(seccomp):
            print()
            subprocess.run(["sh", seccomp], check=False)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
