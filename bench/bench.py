#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""make bench: ward, crun, runc and the bare-kernel floor side by side.

Every item runs in interleaved rounds (one sample of each runtime per round,
the order rotating), so a slow moment of this shared machine hits all of
them; the table shows medians and, per pair, the median of the per-round
ratios.  Items:
  run        RUNTIME run of a busybox /bin/true bundle (create, start, wait,
             delete); floor: unshare -m -p -n -i -u -f --mount-proc chroot
  exec       RUNTIME exec ID /bin/true into a running container; floor:
             nsenter into its namespaces and root
  batch-1/2  create+start+delete of BENCH_BATCH containers by 1 and 2
             parallel workers, in containers per second
  seccomp    create with podman's default profile: cold (fresh state root)
             and cached (second container on that root), and without one
  max RSS    of the runtime process during run (GNU time), binary size
crun refuses this host's hybrid cgroup layout, so everything above runs in a
private mount namespace whose /sys/fs/cgroup is a pure cgroup2 mount (the
"v2 view"); `run` is measured on the hybrid host too, for ward and runc.
The result goes to stdout and, as JSON, to BENCH_JSON (build/bench.json).

Environment: BENCH_ROUNDS (30), BENCH_BATCH (100), BENCH_BATCH_ROUNDS (3),
BENCH_SECCOMP_ROUNDS (10), WARD_BIN (./ward).
"""
import json
import os
import platform
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(REPO, "tests"))
WARD = os.path.abspath(os.environ.get("WARD_BIN", os.path.join(REPO, "ward")))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "30"))
BATCH = int(os.environ.get("BENCH_BATCH", "100"))
BATCH_ROUNDS = int(os.environ.get("BENCH_BATCH_ROUNDS", "3"))
SECCOMP_ROUNDS = int(os.environ.get("BENCH_SECCOMP_ROUNDS", "10"))
OUT = os.environ.get("BENCH_JSON", os.path.join(REPO, "build", "bench.json"))
DN = subprocess.DEVNULL


class Failed(Exception):
    pass


_NULL = os.open(os.devnull, os.O_RDWR)
_local = threading.local()


def _errfile():
    """This thread's stderr file: an unlinked temporary, emptied per call."""
    if not hasattr(_local, "err"):
        _local.err = tempfile.TemporaryFile("w+b")
    f = _local.err
    f.seek(0)
    f.truncate()
    return f


def sh(argv, check=True):
    # stderr to a file, not a pipe: after `create` the container's init
    # (runc, crun) or ward's waiting init keeps it open until `start`.
    # posix_spawn and one reused file: what is timed is the runtime, not
    # Python's process machinery (subprocess.run and a new temporary file
    # per call added ~1 ms to every sample, pulling every ratio towards 1).
    err = _errfile()
    pid = os.posix_spawnp(argv[0], argv, os.environ, file_actions=[
        (os.POSIX_SPAWN_DUP2, _NULL, 1), (os.POSIX_SPAWN_DUP2, err.fileno(), 2)],
        setsigdef=(signal.SIGPIPE, signal.SIGXFSZ))  # as subprocess restores
    _, status = os.waitpid(pid, 0)
    rc = os.waitstatus_to_exitcode(status)
    if check and rc != 0:
        err.seek(0)
        raise Failed("%s: exit %d: %s" % (" ".join(argv), rc,
                                          err.read().decode(errors="replace")
                                          .strip()[-300:]))
    return rc


def timed(argv):
    t0 = time.monotonic()
    sh(argv)
    return time.monotonic() - t0


def make_bundles(tmp):
    from conftest import default_config, make_rootfs
    rootfs = os.path.join(tmp, "rootfs")
    make_rootfs(rootfs)
    with open(os.path.join(REPO, "tests", "data", "podman-seccomp.json")) as f:
        profile = json.load(f)

    def bundle(name, args, seccomp=None):
        b = os.path.join(tmp, name)
        os.makedirs(b)
        c = default_config(args)
        c["root"]["path"] = rootfs  # one rootfs for all (runc refuses a symlink)
        c["ociVersion"] = "1.0.2"  # crun 1.8 refuses newer versions
        # the same work for all three: no resources, no cgroup mount
        del c["linux"]["resources"]
        c["mounts"] = [m for m in c["mounts"] if m["type"] != "cgroup"]
        if seccomp:
            c["linux"]["seccomp"] = seccomp
        with open(os.path.join(b, "config.json"), "w") as f:
            json.dump(c, f)
        return b
    return {"rootfs": rootfs, "true": bundle("true", ["/bin/true"]),
            "sleep": bundle("sleep", ["/bin/sleep", "3600"]),
            "seccomp": bundle("seccomp", ["/bin/true"], profile)}


