# SPDX-License-Identifier: GPL-2.0-or-later
"""The attacks runc has been hit by, each reproduced against ward.

Every test says what a naive runtime would do and asserts what ward must
do instead.  They exercise the core (mounts, fd hygiene, the re-exec from a
sealed memfd) as much as the seccomp/LSM code."""
import ctypes
import hashlib
import json
import os
import shutil
import subprocess
import threading

import pytest

from conftest import assert_nothing_left, WARD, mounts_with, run_container


def add_mount(bundle, **m):
    bundle.config["mounts"].append(m)
    return len(bundle.config["mounts"]) - 1


def sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()




def fails_cleanly(ward, bundle):
    """create must fail with one `ward: ...` line and leave nothing."""
    bundle.write()
    cid = ward.new_id()
    p = ward("create", "--bundle", bundle.path, cid)
    assert p.returncode != 0, p.stdout
    line = p.stderr.strip()
    assert line.startswith("ward: ") and "\n" not in line, p.stderr
    assert_nothing_left(ward, cid)
    return line


# ---- CVE-2019-5736: overwriting the runtime through /proc/PID/exe ---------

def run_copy(binary, ward, *args, timeout=60):
    """Run BINARY (a ward) with WARD's state root.  The container's stdio
    goes to /dev/null: after `create` the init holds it open, and a pipe
    would keep the caller waiting for EOF."""
    return subprocess.run([binary, "--root", ward.root] + list(args),
                          stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                          stderr=subprocess.PIPE if args[0] != "create" else
                          subprocess.DEVNULL, text=True, timeout=timeout)


@pytest.fixture
def ward_copy(tmp_path):
    """The attacks below aim at the runtime binary: give them a copy, so a
    regression damages a temporary file and not the build."""
    path = str(tmp_path / "ward-under-attack")
    shutil.copy2(WARD, path)
    return path


def exe_is_protected(pid):
    """/proc/PID/exe is a sealed memfd copy (unprivileged ward) or the
    binary on a read-only detached mount (root): nothing that reaches it can
    be opened for writing."""
    exe = "/proc/%d/exe" % pid
    link = os.readlink(exe)
    if link.startswith("/memfd:ward"):
        return True
    return link == "/" and bool(os.statvfs(exe).f_flag & os.ST_RDONLY)


def test_runtime_exe_seen_from_host_is_protected(ward, bundle, ward_copy):
    # Between create and start the init runs ward's code.  A naive runtime's
    # init shows the host binary at /proc/PID/exe; whoever can open it for
    # writing once the process has exec'd replaces the runtime for every
    # later container.  ward runs from a read-only detached mount of itself
    # (or a sealed memfd copy): even host root cannot get a writable handle
    # on anything that reaches the binary.
    before = sha256(ward_copy)
    bundle.set_args("sleep", "1").write()
    cid = ward.new_id()
    p = run_copy(ward_copy, ward, "create", "--bundle", bundle.path, cid)
    assert p.returncode == 0
    pid = json.loads(ward("state", cid).stdout)["pid"]
    exe = "/proc/%d/exe" % pid
    assert exe_is_protected(pid), os.readlink(exe)
    for flags in (os.O_WRONLY, os.O_RDWR):
        with pytest.raises(OSError):
            os.close(os.open(exe, flags))
    # The classic move: hold an O_PATH handle, let the process exec, then
    # reopen it for writing.
    held = os.open(exe, os.O_PATH)
    try:
        p = run_copy(ward_copy, ward, "start", cid)
        assert p.returncode == 0, p.stderr
        for _ in range(100):  # until the init has exec'd
            try:
                if not exe_is_protected(pid):
                    break
            except OSError:
                break  # already gone
            subprocess.run(["sleep", "0.05"])
        try:
            fd = os.open("/proc/self/fd/%d" % held, os.O_RDWR)
        except OSError:
            fd = None  # refused outright: fine
        if fd is not None:
            try:
                with pytest.raises(PermissionError):
                    os.write(fd, b"\x7fELF-pwned")  # F_SEAL_WRITE (a
                    # read-only mount refuses the open itself)
            finally:
                os.close(fd)
    finally:
        os.close(held)
    assert sha256(ward_copy) == before


