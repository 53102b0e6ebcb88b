# SPDX-License-Identifier: GPL-2.0-or-later
"""Shared fixtures: a busybox-static rootfs, bundles with a runc-like default
config.json, a private state root per test, and helpers to run ward."""
import json
import os
import platform
import shutil
import subprocess
import tempfile
import uuid

import pytest

import leak_guard

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
WARD = os.environ.get("WARD_BIN", os.path.join(REPO, "ward"))
BUSYBOX = "/bin/busybox"

DEFAULT_CAPS = [
    "CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE", "CAP_CHOWN",
    "CAP_DAC_OVERRIDE", "CAP_FOWNER", "CAP_FSETID", "CAP_SETGID", "CAP_SETUID",
    "CAP_SETPCAP", "CAP_SYS_CHROOT", "CAP_MKNOD", "CAP_NET_RAW",
    "CAP_SETFCAP",
]


def _lsm_enabled(name):
    if name == "apparmor":
        try:
            with open("/sys/module/apparmor/parameters/enabled") as f:
                return f.read().startswith("Y")
        except OSError:
            return False
    return os.path.isdir("/sys/fs/selinux/booleans")


# The one gate for what a test needs from this machine (as runc's bats
# `requires`): NAME -> (holds?, the reason printed when it does not).
# `make check` installs every package named here, so on the reference
# machine only the machine's own limits skip.
_NEEDS = {
    "root": (lambda: os.geteuid() == 0, "needs root"),
    "busybox": (lambda: os.path.exists(BUSYBOX),
                "busybox-static is not installed (/bin/busybox)"),
    "podman": (lambda: shutil.which("podman") is not None,
               "podman is not installed (apt-get install podman)"),
    "containerd": (lambda: shutil.which("containerd") and shutil.which("ctr"),
                   "containerd is not installed (apt-get install containerd)"),
    "runc": (lambda: shutil.which("runc") is not None,
             "runc is not installed (apt-get install runc)"),
    "cc": (lambda: shutil.which("cc") is not None, "no C compiler (cc)"),
    "x86_64": (lambda: platform.machine() == "x86_64",
               "written for x86_64"),
    "uidmap": (lambda: shutil.which("newuidmap") and shutil.which("setpriv"),
               "needs newuidmap (uidmap) and setpriv"),
    "2cpus": (lambda: (os.cpu_count() or 1) >= 2, "needs two CPUs"),
    "no-apparmor": (lambda: not _lsm_enabled("apparmor"),
                    "AppArmor is enabled here"),
    "no-selinux": (lambda: not _lsm_enabled("selinux"),
                   "SELinux is enabled here"),
}


# The leak guard (tests/leak_guard.py): what this session made and left
# fails the run, each leftover named with the test that made it.
# WARD_LEAK_GUARD=0 turns it off (a run meant to leave things to look at).
_GUARD = os.environ.get("WARD_LEAK_GUARD", "1") != "0"
_leaks = []
_reaped = []


def pytest_sessionstart(session):
    if _GUARD:
        # what sessions killed before their teardown left (their journal
        # names it): removed before this one starts
        _reaped[:] = leak_guard.reap_dead_sessions(WARD)
        leak_guard.start()


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item):
    leak_guard.set_current(item.nodeid)


def pytest_sessionfinish(session, exitstatus):
    if not _GUARD:
        return
    # not getbasetemp(): called first here, it would empty a --basetemp
    factory = getattr(session.config, "_tmp_path_factory", None)
    left, other = leak_guard.leftovers(getattr(factory, "_basetemp", None))
    _leaks[:] = [left, other]
    leak_guard.finish(clean=not left)
    if left and session.exitstatus == 0:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter):
    tr = terminalreporter
    if _reaped:
        tr.write_sep("-", "left by earlier sessions killed before their "
                     "teardown: %d" % len(_reaped))
        for what, removed, who in _reaped:
            tr.write_line("%s %s  <- %s" % (
                "removed" if removed else "COULD NOT REMOVE", what, who))
    if not _leaks:
        return
    left, other = _leaks
    if left:
        tr.write_sep("=", "LEFT ON THE HOST by this session (%d)" % len(left),
                     red=True, bold=True)
        for what, who in left:
            tr.write_line("%s  <- %s" % (what, who))
    if other:
        tr.write_sep("-", "new during this session, not known to be its own "
                     "(another session's?): %d" % len(other))
        for what in other[:20]:
            tr.write_line(what)