class Runtime:
    def __init__(self, name, binary, tmp):
        self.name, self.binary = name, binary
        self.root = os.path.join(tmp, "root-" + name)
        self.n = 0

    def cmd(self, *args, root=None):
        return [self.binary, "--root", root or self.root] + list(args)

    def new_id(self):
        self.n += 1
        return "bench-%s-%d-%d" % (self.name, os.getpid(), self.n)


def runtimes(tmp, names):
    out = []
    for name in names:
        b = WARD if name == "ward" else shutil.which(name)
        if b is None or not os.access(b, os.X_OK):
            print("bench: %s not installed, its column stays empty" % name)
            continue
        out.append(Runtime(name, b, tmp))
    return out


def interleave(rounds, entries):
    """entries: [(name, fn() -> sample)].  Round r starts at entry r, so no
    runtime always runs first (after a cold cache) or last."""
    samples = {name: [] for name, _ in entries}
    for r in range(rounds):
        for k in range(len(entries)):
            name, fn = entries[(r + k) % len(entries)]
            samples[name].append(fn())
    return samples


def item_run(rts, b, rounds):
    entries = [("floor", lambda: timed(
        ["unshare", "-m", "-p", "-n", "-i", "-u", "-f", "--mount-proc",
         "chroot", b["rootfs"], "/bin/true"]))]
    for rt in rts:
        entries.append((rt.name, lambda rt=rt: timed(
            rt.cmd("run", "--bundle", b["true"], rt.new_id()))))
    return interleave(rounds, entries)


def item_rss(rts, b, rounds):
    """Peak RSS in KiB through GNU time: a fork of this Python would count
    its own pages into the child's high-water mark."""
    out = tempfile.NamedTemporaryFile("r")

    def rss(argv):
        sh(["/usr/bin/time", "-f", "%M", "-o", out.name] + argv)
        out.seek(0)
        return int(out.read().split()[-1])
    entries = [("floor", lambda: rss(
        ["unshare", "-m", "-p", "-n", "-i", "-u", "-f", "--mount-proc",
         "chroot", b["rootfs"], "/bin/true"]))]
    for rt in rts:
        entries.append((rt.name, lambda rt=rt: rss(
            rt.cmd("run", "--bundle", b["true"], rt.new_id()))))
    return interleave(rounds, entries)


def container_pid(rt, cid):
    p = subprocess.run(rt.cmd("state", cid), capture_output=True, text=True,
                       check=True)
    return json.loads(p.stdout)["pid"]


def item_exec(rts, b, rounds):
    running = []
    try:
        for rt in rts:
            cid = rt.new_id()
            sh(rt.cmd("create", "--bundle", b["sleep"], cid))
            running.append((rt, cid))
            sh(rt.cmd("start", cid))
        pid = container_pid(*running[0])
        entries = [("floor", lambda: timed(
            ["nsenter", "-t", str(pid), "-m", "-p", "-n", "-i", "-u", "-r",
             "-w", "/bin/true"]))]
        for rt, cid in running:
            entries.append((rt.name, lambda rt=rt, cid=cid: timed(
                rt.cmd("exec", cid, "/bin/true"))))
        return interleave(rounds, entries)
    finally:
        for rt, cid in running:
            sh(rt.cmd("delete", "--force", cid), check=False)