def test_runtime_maps_name_no_host_binary(ward, bundle, ward_copy):
    # ward moves itself onto the read-only mount in place (PR_SET_MM_MAP,
    # no second exec), which the kernel allows only once no mapping names
    # the old file (a sanitizer build re-executes from the mount instead):
    # either way the init's text comes from the read-only mount and no
    # mapping from the host's path.
    bundle.set_args("sleep", "5").write()
    cid = ward.new_id()
    p = run_copy(ward_copy, ward, "create", "--bundle", bundle.path, cid)
    assert p.returncode == 0
    try:
        pid = json.loads(ward("state", cid).stdout)["pid"]
        assert exe_is_protected(pid), os.readlink("/proc/%d/exe" % pid)
        ino = os.stat(ward_copy).st_ino
        maps = open("/proc/%d/maps" % pid).read()
        assert ward_copy not in maps, maps
        mine = [l for l in maps.splitlines() if int(l.split()[4]) == ino]
        assert any("x" in l.split()[1] for l in mine), maps  # text, from "/"
        assert all(l.split()[-1] == "/" for l in mine), maps
    finally:
        ward("delete", "--force", cid)


def test_container_cannot_write_runtime_exe(ward, bundle, ward_copy, tmp_path):
    # From inside: a startContainer hook runs in the container while the
    # init (ward's code) waits for it, so /proc/1/exe is the runtime.  Grant
    # CAP_SYS_PTRACE, the worst case, so only the read-only mount (or the
    # memfd) stands in the way.
    # The hook keeps a read handle in a background process that outlives
    # the init's execve, then tries to reopen it for writing, as the
    # CVE-2019-5736 exploit does.
    out = tmp_path / "out"
    out.mkdir()
    add_mount(bundle, destination="/out", type="bind", source=str(out),
              options=["rbind", "rw"])
    for k in ("bounding", "effective", "permitted"):
        bundle.config["process"]["capabilities"][k].append("CAP_SYS_PTRACE")
    script = (
        "readlink /proc/1/exe > /out/link 2>&1; "
        "if (exec 3<>/proc/1/exe) 2>/dev/null; then echo opened > /out/now; "
        "else echo refused > /out/now; fi; "
        "(exec 4</proc/1/exe; "
        " while [ \"$(readlink /proc/1/exe)\" != /bin/busybox ]; do usleep 10000; done; "
        " if (exec 5<>/proc/self/fd/4 && echo pwned >&5) 2>/dev/null; "
        " then echo written > /out/later; else echo refused > /out/later; fi"
        ") </dev/null >/dev/null 2>&1 & "
        "true")
    bundle.config["hooks"] = {"startContainer": [
        {"path": "/bin/sh", "args": ["sh", "-c", script]}]}
    before = sha256(ward_copy)
    bundle.set_args("sleep", "2").write()
    cid = ward.new_id()
    p = run_copy(ward_copy, ward, "run", "--bundle", bundle.path, cid)
    assert p.returncode == 0, p.stderr
    assert (out / "link").read_text().strip() in ("/", "/memfd:ward (deleted)")
    assert (out / "now").read_text().strip() == "refused"
    assert (out / "later").read_text().strip() == "refused"
    assert sha256(ward_copy) == before


# ---- CVE-2024-21626: leaked fds and a cwd outside the rootfs --------------

@pytest.mark.parametrize("n", [3, 4, 5, 6, 7, 8])
def test_cwd_through_leaked_fd_refused_or_inside(ward, bundle, n):
    # runc leaked a host directory fd into the init; process.cwd
    # "/proc/self/fd/7" then put the container's cwd on the host and
    # `cat ../../../etc/shadow` escaped.  ward must refuse such a cwd or
    # end up inside the rootfs.
    bundle.config["process"]["cwd"] = "/proc/self/fd/%d" % n
    bundle.set_args("sh", "-c", "pwd; readlink /proc/self/cwd").write()
    cid = ward.new_id()
    p = ward("create", "--bundle", bundle.path, cid)
    if p.returncode != 0:
        assert "process.cwd" in p.stderr and "\n" not in p.stderr.strip()
        assert_nothing_left(ward, cid)
        return
    pid = json.loads(ward("state", cid).stdout)["pid"]
    cwd = os.readlink("/proc/%d/cwd" % pid)
    assert cwd == os.path.realpath(bundle.rootfs) or cwd.startswith(
        os.path.realpath(bundle.rootfs) + "/"), cwd