def requires(*names):
    """Skip the calling test (or fixture), printing why, unless this machine
    has every one of NAMES (keys of _NEEDS)."""
    for name in names:
        holds, why = _NEEDS[name]
        if not holds():
            pytest.skip("requires %s: %s" % (name, why))


def default_config(args=None):
    """The config `runc spec` writes, with busybox paths."""
    return {
        "ociVersion": "1.2.0",
        "process": {
            "terminal": False,
            "user": {"uid": 0, "gid": 0},
            "args": args or ["sh"],
            "env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                    "TERM=xterm"],
            "cwd": "/",
            "capabilities": {k: list(DEFAULT_CAPS) for k in
                             ("bounding", "effective", "permitted")},
            "rlimits": [{"type": "RLIMIT_NOFILE", "hard": 1024, "soft": 1024}],
            "noNewPrivileges": True,
        },
        "root": {"path": "rootfs", "readonly": True},
        "hostname": "ward",
        "mounts": [
            {"destination": "/proc", "type": "proc", "source": "proc"},
            {"destination": "/dev", "type": "tmpfs", "source": "tmpfs",
             "options": ["nosuid", "strictatime", "mode=755", "size=65536k"]},
            {"destination": "/dev/pts", "type": "devpts", "source": "devpts",
             "options": ["nosuid", "noexec", "newinstance", "ptmxmode=0666",
                         "mode=0620", "gid=5"]},
            {"destination": "/dev/shm", "type": "tmpfs", "source": "shm",
             "options": ["nosuid", "noexec", "nodev", "mode=1777", "size=65536k"]},
            {"destination": "/dev/mqueue", "type": "mqueue", "source": "mqueue",
             "options": ["nosuid", "noexec", "nodev"]},
            {"destination": "/sys", "type": "sysfs", "source": "sysfs",
             "options": ["nosuid", "noexec", "nodev", "ro"]},
            {"destination": "/sys/fs/cgroup", "type": "cgroup", "source": "cgroup",
             "options": ["nosuid", "noexec", "nodev", "relatime", "ro"]},
        ],
        "linux": {
            "resources": {"devices": [{"allow": False, "access": "rwm"}]},
            "namespaces": [{"type": t} for t in
                           ("pid", "network", "ipc", "uts", "mount")],
            "maskedPaths": ["/proc/acpi", "/proc/asound", "/proc/kcore",
                            "/proc/keys", "/proc/latency_stats", "/proc/timer_list",
                            "/proc/timer_stats", "/proc/sched_debug",
                            "/sys/firmware", "/proc/scsi"],
            "readonlyPaths": ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys",
                              "/proc/sysrq-trigger"],
        },
    }


def make_rootfs(path):
    """A minimal rootfs: busybox-static and its applet links, owned by root."""
    for d in ("bin", "sbin", "usr/bin", "usr/sbin", "etc", "proc", "sys", "dev",
              "tmp", "root", "home"):
        os.makedirs(os.path.join(path, d), exist_ok=True)
    os.chmod(os.path.join(path, "tmp"), 0o1777)
    shutil.copy2(BUSYBOX, os.path.join(path, "bin", "busybox"))
    applets = subprocess.run([BUSYBOX, "--list"], capture_output=True,
                             text=True, check=True).stdout.split()
    for a in applets:
        link = os.path.join(path, "bin", a)
        if not os.path.lexists(link):
            os.symlink("busybox", link)
    with open(os.path.join(path, "etc", "passwd"), "w") as f:
        f.write("root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n")
    with open(os.path.join(path, "etc", "group"), "w") as f:
        f.write("root:x:0:\ntty:x:5:\nnogroup:x:65534:\n")


@pytest.fixture(scope="session")
def rootfs_template(tmp_path_factory):
    requires("busybox")
    path = tmp_path_factory.mktemp("rootfs-template") / "rootfs"
    make_rootfs(str(path))
    return str(path)


class Bundle:
    def __init__(self, path, rootfs_template):
        self.path = path
        self.rootfs = os.path.join(path, "rootfs")
        shutil.copytree(rootfs_template, self.rootfs, symlinks=True)
        self.config = default_config()

    def write(self):
        with open(os.path.join(self.path, "config.json"), "w") as f:
            json.dump(self.config, f, indent=1)
        return self

    def set_args(self, *args):
        self.config["process"]["args"] = list(args)
        return self