def batch(rt, b, n, workers):
    """Containers per second: N create+start+delete, WORKERS at a time."""
    errors = []

    def work(count):
        try:
            for _ in range(count):
                cid = rt.new_id()
                sh(rt.cmd("create", "--bundle", b["true"], cid))
                sh(rt.cmd("start", cid))
                sh(rt.cmd("delete", "--force", cid))
        except Failed as e:
            errors.append(e)
    share = [n // workers + (i < n % workers) for i in range(workers)]
    threads = [threading.Thread(target=work, args=(c,)) for c in share]
    t0 = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    dt = time.monotonic() - t0
    if errors:
        raise errors[0]
    return n / dt


def item_batch(rts, b, rounds, workers):
    return interleave(rounds, [(rt.name, lambda rt=rt: batch(rt, b, BATCH, workers))
                               for rt in rts])


def item_seccomp(rts, b, rounds):
    """create time with the podman profile on a fresh state root (cold),
    again on that root (cached, for a runtime that caches), and create
    without seccomp; the containers are deleted untimed."""
    samples = {}
    for rt in rts:
        for kind in ("cold", "cached", "none"):
            samples["%s %s" % (rt.name, kind)] = []
    for r in range(rounds):
        for k in range(len(rts)):
            rt = rts[(r + k) % len(rts)]
            root = "%s-seccomp-%d" % (rt.root, r)
            made = []
            try:
                for kind, bundle in (("cold", "seccomp"), ("cached", "seccomp"),
                                     ("none", "true")):
                    cid = rt.new_id()
                    samples["%s %s" % (rt.name, kind)].append(
                        timed(rt.cmd("create", "--bundle", b[bundle], cid, root=root)))
                    made.append(cid)
            finally:
                for cid in made:
                    sh(rt.cmd("delete", "--force", cid, root=root), check=False)
    return samples


def summarize(samples, lower_is_better=True):
    s = {"median": {k: statistics.median(v) for k, v in samples.items() if v},
         "samples": samples, "ratio": {}}
    names = [k for k in samples if samples[k]]
    for a in names:
        for c in names:
            if a != c and len(samples[a]) == len(samples[c]):
                s["ratio"]["%s/%s" % (a, c)] = statistics.median(
                    x / y for x, y in zip(samples[a], samples[c]))
    return s


def inner(tmp):
    """In the v2 view: every item for all runtimes, as JSON on stdout."""
    b = json.load(open(os.path.join(tmp, "bundles.json")))
    rts = runtimes(tmp, ["ward", "crun", "runc"])
    try:
        measure_all(rts, b)
    finally:
        # what a failed item left behind, while still in this view
        for rt in rts:
            for root in [rt.root] + [os.path.join(tmp, d) for d in os.listdir(tmp)
                                     if d.startswith("root-%s-" % rt.name)]:
                p = subprocess.run(rt.cmd("list", "-q", root=root),
                                   capture_output=True, text=True)
                for cid in p.stdout.split():
                    sh(rt.cmd("delete", "--force", cid, root=root), check=False)


def measure_all(rts, b):
    res = {}
    res["run"] = summarize(item_run(rts, b, ROUNDS))
    res["max RSS (run)"] = summarize(item_rss(rts, b, min(ROUNDS, 5)))
    res["exec"] = summarize(item_exec(rts, b, ROUNDS))
    for w in (1, 2):
        res["batch-%d c/s" % w] = summarize(item_batch(rts, b, BATCH_ROUNDS, w),
                                            lower_is_better=False)
    sc = item_seccomp(rts, b, SECCOMP_ROUNDS)
    for kind in ("cold", "cached", "none"):
        res["seccomp create %s" % kind] = summarize(
            {rt.name: sc["%s %s" % (rt.name, kind)] for rt in rts})
    json.dump(res, sys.stdout)


def binary_sizes(tmp):
    out = {}
    for name in ("ward", "crun", "runc"):
        b = WARD if name == "ward" else shutil.which(name)
        if not b:
            continue
        # what `make install` puts on disk: stripped
        s = os.path.join(tmp, "size-" + name)
        sh(["strip", "-o", s, b], check=False)
        out[name] = {"file": os.path.getsize(b),
                     "stripped": os.path.getsize(s) if os.path.exists(s) else None}
    return out


def machine():
    cpu = "?"
    for line in open("/proc/cpuinfo"):
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    ver = {}
    for name in ("crun", "runc"):
        if shutil.which(name):
            ver[name] = subprocess.run([name, "--version"], capture_output=True,
                                       text=True).stdout.splitlines()[0]
    ver["ward"] = subprocess.run([WARD, "--version"], capture_output=True,
                                 text=True).stdout.strip().splitlines()[0]
    return {"kernel": platform.release(), "cpu": cpu, "cpus": os.cpu_count(),
            "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
            "versions": ver}


def fmt(item, v):
    if v is None:
        return "-"
    if item.startswith("binary size"):
        return "%d KB" % (v / 1000)
    if item.startswith("max RSS"):
        return "%.1f MB" % (v / 1024)
    if "c/s" in item:
        return "%.0f" % v
    return "%.2f ms" % (v * 1000)


def table(res):
    cols = ["floor", "ward", "crun", "runc"]
    pairs = ["ward/crun", "ward/floor", "ward/runc"]
    rows = [["", *cols, *pairs]]
    for item, s in res.items():
        med = s["median"]
        rows.append([item] + [fmt(item, med.get(c)) for c in cols] +
                    ["%.2f" % s["ratio"][p] if p in s["ratio"] else "-" for p in pairs])
    w = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = []
    for k, r in enumerate(rows):
        lines.append("| " + " | ".join(c.ljust(w[i]) for i, c in enumerate(r)) + " |")
        if k == 0:
            lines.append("|" + "|".join("-" * (x + 2) for x in w) + "|")
    return "\n".join(lines)


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "--inner":
        inner(sys.argv[2])
        return
    if os.geteuid() != 0:
        raise SystemExit("bench: run as root (make bench)")
    # State roots on tmpfs, as in real use (/run/ward, /run/crun); where
    # /run is not one (this VM's is ext4), /dev/shm.
    fs = subprocess.run(["stat", "-f", "-c", "%T", "/run"], capture_output=True,
                        text=True).stdout.strip()
    tmp = tempfile.mkdtemp(prefix="ward-bench-",
                           dir="/run" if fs == "tmpfs" else "/dev/shm")
    try:
        b = make_bundles(tmp)
        with open(os.path.join(tmp, "bundles.json"), "w") as f:
            json.dump(b, f)
        res = {}
        # The v2 view: a private mount namespace, pure cgroup2 /sys/fs/cgroup.
        script = ("mount -t cgroup2 none /sys/fs/cgroup && exec /usr/bin/python3 "
                  "%s --inner %s" % (os.path.abspath(__file__), tmp))
        p = subprocess.run(["unshare", "-m", "--propagation", "private", "sh", "-c",
                            script], stdout=subprocess.PIPE, text=True)
        if p.returncode != 0:
            raise SystemExit("bench: the v2-view run failed (exit %d)" % p.returncode)
        res.update(json.loads(p.stdout.splitlines()[-1]))
        # The hybrid host, where crun does not run.
        rts = runtimes(tmp, ["ward", "runc"])
        res["run (hybrid host)"] = summarize(item_run(rts, b, ROUNDS))
        sizes = binary_sizes(tmp)
        res["binary size (stripped)"] = {
            "median": {k: v["stripped"] for k, v in sizes.items()},
            "ratio": {"ward/%s" % k: sizes["ward"]["stripped"] / v["stripped"]
                      for k, v in sizes.items() if k != "ward" and v["stripped"]},
            "file": sizes}
        m = machine()
        out = {"machine": m, "rounds": ROUNDS, "batch": BATCH,
               "batch_rounds": BATCH_ROUNDS, "seccomp_rounds": SECCOMP_ROUNDS,
               "items": res}
        os.makedirs(os.path.dirname(OUT), exist_ok=True)
        with open(OUT, "w") as f:
            json.dump(out, f, indent=1)
        print("\n%s; %s, %d CPUs, kernel %s; %s" % (
            m["date"], m["cpu"], m["cpus"], m["kernel"],
            ", ".join(m["versions"].values())))
        print("rounds: %d (run, exec), %dx%d containers (batch), %d (seccomp); "
              "ratios are medians of per-round ratios\n" % (
                  ROUNDS, BATCH_ROUNDS, BATCH, SECCOMP_ROUNDS))
        print(table(res))
        print("\nbatch rows are containers per second: there a ratio above 1 puts"
              " ward ahead.")
        print("\nJSON: %s" % OUT)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        remove_stale_cgroups()


def remove_stale_cgroups():
    """runc 1.1.5 sometimes leaves a container's (empty) directory in the
    hybrid host's cgroup2 hierarchy: remove those of this run and of bench
    runs whose process is gone, so the bench leaves nothing behind."""
    import glob
    import re
    for d in glob.glob("/sys/fs/cgroup/*/bench-*") + glob.glob("/sys/fs/cgroup/bench-*"):
        m = re.search(r"/bench-(ward|crun|runc)-(\d+)-\d+$", d)
        if m and (int(m.group(2)) == os.getpid()
                  or not os.path.exists("/proc/" + m.group(2))):
            try:
                os.rmdir(d)
            except OSError:
                pass


if __name__ == "__main__":
    main()