def test_only_stdio_reaches_the_container(ward, bundle, tmp_path):
    # A naive runtime hands every fd it happens to hold (state dir, cgroup
    # dir, sync sockets, a caller's stray fds) to the container process.
    stray = os.open(str(tmp_path), os.O_RDONLY)  # inheritable by design
    os.set_inheritable(stray, True)
    try:
        bundle.set_args("sh", "-c", "cd /proc/self/fd && for f in *; do "
                        "echo $f $(readlink $f); done").write()
        cid = ward.new_id()
        p = ward("run", "--bundle", bundle.path, cid, pass_fds=(stray,))
    finally:
        os.close(stray)
    assert p.returncode == 0, p.stderr
    fds = {int(l.split()[0]): l for l in p.stdout.splitlines()}
    # 0-2 and the directory fd the shell's glob itself opened
    assert set(fds) - {0, 1, 2} <= {3}, p.stdout
    assert str(tmp_path) not in p.stdout and ward.root not in p.stdout


def test_exec_gets_only_stdio_and_cannot_leave_the_root(ward, bundle, tmp_path):
    bundle.set_args("sleep", "30").write()
    cid = ward.new_id()
    p = ward("run", "--detach", "--bundle", bundle.path, cid)
    assert p.returncode == 0, p.stderr
    stray = os.open(str(tmp_path), os.O_RDONLY)
    os.set_inheritable(stray, True)
    try:
        p = ward("exec", cid, "sh", "-c", "ls /proc/self/fd | sort -n | "
                 "tr '\\n' ' '", pass_fds=(stray,))
    finally:
        os.close(stray)
    assert p.returncode == 0, p.stderr
    assert [int(f) for f in p.stdout.split() if int(f) > 3] == [], p.stdout
    for n in (3, 4, 5, 6):
        p = ward("exec", "--cwd", "/proc/self/fd/%d" % n, cid, "sh", "-c",
                 "readlink /proc/self/cwd")
        if p.returncode == 0:
            assert not p.stdout.startswith(str(tmp_path)), p.stdout
            assert not p.stdout.startswith(ward.root), p.stdout
            assert not p.stdout.startswith("(unreachable)"), p.stdout


# ---- CVE-2021-30465: symlink-exchange race on a mount destination ---------

libc = ctypes.CDLL(None, use_errno=True)
RENAME_EXCHANGE = 2


def exchange(a, b):
    if libc.renameat2(-100, a.encode(), -100, b.encode(), RENAME_EXCHANGE) < 0:
        e = ctypes.get_errno()
        raise OSError(e, os.strerror(e))


