# SPDX-License-Identifier: GPL-2.0-or-later
"""Helpers shared by the cgroup tests (no tests here): where a process's
cgroups are, read the way a user would: from
/proc/PID/cgroup and /proc/self/mountinfo."""
import json
import os
import subprocess
import time


def cgroup_mounts(mountinfo="/proc/self/mountinfo"):
    """[(mountpoint, fstype, controllers)] of the cgroup mounts."""
    out = []
    with open(mountinfo) as f:
        for line in f:
            pre, post = line.split(" - ", 1)
            fields = pre.split()
            fstype, _src, opts = post.split()[:3]
            if fstype not in ("cgroup", "cgroup2"):
                continue
            ctrls = [o for o in opts.split(",")
                     if o not in ("rw", "ro") and not o.startswith("release_agent")]
            out.append((fields[4], fstype, ctrls))
    return out


def host_layout():
    ms = cgroup_mounts()
    v1 = [m for m in ms if m[1] == "cgroup" and
          any(not c.startswith("name=") for c in m[2])]
    v2 = [m for m in ms if m[1] == "cgroup2"]
    if v1 and v2:
        return "hybrid"
    return "v1" if v1 else "v2"


def controller_dir(pid, controller):
    """The directory of PID's cgroup that holds CONTROLLER (v1 name, or
    "" for the unified hierarchy), or None."""
    paths = {}
    with open("/proc/%d/cgroup" % pid) as f:
        for line in f:
            _hid, ctrls, path = line.rstrip("\n").split(":", 2)
            for c in (ctrls.split(",") if ctrls else [""]):
                paths[c] = path
    for mnt, fstype, ctrls in cgroup_mounts():
        if controller == "" and fstype == "cgroup2":
            return mnt + paths.get("", "/")
        if fstype == "cgroup" and controller in ctrls and controller in paths:
            return mnt + paths[controller]
    return None


def v2_dir_has(pid, controller):
    d = controller_dir(pid, "")
    return d and controller in open(os.path.join(d, "cgroup.controllers")).read().split()


def file_of(pid, v1_controller, v1_file, v2_file):
    """(path, is_v2) of the file a knob lands in, on whatever layout."""
    d = controller_dir(pid, v1_controller)
    if d:
        return os.path.join(d, v1_file), False
    d = controller_dir(pid, "")
    return (os.path.join(d, v2_file), True) if d else (None, False)


def read(path):
    with open(path) as f:
        return f.read().strip()


def state(ward, cid):
    p = ward("state", cid, check=True)
    return json.loads(p.stdout)


def all_cgroup_dirs(rel):
    """Every hierarchy's directory for cgroup path REL (e.g. /ward/ID)."""
    return [mnt + rel for mnt, _t, _c in cgroup_mounts()]


def wait_for(pred, timeout=10.0, step=0.05):
    end = time.time() + timeout
    while time.time() < end:
        if pred():
            return True
        time.sleep(step)
    return pred()


def cpu_usage_ns(pid):
    d = controller_dir(pid, "cpuacct")
    if d:
        return int(read(os.path.join(d, "cpuacct.usage")))
    d = controller_dir(pid, "")
    for line in open(os.path.join(d, "cpu.stat")):
        k, v = line.split()
        if k == "usage_usec":
            return int(v) * 1000
    raise AssertionError("no cpu usage file")


def memsw_enabled():
    for mnt, fstype, ctrls in cgroup_mounts():
        if fstype == "cgroup" and "memory" in ctrls:
            return os.path.exists(os.path.join(mnt, "memory.memsw.limit_in_bytes"))
    return False


def ns_run(script, timeout=120):
    """Run SCRIPT (sh) in a private mount namespace."""
    return subprocess.run(["unshare", "-m", "--propagation", "private",
                           "sh", "-c", script],
                          capture_output=True, text=True, timeout=timeout)


def create(ward, bundle_path, cid, *global_args):
    """`ward create`: the container keeps the stdio it was given, so hand
    it files rather than the pipes capture_output would wait on."""
    import tempfile
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        p = subprocess.run([ward_bin(), "--root", ward.root] + list(global_args)
                           + ["create", "--bundle", bundle_path, cid],
                           stdin=subprocess.DEVNULL, stdout=out, stderr=err,
                           timeout=60)
        err.seek(0)
        out.seek(0)
        return subprocess.CompletedProcess(p.args, p.returncode, out.read(),
                                           err.read())


def ward_bin():
    from conftest import WARD
    return WARD


DEFAULT_ALLOWED = {("c", 1, 3), ("c", 1, 5), ("c", 1, 7), ("c", 1, 8),
                   ("c", 1, 9), ("c", 5, 0), ("c", 5, 2), ("c", 10, 200)}


def probe_device():
    """(type, major, minor) of a device the host itself may open (so a
    refusal inside can only come from the device cgroup) and that is not
    in ward's default allow list; block devices first.  None if none."""
    import stat
    import tempfile
    for kind, sysdir, mode in (("b", "/sys/dev/block", stat.S_IFBLK),
                               ("c", "/sys/dev/char", stat.S_IFCHR)):
        try:
            names = sorted(os.listdir(sysdir))
        except OSError:
            continue
        for n in names:
            maj, mi = (int(x) for x in n.split(":"))
            if (kind, maj, mi) in DEFAULT_ALLOWED or (kind == "c" and maj in (4, 5, 136)):
                continue
            d = tempfile.mkdtemp()
            node = os.path.join(d, "dev")
            try:
                os.mknod(node, mode | 0o600, os.makedev(maj, mi))
                fd = os.open(node, os.O_RDONLY | os.O_NONBLOCK)
                os.close(fd)
                return (kind, maj, mi)
            except OSError:
                pass
            finally:
                if os.path.exists(node):
                    os.unlink(node)
                os.rmdir(d)
    return None