class Ward:
    """Runs ward with a private --root, remembers ids to clean up."""

    def __init__(self, root):
        self.root = root
        self.ids = []
        self.dropped = []
        leak_guard.own_root(root)

    def new_id(self, prefix="t"):
        cid = leak_guard.own("%s-%s" % (prefix, uuid.uuid4().hex[:10]))
        self.ids.append(cid)
        return cid

    def prefix(self):
        """What runs before ward (nsenter, setpriv...): subclasses say."""
        return []

    def env(self):
        return None

    def __call__(self, *args, input=None, timeout=60, check=False, root=True,
                 **kw):
        cmd = self.prefix() + [WARD] + (["--root", self.root] if root else []) \
            + list(args)
        kw.setdefault("env", self.env())
        # Files, not pipes: a detached container keeps ward's stdio open,
        # and waiting for EOF on a pipe would wait for the container.
        with tempfile.TemporaryFile("w+") as out, \
                tempfile.TemporaryFile("w+") as err:
            p = subprocess.run(cmd, input=input, stdout=out, stderr=err,
                               text=True, timeout=timeout, **kw)
            out.seek(0)
            err.seek(0)
            p.stdout, p.stderr = out.read(), err.read()
        if check and p.returncode != 0:
            raise AssertionError("%s failed (%d): %s%s" % (
                " ".join(cmd), p.returncode, p.stdout, p.stderr))
        return p

    def drop_state(self, cid):
        """Remove CID's state by hand, as an operator's rm -rf: ward then
        knows nothing of its cgroup, which cleanup() removes (with what
        runs in it)."""
        self.dropped.append(cid)
        shutil.rmtree(os.path.join(self.root, cid))

    def cleanup(self):
        for cid in self.ids:
            self("delete", "--force", cid, timeout=60)
        for cid in self.dropped:
            leak_guard.remove_cgroup("/ward/" + cid)


@pytest.fixture
def ward(tmp_path):
    root = tmp_path / "state"
    w = Ward(str(root))
    yield w
    w.cleanup()


@pytest.fixture
def bundle(tmp_path, rootfs_template):
    path = tmp_path / "bundle"
    path.mkdir()
    return Bundle(str(path), rootfs_template)


@pytest.fixture
def make_bundle(tmp_path, rootfs_template):
    """For tests that need several bundles."""
    n = [0]

    def make():
        n[0] += 1
        path = tmp_path / ("bundle%d" % n[0])
        path.mkdir()
        return Bundle(str(path), rootfs_template)
    return make


def run_container(ward, bundle, *args, timeout=60):
    """`ward run` ARGS in BUNDLE; returns the CompletedProcess."""
    if args:
        bundle.set_args(*args)
    bundle.write()
    cid = ward.new_id()
    return ward("run", "--bundle", bundle.path, cid, timeout=timeout)


def mounts_with(text):
    with open("/proc/self/mountinfo") as f:
        return [l for l in f if text in l]


def processes_with(text):
    """Host pids whose command line contains TEXT."""
    found = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open("/proc/%s/cmdline" % pid, "rb") as f:
                cmd = f.read().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if text in cmd:
            found.append(int(pid))
    return found


def assert_nothing_left(ward, cid, bundle=None):
    """What a failed or deleted container must not leave behind."""
    assert not os.path.exists(os.path.join(ward.root, cid)), \
        "state dir left for %s" % cid
    assert ward("state", cid).returncode != 0
    assert cid not in ward("list", "-q").stdout.split()
    if bundle is not None:
        assert mounts_with(bundle.rootfs) == [], "mounts left under the rootfs"
    for base, dirs, _ in os.walk("/sys/fs/cgroup"):
        assert cid not in os.path.basename(base), "cgroup left: %s" % base
        if base.count("/") > 6:
            dirs[:] = []


def wait_for(predicate, timeout=10.0, step=0.05):
    """Poll PREDICATE until true (returns True) or TIMEOUT (returns False)."""
    import time
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(step)
    return predicate()


def status_of(ward, cid):
    p = ward("state", cid)
    return json.loads(p.stdout)["status"] if p.returncode == 0 else None


def catches(pid, sig):
    """Has process PID installed a handler for SIG (SigCgt)?"""
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith("SigCgt:"):
                    return bool(int(line.split()[1], 16) & (1 << (sig - 1)))
    except OSError:
        pass
    return False


def init_pid(ward, cid):
    p = ward("state", cid)
    return json.loads(p.stdout).get("pid", 0) if p.returncode == 0 else 0