def test_symlink_exchange_race_never_mounts_outside(ward, bundle, tmp_path):
    # Another tenant with write access to the rootfs (a shared volume in the
    # original exploit) swaps a mount destination between a directory and
    # a symlink to a host path while the runtime mounts.  A runtime that
    # checks the path and then mounts by name loses the race now and then
    # and mounts on the host path.  ward resolves the destination once,
    # inside the root (openat2 RESOLVE_IN_ROOT), and mounts on that fd.
    host_target = tmp_path / "host-target"
    host_target.mkdir()
    evil = os.path.join(bundle.rootfs, "evil")
    swap = os.path.join(bundle.rootfs, "evil-swap")
    os.mkdir(evil)
    os.symlink(str(host_target), swap)
    # The in-root resolutions: the directory (possibly renamed to evil-swap
    # by the swapper after ward mounted on it) or the symlink's target taken
    # relative to the root.
    inside = "/evil", "/evil-swap", str(host_target)
    add_mount(bundle, destination="/evil", type="tmpfs", source="tmpfs",
              options=["size=1236k"])
    bundle.config["root"]["readonly"] = False
    bundle.set_args("sh", "-c", "grep size=1236k /proc/self/mountinfo "
                    "| cut -d' ' -f5").write()
    stop = threading.Event()
    swaps = [0]

    def swapper():
        while not stop.is_set():
            exchange(evil, swap)
            swaps[0] += 1

    t = threading.Thread(target=swapper)
    t.start()
    seen = set()
    try:
        for _ in range(25):
            cid = ward.new_id()
            p = ward("run", "--bundle", bundle.path, cid)
            if p.returncode != 0:
                # losing a race may fail the container, never escape
                assert "evil" in p.stderr or "host-target" in p.stderr, p.stderr
                continue
            points = p.stdout.split()
            # The marker mount must be visible inside: had it gone to the
            # host path, pivot_root would have left it behind.
            assert len(points) == 1 and points[0] in inside, p.stdout
            seen.add(points[0])
    finally:
        stop.set()
        t.join()
    assert swaps[0] > 25
    assert seen, "no container ran"
    assert mounts_with(str(host_target)) == []
    assert os.listdir(str(host_target)) == []


def test_dangling_symlink_destination_resolves_inside(ward, bundle, tmp_path):
    # A relative symlink climbing out of the rootfs: a naive runtime's
    # realpath() follows the ".."s out of the bundle.
    # (tmpfs sizes are whole pages: size=1232k reads back unchanged)
    os.symlink("../../../../../../../../" + str(tmp_path).lstrip("/") + "/esc",
               os.path.join(bundle.rootfs, "climb"))
    add_mount(bundle, destination="/climb", type="tmpfs", source="tmpfs",
              options=["size=1232k"])
    bundle.config["root"]["readonly"] = False
    p = run_container(ward, bundle, "sh", "-c",
                      "grep size=1232k /proc/self/mountinfo | cut -d' ' -f5")
    assert p.returncode == 0, p.stderr
    assert p.stdout.strip() == str(tmp_path) + "/esc"  # clamped at the root
    assert not os.path.exists(str(tmp_path / "esc"))
    assert mounts_with(str(tmp_path / "esc")) == []


# ---- CVE-2019-16884 / CVE-2019-19921: mounts over and inside /proc --------

@pytest.mark.parametrize("dest", ["/proc/sys", "/proc/self/attr",
                                  "/proc/sysrq-trigger", "/proc/1/attr/exec"])
def test_mount_inside_proc_refused(ward, bundle, tmp_path, dest):
    # A volume over /proc/self/attr swallows the LSM label, one over
    # /proc/sys re-opens what readonlyPaths closed: a naive runtime mounts
    # whatever the config asks for.  Only well-known files (the lxcfs set)
    # may be mounted inside /proc.
    src = tmp_path / "src"
    src.mkdir()
    i = add_mount(bundle, destination=dest, type="bind", source=str(src),
                  options=["rbind"])
    line = fails_cleanly(ward, bundle)
    assert "mounts[%d]" % i in line and "/proc" in line, line


def test_lxcfs_style_proc_file_allowed(ward, bundle, tmp_path):
    fake = tmp_path / "uptime"
    fake.write_text("12345.67 0.00\n")
    add_mount(bundle, destination="/proc/uptime", type="bind",
              source=str(fake), options=["bind", "ro"])
    p = run_container(ward, bundle, "cat", "/proc/uptime")
    assert p.returncode == 0, p.stderr
    assert p.stdout == "12345.67 0.00\n"


