# SPDX-License-Identifier: GPL-2.0-or-later
"""What a test session left on the host, found by name (no tests here).

Up to eight sessions share this host and run the same tests, so a name's
prefix ("t-", "wn...", "wardtest") and "it appeared during this session" do
not tell whose an object is: another session's live container matches
both.  Every object a test makes is named here when it is made (own());
the names are random per session (uuid), so at the end of the session a
name still present is this session's leftover and nobody else's.

own(NAME) is a name: a cgroup path component (a container id, a
containerd namespace), a network namespace, a podman container id.
own_path(PATH) is a file or directory (a podman runroot, a containerd
base dir) that must be gone at the end.  Objects found by what they
contain instead of their name: ward state dirs and idmap registry entries
whose state root is one this session used, podman's /run/ward states whose
bundle lies under this session's temp dir.
"""
import fcntl
import json
import os

# name -> nodeid of the test that made it (or "session")
_names = {}
_paths = {}
_roots = set()
_current = ["session"]
_before = {}

# A session killed before its teardown (a timeout, kill -9) cannot clean
# up or report: what it owns is also appended to a journal named after
# it, which the next session reads (reap_dead_sessions).
JOURNALS = "/run/ward-tests"
_journal = [None]


def _proc_start(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[19]
    except (OSError, IndexError):
        return None


def _record(kind, value):
    if _journal[0] is None:
        return
    with open(_journal[0], "a") as f:
        f.write(json.dumps({"k": kind, "v": value, "t": _current[0]}) + "\n")


def set_current(nodeid):
    _current[0] = nodeid


def own(name):
    """NAME (cgroup component, netns, podman id) is this session's."""
    if name not in _names:
        _names[name] = _current[0]
        _record("name", name)
    return name


def own_path(path):
    """PATH must not exist when the session ends."""
    path = os.path.abspath(path)
    if path not in _paths:
        _paths[path] = _current[0]
        _record("path", path)
    return path


def own_root(root):
    """A ward --root this session uses: its states and registry entries."""
    root = os.path.abspath(root)
    if root not in _roots:
        _roots.add(root)
        _record("root", root)


def cgroup_mounts():
    out = []
    with open("/proc/self/mountinfo") as f:
        for line in f:
            pre, post = line.split(" - ", 1)
            if post.split()[0] in ("cgroup", "cgroup2"):
                out.append(pre.split()[4])
    return out


def _subdirs(path):
    try:
        return [e.name for e in os.scandir(path) if e.is_dir(follow_symlinks=False)]
    except OSError:
        return []


def cgroup_dirs(depth=3):
    """Every cgroup directory down to DEPTH levels, as 'MOUNT:/a/b'."""
    found = set()
    for mnt in cgroup_mounts():
        level = [""]
        for _ in range(depth):
            nxt = []
            for rel in level:
                for name in _subdirs(mnt + rel):
                    nxt.append(rel + "/" + name)
            found.update(mnt + ":" + r for r in nxt)
            level = nxt
    return found


def netns_names():
    try:
        return set(os.listdir("/run/netns"))
    except OSError:
        return set()


def _read_json(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def idmap_entries(reg="/run/ward-idmap"):
    """{file name: (state root, id)} of the container entries."""
    out = {}
    d = os.path.join(reg, "entries")
    try:
        names = os.listdir(d)
    except OSError:
        return out
    for n in names:
        if not n.startswith("c-"):
            continue
        e = _read_json(os.path.join(d, n))
        c = (e or {}).get("container") or {}
        out[n] = (c.get("root", ""), c.get("id", ""))
    return out


def run_ward_states(root="/run/ward"):
    """{id: (bundle, netns path)} of the containers in ward's default root
    (podman's, as it passes no --root)."""
    out = {}
    for cid in _subdirs(root):
        st = _read_json(os.path.join(root, cid, "state.json"))
        if st is None:
            continue
        netns = ""
        cfg = _read_json(os.path.join(root, cid, "config.json")) or {}
        for ns in (cfg.get("linux") or {}).get("namespaces") or []:
            if ns.get("type") == "network" and ns.get("path"):
                netns = os.path.basename(ns["path"])
        out[cid] = (st.get("bundle", ""), netns)
    return out


def snapshot():
    return {"cgroups": cgroup_dirs(), "netns": netns_names(),
            "idmap": idmap_entries(), "run_ward": run_ward_states()}


def start():
    _before.update(snapshot())
    try:
        os.makedirs(JOURNALS, mode=0o700, exist_ok=True)
        _journal[0] = os.path.join(JOURNALS, "%d-%s.jsonl" % (
            os.getpid(), _proc_start(os.getpid())))
    except OSError:
        _journal[0] = None


def finish(clean):
    """The session ended: its journal is not needed when it left nothing
    (what it left stays listed for the next session to remove)."""
    j, _journal[0] = _journal[0], None
    if j and clean:
        try:
            os.unlink(j)
            os.rmdir(JOURNALS)
        except OSError:
            pass


def _under(path, dirs):
    path = os.path.abspath(path or "/nonexistent")
    return any(path == d or path.startswith(d.rstrip("/") + "/") for d in dirs)


def leftovers(basetemp):
    """[(what, nodeid)] this session made and left; [what] new since the
    start with a test-like name that is not known to be this session's."""
    now = snapshot()
    before = _before or {"cgroups": set(), "netns": set(), "idmap": {},
                         "run_ward": {}}
    temps = ([os.path.abspath(str(basetemp))] if basetemp else []) + \
        sorted(_roots)
    names = dict(_names)
    # podman containers: ours when their bundle is in our temp dir
    for cid, (bundle, netns) in now["run_ward"].items():
        if _under(bundle, temps):
            names.setdefault(cid, "session")
            if netns:
                names.setdefault(netns, names[cid])
    left, other = [], []

    def owner(component):
        if component in names:
            return names[component]
        for n, who in names.items():
            # podman's libpod-ID, the systemd form's PREFIX-NAME.scope
            if component.endswith("-" + n) or component.startswith(n + "-") \
                    or component == "libpod-" + n:
                return who
        return None

    # one line per cgroup path, with the hierarchies that still have it
    by_rel = {}
    for d in sorted(now["cgroups"] - before["cgroups"]):
        mnt, rel = d.split(":", 1)
        by_rel.setdefault(rel, []).append(os.path.basename(mnt))
    for rel, mnts in sorted(by_rel.items()):
        what = "cgroup %s in %s" % (rel, ",".join(mnts))
        who = next((w for w in map(owner, rel.strip("/").split("/")) if w),
                   None)
        if who:
            left.append((what, who))
        elif rel.startswith("/ward/") or rel.split("/")[1].startswith(
                ("wardtest", "wardidmap", "libpod")):
            other.append(what)
    for n in sorted(now["netns"] - before["netns"]):
        who = owner(n)
        if who:
            left.append(("netns %s" % n, who))
        elif n.startswith(("wn", "wardtest", "netns-")):
            other.append("netns %s" % n)
    for n, (root, cid) in sorted(now["idmap"].items()):
        if n in before["idmap"]:
            continue
        if _under(root, temps) or cid in names:
            left.append(("idmap allocation %s (%s in %s)" % (n, cid, root),
                         names.get(cid, "session")))
    for cid, (bundle, _n) in sorted(now["run_ward"].items()):
        if cid not in before["run_ward"] and _under(bundle, temps):
            left.append(("state /run/ward/%s (bundle %s)" % (cid, bundle),
                         names.get(cid, "session")))
    for root in sorted(_roots):
        for cid in _subdirs(root):
            if cid in names and os.path.exists(
                    os.path.join(root, cid, "state.json")):
                left.append(("state %s/%s" % (root, cid), names[cid]))
    for p, who in sorted(_paths.items()):
        if os.path.lexists(p):
            left.append(("path %s" % p, who))
    return left, other


def _mounts_under(path):
    with open("/proc/self/mountinfo") as f:
        return [l.split()[4] for l in f
                if (l.split()[4] + "/").startswith(path.rstrip("/") + "/")]


def remove_cgroup(rel):
    """Kill what runs in cgroup REL (e.g. /ward/ID) and remove it, in every
    hierarchy: for a container ward no longer knows (its state was removed
    by hand).  Returns the directories that remain."""
    return [mnt + rel for mnt in cgroup_mounts()
            if os.path.isdir(mnt + rel) and not kill_and_rmdir(mnt + rel)]


def kill_and_rmdir(path):
    """Kill what runs in the cgroup PATH (and below), then remove it."""
    import signal
    import time
    for base, dirs, _ in os.walk(path, topdown=False):
        for _ in range(50):
            try:
                with open(os.path.join(base, "cgroup.procs")) as f:
                    pids = [int(x) for x in f.read().split()]
            except OSError:
                pids = []
            for pid in pids:
                try:
                    os.kill(pid, signal.SIGKILL)
                except OSError:
                    pass
            try:
                os.rmdir(base)
                break
            except FileNotFoundError:
                break
            except OSError:
                time.sleep(0.1)
    return not os.path.exists(path)


def reap_dead_sessions(ward_bin):
    """Remove what sessions that died before their end (their journal is
    there, their process is not) left, by the names they recorded: ward
    delete --force in their state roots, then their cgroups, network
    namespaces and paths.  Returns [(what, removed?, nodeid)]."""
    done = []
    try:
        journals = sorted(os.listdir(JOURNALS))
    except OSError:
        return done
    for j in journals:
        pid, _, start = j[:-len(".jsonl")].partition("-")
        if not pid.isdigit() or _proc_start(int(pid)) == start:
            continue  # alive (or not a journal)
        path = os.path.join(JOURNALS, j)
        try:
            lock = open(path)
        except OSError:
            continue
        with lock:
            # one reaper per journal: sessions start together too
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                continue
            if os.path.exists(path):
                done += _reap(path, lock, ward_bin)
    return done


def _reap(journal, f, ward_bin):
    import shutil
    import subprocess
    names, paths, roots = {}, {}, set()
    for line in f:
        try:
            e = json.loads(line)
        except ValueError:
            continue
        if e.get("k") == "name":
            names[e["v"]] = e.get("t", "?")
        elif e.get("k") == "path":
            paths[e["v"]] = e.get("t", "?")
        elif e.get("k") == "root":
            roots.add(e["v"])
    done = []
    for root in sorted(roots):
        for cid in _subdirs(root):
            if cid in names:
                p = subprocess.run([ward_bin, "--root", root, "delete",
                                    "--force", cid], capture_output=True,
                                   stdin=subprocess.DEVNULL, timeout=60)
                done.append(("state %s/%s" % (root, cid), p.returncode == 0,
                             names[cid]))
    # parents first: removing one takes its children along
    cg = {}
    for d in sorted(cgroup_dirs(), key=len):
        mnt, rel = d.split(":", 1)
        hit = [c for c in rel.strip("/").split("/") if c in names or
               any(c.startswith(n + "-") or c.endswith("-" + n)
                   for n in names)]
        if hit and os.path.isdir(mnt + rel):
            e = cg.setdefault(rel, [[], True, names.get(hit[0], "?")])
            e[0].append(os.path.basename(mnt))
            e[1] &= kill_and_rmdir(mnt + rel)
    for rel, (mnts, removed, who) in cg.items():
        done.append(("cgroup %s in %s" % (rel, ",".join(mnts)), removed, who))
    for n in sorted(netns_names()):
        if n in names:
            p = subprocess.run(["ip", "netns", "delete", n],
                               capture_output=True)
            done.append(("netns %s" % n, p.returncode == 0, names[n]))
    for path, who in sorted(paths.items()):
        if os.path.lexists(path):
            subprocess.run(["umount", "-R", path], capture_output=True)
            if not _mounts_under(path):  # never through a mount
                shutil.rmtree(path, ignore_errors=True)
            done.append(("path %s" % path, not os.path.lexists(path), who))
    if all(removed for _w, removed, _t in done):
        os.unlink(journal)
        try:
            os.rmdir(JOURNALS)
        except OSError:
            pass
    return done