def test_fake_proc_is_never_written(ward, bundle, tmp_path):
    # An image (or volume) that puts a plain directory where /proc belongs
    # collects what the runtime writes there (oom_score_adj, LSM labels,
    # sysctls) instead of the kernel.  ward must check it writes to procfs.
    fake = tmp_path / "fakeproc"
    (fake / "self").mkdir(parents=True)
    (fake / "self" / "oom_score_adj").write_text("")
    (fake / "sys" / "kernel").mkdir(parents=True)
    (fake / "sys" / "kernel" / "shmmni").write_text("")
    for m in bundle.config["mounts"]:
        if m["destination"] == "/proc":
            m.update(type="bind", source=str(fake), options=["rbind"])
    bundle.config["process"]["oomScoreAdj"] = 100
    bundle.config["linux"]["sysctl"] = {"kernel.shmmni": "8192"}
    # (the default masks live in /proc and /sys: keep them out of the way)
    bundle.config["linux"]["maskedPaths"] = []
    bundle.config["linux"]["readonlyPaths"] = []
    line = fails_cleanly(ward, bundle)
    assert "/proc" in line
    assert (fake / "self" / "oom_score_adj").read_text() == ""
    assert (fake / "sys" / "kernel" / "shmmni").read_text() == ""


def test_proc_symlink_in_image_is_not_followed(ward, bundle, tmp_path):
    # The image ships /proc as a symlink to a directory of its own: a naive
    # runtime mounts procfs there and later writes through the link.
    target = os.path.join(bundle.rootfs, "notproc")
    os.mkdir(target)
    os.rmdir(os.path.join(bundle.rootfs, "proc"))
    os.symlink("/notproc", os.path.join(bundle.rootfs, "proc"))
    bundle.config["process"]["oomScoreAdj"] = 100
    bundle.write()
    cid = ward.new_id()
    p = ward("run", "--bundle", bundle.path, cid)
    if p.returncode == 0:
        # resolved inside the root: procfs landed on /notproc, nothing wrote
        # to a plain directory
        assert os.listdir(target) == []
    else:
        assert "\n" not in p.stderr.strip()
        assert_nothing_left(ward, cid)


# ---- maskedPaths ----------------------------------------------------------

def test_masked_paths_dir_and_file(ward, bundle):
    # dir -> read-only empty tmpfs, file -> a bind of /dev/null.  A naive
    # runtime masks files with an empty tmpfs too (mount fails on a file)
    # or leaves directories writable.
    root = bundle.rootfs
    os.makedirs(os.path.join(root, "data", "secretdir"))
    with open(os.path.join(root, "data", "secretdir", "key"), "w") as f:
        f.write("SECRET")
    with open(os.path.join(root, "data", "secretfile"), "w") as f:
        f.write("SECRET")
    bundle.config["linux"]["maskedPaths"] = [
        "/data/secretdir", "/data/secretfile", "/no/such/path"]
    p = run_container(ward, bundle, "sh", "-c", "\n".join([
        "ls -A /data/secretdir | wc -l",
        "cat /data/secretfile; echo end",
        "stat -c %t:%T /data/secretfile",
        "grep ' /data/secretdir ' /proc/self/mountinfo | cut -d' ' -f6,9",
        "touch /data/secretdir/x 2>/dev/null || echo ro",
    ]))
    assert p.returncode == 0, p.stderr
    lines = p.stdout.splitlines()
    assert lines[0] == "0"
    assert lines[1] == "end"  # reads as empty
    assert lines[2] == "1:3"  # /dev/null
    opts, fstype = lines[3].split()
    assert fstype == "tmpfs" and "ro" in opts.split(",")
    assert lines[4] == "ro"


def test_masked_path_symlink_in_image_resolved_inside(ward, bundle):
    # The image makes a masked name a symlink.  Masking the link itself (or,
    # in a naive runtime, following it on the host) leaves what it points
    # to readable; the name must be resolved inside the root and its target
    # masked.
    root = bundle.rootfs
    os.makedirs(os.path.join(root, "data"))
    with open(os.path.join(root, "data", "linked"), "w") as f:
        f.write("SECRET")
    os.symlink("/data/linked", os.path.join(root, "masklink"))
    bundle.config["linux"]["maskedPaths"] = ["/masklink"]
    p = run_container(ward, bundle, "sh", "-c",
                      "cat /data/linked /masklink; echo end")
    assert p.returncode == 0, p.stderr
    assert p.stdout == "end\n"
