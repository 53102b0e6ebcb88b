# SPDX-License-Identifier: GPL-2.0-or-later
"""The OCI runtime-spec's MUST/MAY lines that ward can be tested on here,
checked against what ward's authors did not write: runc (1.1.5, Debian's)
runs the same bundle with a private --root, a probe script inside prints
what the process sees (ids, env, umask, limits, capability sets, mounts as in
/proc/self/mountinfo, /dev, masked and read-only paths...) and the two
outputs must agree once the parts that differ by design (mount ids, cgroup
paths, pids) are normalised. Rules runc cannot witness (the lifecycle's
errors, the state document) are asserted directly, quoting the spec
(runtime-spec v1.2 config.md, config-linux.md, runtime.md, runtime-linux.md)
and opencontainers/runtime-tools' validation programs."""
import copy
import difflib
import json
import os
import re
import shutil
import subprocess
import tempfile
import time
import uuid

import pytest

import leak_guard
from conftest import WARD as t_WARD, Bundle, requires, status_of, wait_for

# Every command's stderr merged in order, so a diff lines up.
PROBE = r"""exec 2>&1
echo "== id"; id
echo "== cwd"; pwd
echo "== env"; env | sort
echo "== umask"; umask
echo "== limits"; cat /proc/self/limits
echo "== status"; grep -E '^(Cap|NoNewPrivs|Seccomp:|Groups|Uid|Gid)' /proc/self/status
echo "== hostname"; hostname; cat /proc/sys/kernel/domainname
echo "== oom"; cat /proc/self/oom_score_adj
echo "== maps"; cat /proc/self/uid_map /proc/self/gid_map
echo "== mountinfo"; cat /proc/self/mountinfo
echo "== dev"; ls -ln /dev /dev/pts /dev/shm /dev/mqueue
echo "== links"; for l in fd stdin stdout stderr ptmx core; do echo $l $(readlink /dev/$l); done
echo "== masked"; for p in /proc/kcore /proc/keys /proc/timer_list /proc/acpi /sys/firmware; do ls -d $p; cat $p 2>&1 | head -c 50 | wc -c; done
echo "== writable"; for p in / /proc/sys /proc/sysrq-trigger /sys /dev /dev/shm /tmp; do touch $p/.w 2>/dev/null && echo "$p rw" || echo "$p ro"; done
echo "== sysctl"; cat /proc/sys/net/ipv4/ip_forward /proc/sys/kernel/shm_rmid_forced /proc/sys/kernel/msgmax
echo "== extra"; ls -ln /dev/fuse /dev/loop-ward 2>&1; ls -ldn /mnt/* 2>&1; for p in /mnt/*; do touch $p/.w 2>/dev/null && echo "$p rw" || echo "$p ro"; done
echo "== devaccess"; for d in null zero full random urandom tty fuse; do head -c1 /dev/$d >/dev/null 2>&1 && echo "$d r" || echo "$d no-r"; done; echo x > /dev/full 2>/dev/null; echo "full w $?"
echo "== cgroupfs"; cat /sys/fs/cgroup/memory/memory.limit_in_bytes /sys/fs/cgroup/pids/pids.max /sys/fs/cgroup/cpu/cpu.shares /sys/fs/cgroup/cpu/cpu.cfs_quota_us 2>&1
echo "== net"; cut -d: -f1 /proc/net/dev
echo "== fds"; ls /proc/self/fd
echo "== pid"; echo $$
"""

RUNC_ROOT_PARENT = "/tmp"


def _mountinfo_line(line, cid):
    """Mount id, parent id and device numbers differ from run to run; so do
    the peer group numbers and the cgroup paths (ward puts a container at
    /ward/ID, runc at /ID, both under the caller's cgroup). Keep what the
    spec governs: the mount point, its options, the propagation kind, the
    filesystem type, source and super options."""
    f = line.split()
    sep = f.index("-")
    opt = sorted(re.sub(r":\d+", "", x) for x in f[6:sep])
    root, point, mopts = f[3], f[4], f[5]
    if "/sys/fs/cgroup" in point:
        return None
    if point == "/":
        root = "ROOTFS"
    if f[sep + 1] == "tmpfs" and f[-1].startswith("ro,size=0k,mode=555"):
        # a masked directory: an empty read-only tmpfs under both; ward's
        # also says mode 555 and size 0, runc's keeps tmpfs's defaults.
        f[-1] = f[-1].replace(",size=0k,mode=555", "")
    if point == "/":
        # under a user namespace ward idmaps the rootfs (README: user
        # namespaces) where runc leaves the files to show as nobody.
        mopts = mopts.replace(",idmapped", "")
    return " ".join([point, root, mopts] + opt + ["-"] + f[sep + 1:])


def normalise(out, cid):
    lines, section = [], None
    for line in out.splitlines():
        if line.startswith("== "):
            section = line
            lines.append(line)
            continue
        if section == "== mountinfo":
            line = _mountinfo_line(line, cid)
            if line is None:
                continue
        elif section == "== dev":
            # sizes and dates of the files ward and runc make differ.
            f = line.split()
            if len(f) >= 9:
                line = " ".join(f[:4] + f[-1:])
        lines.append(line)
    for s in ("== mountinfo",):
        # runc applies readonlyPaths before maskedPaths; order is not spec.
        i = lines.index(s)
        j = next(k for k in range(i + 1, len(lines)) if lines[k].startswith("== "))
        lines[i + 1:j] = sorted(lines[i + 1:j])
    return "\n".join(lines) + "\n"


def _run_runc(bundle, tmp_path, timeout=60):
    root = str(tmp_path / "runc-root")
    cid = leak_guard.own("rs-%s" % uuid.uuid4().hex[:10])
    try:
        p = subprocess.run(["runc", "--root", root, "run", "--bundle",
                            bundle.path, cid], capture_output=True, text=True,
                           timeout=timeout)
    finally:
        subprocess.run(["runc", "--root", root, "delete", "--force", cid],
                       capture_output=True)
    return p, cid


def both(ward, make_bundle, tmp_path, edit, args=("sh", "/probe.sh")):
    """Run CONFIG (default_config edited by EDIT) under runc and under ward
    with the probe; return (runc output, ward output) normalised.
    MAKE_BUNDLE may be (directory, rootfs template): bundles go there."""
    requires("root", "runc")
    outs = []
    for runtime in ("runc", "ward"):
        if isinstance(make_bundle, tuple):
            where, template = make_bundle
            path = tempfile.mkdtemp(dir=where)
            os.chmod(path, 0o755)
            b = Bundle(path, template)
        else:
            b = make_bundle()
        with open(os.path.join(b.rootfs, "probe.sh"), "w") as f:
            f.write(PROBE)
        b.set_args(*args)
        edit(b)
        b.write()
        if runtime == "runc":
            p, cid = _run_runc(b, tmp_path)
        else:
            cid = ward.new_id()
            p = ward("run", "--bundle", b.path, cid)
        assert p.returncode == 0, "%s: %s%s" % (runtime, p.stdout, p.stderr)
        outs.append(normalise(p.stdout, cid))
    return outs


def _same(ward, make_bundle, tmp_path, edit):
    runc_out, ward_out = both(ward, make_bundle, tmp_path, edit)
    diff = "".join(difflib.unified_diff(
        runc_out.splitlines(True), ward_out.splitlines(True), "runc", "ward",
        n=1))
    assert not diff, "what the process sees differs:\n" + diff


# ---------------------------------------------------------------- oracle ---

def test_default_config_same_as_runc(ward, make_bundle, tmp_path):
    """runtime.md: "the runtime MUST ... create the container ... using the
    configuration in config.json". The bundle `runc spec` writes: the process
    sees the same ids, env, umask, limits, capability sets, mounts, /dev,
    masked and read-only paths under both runtimes."""
    _same(ward, make_bundle, tmp_path, lambda b: None)


def test_runc_spec_config_same_as_runc(ward, make_bundle, tmp_path):
    """config.md: the config `runc spec` itself writes (ociVersion 1.0.2-dev,
    its own mounts and capability list) runs under ward as under runc."""
    requires("runc")
    spec_dir = tmp_path / "runc-spec"
    spec_dir.mkdir()
    subprocess.run(["runc", "spec", "--bundle", str(spec_dir)], check=True)
    with open(spec_dir / "config.json") as f:
        cfg = json.load(f)

    def edit(b):
        args = b.config["process"]["args"]
        b.config = copy.deepcopy(cfg)
        b.config["process"]["args"] = args
        b.config["process"]["terminal"] = False
    _same(ward, make_bundle, tmp_path, edit)


def test_rootless_spec_config_same_as_runc(ward, make_bundle, tmp_path):
    """config-linux.md: "uidMappings ... gidMappings ... The runtime SHOULD
    NOT modify the ownership of referenced filesystems to realize the
    mapping." The config `runc spec --rootless` writes (a user namespace
    mapping the caller's uid to 0, no network namespace, bind-mounted /sys)
    run by root: both runtimes show the same mappings, ids and mounts."""
    requires("runc")
    spec_dir = tmp_path / "runc-spec"
    spec_dir.mkdir()
    subprocess.run(["runc", "spec", "--rootless", "--bundle", str(spec_dir)],
                   check=True)
    with open(spec_dir / "config.json") as f:
        cfg = json.load(f)

    def edit(b):
        args = b.config["process"]["args"]
        b.config = copy.deepcopy(cfg)
        b.config["process"]["args"] = args
        b.config["process"]["terminal"] = False
    _same(ward, make_bundle, tmp_path, edit)


def test_user_same_as_runc(ward, make_bundle, tmp_path):
    """config.md: "uid (int, REQUIRED) specifies the user ID in the container
    namespace. gid (int, REQUIRED) specifies the group ID ... umask (int,
    OPTIONAL) specifies the umask of the user ... additionalGids (array of
    ints, OPTIONAL) specifies additional group IDs in the container namespace
    to be added to the process." uid 1000, gid 1000, groups 5 and 65534,
    umask 027: the same id, Groups and umask as under runc."""
    def edit(b):
        b.config["process"]["user"] = {"uid": 1000, "gid": 1000, "umask": 0o27,
                                       "additionalGids": [5, 65534]}
    _same(ward, make_bundle, tmp_path, edit)


def test_user_from_passwd_same_as_runc(ward, make_bundle, tmp_path):
    """config.md: "env (array of strings, OPTIONAL) with the same semantics
    as IEEE Std 1003.1-2008's environ." An env without HOME, user 65534:
    runc sets HOME from the rootfs's /etc/passwd (libcontainer); a program
    that reads $HOME must find the same under ward."""
    def edit(b):
        b.config["process"]["user"] = {"uid": 65534, "gid": 65534}
    _same(ward, make_bundle, tmp_path, edit)


def test_cwd_same_as_runc(ward, make_bundle, tmp_path):
    """config.md: "cwd (string, REQUIRED) is the working directory that will
    be set for the executable. This value MUST be an absolute path." A cwd
    that does not exist in the rootfs yet (runc makes it) and a non-root
    user."""
    def edit(b):
        b.config["root"]["readonly"] = False
        b.config["process"]["cwd"] = "/work/here"
        b.config["process"]["user"] = {"uid": 1000, "gid": 1000}
    _same(ward, make_bundle, tmp_path, edit)


def test_rlimits_same_as_runc(ward, make_bundle, tmp_path):
    """config.md: "rlimits (array of objects, OPTIONAL) allows setting
    resource limits for the process ... the runtime MUST generate an error
    for any values which cannot be mapped to a relevant kernel interface.
    For each entry in rlimits, a getrlimit(3) on type MUST succeed. For the
    following properties, rlim refers to the status returned by the
    getrlimit(3) call: soft ... rlim.rlim_cur MUST match the configured
    value. hard ... rlim.rlim_max MUST match the configured value.\""""
    def edit(b):
        b.config["process"]["rlimits"] = [
            {"type": "RLIMIT_NOFILE", "hard": 1000, "soft": 500},
            {"type": "RLIMIT_CORE", "hard": 0, "soft": 0},
            {"type": "RLIMIT_NPROC", "hard": 4000, "soft": 3000},
            {"type": "RLIMIT_STACK", "hard": 16777216, "soft": 8388608},
            {"type": "RLIMIT_MSGQUEUE", "hard": 819200, "soft": 409600},
        ]
    _same(ward, make_bundle, tmp_path, edit)


def test_capabilities_same_as_runc(ward, make_bundle, tmp_path):
    """config.md: "capabilities (object, OPTIONAL) is an object containing
    arrays that specifies the sets of capabilities for the process ...
    effective ... bounding ... inheritable ... permitted ... ambient"; with
    noNewPrivileges false ("noNewPrivileges (bool, OPTIONAL) setting
    noNewPrivileges to true prevents the process from gaining additional
    privileges"), a non-root user keeping ambient capabilities: CapInh,
    CapPrm, CapEff, CapBnd, CapAmb and NoNewPrivs as under runc."""
    def edit(b):
        caps = ["CAP_CHOWN", "CAP_NET_BIND_SERVICE", "CAP_KILL"]
        b.config["process"]["noNewPrivileges"] = False
        b.config["process"]["user"] = {"uid": 1000, "gid": 1000}
        b.config["process"]["capabilities"] = {
            "bounding": caps + ["CAP_SYS_ADMIN"], "effective": caps,
            "permitted": caps, "inheritable": caps, "ambient": caps}
    _same(ward, make_bundle, tmp_path, edit)


def test_no_capabilities_same_as_runc(ward, make_bundle, tmp_path):
    """config.md: capabilities is OPTIONAL; a process with no capabilities
    object at all (every set empty under runc) and noNewPrivileges true."""
    def edit(b):
        del b.config["process"]["capabilities"]
    _same(ward, make_bundle, tmp_path, edit)


def test_oom_hostname_domainname_sysctl_same_as_runc(ward, make_bundle,
                                                     tmp_path):
    """config.md: "oomScoreAdj (int, OPTIONAL) adjusts the oom-killer score
    in [pid]/oom_score_adj"; "hostname (string, OPTIONAL) specifies the
    container's hostname as seen by processes running inside the
    container"; config-linux.md: "sysctl (object, OPTIONAL) allows kernel
    parameters to be modified at runtime for the container.\""""
    def edit(b):
        b.config["process"]["oomScoreAdj"] = 500
        b.config["hostname"] = "spec-host"
        b.config["linux"]["sysctl"] = {"net.ipv4.ip_forward": "1",
                                       "kernel.shm_rmid_forced": "1",
                                       "kernel.msgmax": "4096"}
    _same(ward, make_bundle, tmp_path, edit)


def test_devices_same_as_runc(ward, make_bundle, tmp_path):
    """config-linux.md: "devices (array of objects, OPTIONAL) lists devices
    that MUST be available in the container ... type (string, REQUIRED) -
    type of device: c, b, u or p ... fileMode (uint32, OPTIONAL) - file mode
    for the device ... uid ... gid ..." plus the default devices ("the
    runtime MUST supply" /dev/null, zero, full, random, urandom, tty,
    /dev/console, /dev/ptmx) and "/dev/fd -> /proc/self/fd" etc."""
    def edit(b):
        b.config["linux"]["devices"] = [
            {"path": "/dev/fuse", "type": "c", "major": 10, "minor": 229,
             "fileMode": 0o600, "uid": 1000, "gid": 1000},
            {"path": "/dev/loop-ward", "type": "b", "major": 7, "minor": 200,
             "fileMode": 0o660, "uid": 0, "gid": 6},
        ]
    _same(ward, make_bundle, tmp_path, edit)


def test_mounts_same_as_runc(ward, make_bundle, tmp_path):
    """config.md: "mounts (array of object, OPTIONAL) specifies additional
    mounts beyond root. The runtime MUST mount entries in the listed order
    ... destination ... This value MUST be an absolute path ... options
    (array of strings, OPTIONAL) Mount options of the filesystem to be
    used." Bind mounts ro/nosuid/nodev/noexec, a recursive bind, tmpfs with
    mode and size, and each propagation flag, as seen in mountinfo."""
    src = tmp_path / "src"
    (src / "sub").mkdir(parents=True)

    def edit(b):
        m = b.config["mounts"]
        m += [
            {"destination": "/mnt/ro", "type": "bind", "source": str(src),
             "options": ["bind", "ro", "nosuid", "nodev", "noexec"]},
            {"destination": "/mnt/rbind", "type": "bind", "source": str(src),
             "options": ["rbind", "rprivate"]},
            {"destination": "/mnt/shared", "type": "bind", "source": str(src),
             "options": ["bind", "shared"]},
            {"destination": "/mnt/slave", "type": "bind", "source": str(src),
             "options": ["bind", "rslave"]},
            {"destination": "/mnt/unbindable", "type": "bind",
             "source": str(src), "options": ["bind", "unbindable"]},
            {"destination": "/mnt/tmp", "type": "tmpfs", "source": "tmpfs",
             "options": ["nosuid", "nodev", "mode=1770", "size=1m", "uid=1000"]},
            {"destination": "/mnt/atime", "type": "tmpfs", "source": "tmpfs",
             "options": ["noatime", "nodiratime", "rw"]},
        ]
    _same(ward, make_bundle, tmp_path, edit)


def test_rootfs_rw_and_propagation_same_as_runc(ward, make_bundle, tmp_path):
    """config.md: "readonly (bool, OPTIONAL) If true then the root filesystem
    MUST be read-only inside the container, defaults to false";
    config-linux.md: "rootfsPropagation (string, OPTIONAL) sets the rootfs's
    mount propagation. Its value is either shared, slave, private or
    unbindable.\""""
    def edit(b):
        b.config["root"]["readonly"] = False
        b.config["linux"]["rootfsPropagation"] = "slave"
    _same(ward, make_bundle, tmp_path, edit)


def test_masked_readonly_paths_same_as_runc(ward, make_bundle, tmp_path):
    """config-linux.md: "maskedPaths (array of strings, OPTIONAL) will mask
    over the provided paths inside the container so that they cannot be
    read. The values MUST be absolute paths"; "readonlyPaths (array of
    strings, OPTIONAL) will set the provided paths as readonly inside the
    container." A file, a directory, and paths that do not exist."""
    def edit(b):
        b.config["linux"]["maskedPaths"] = ["/proc/kcore", "/sys/firmware",
                                            "/proc/acpi", "/no/such/path"]
        b.config["linux"]["readonlyPaths"] = ["/proc/sys", "/dev/shm",
                                              "/no/such/ro"]
    _same(ward, make_bundle, tmp_path, edit)


@pytest.fixture
def shared_dir(tmp_path, rootfs_template):
    """A directory a mapped root can walk (pytest's tmp dirs are 0700)."""
    d = tempfile.mkdtemp(prefix="ward-spec-", dir="/tmp")
    os.chmod(d, 0o711)
    yield d, rootfs_template
    shutil.rmtree(d, ignore_errors=True)


@pytest.mark.xfail(strict=True, reason=(
    "ward creates the ipc namespace as the host's root, before it becomes "
    "the container's root, so /dev/mqueue (the ipc namespace's mqueue root, "
    "made when the namespace is) shows as 65534:65534; runc unshares it as "
    "the container's root (0). Needs the non-user namespaces created after "
    "the setresuid in the user namespace (ns.c/selfclone.c)"))
def test_user_namespace_same_as_runc(ward, shared_dir, tmp_path):
    """config-linux.md: "uidMappings (array of objects, OPTIONAL) describes
    the user namespace uid mappings from the host to the container.
    gidMappings ..."; "containerID ... hostID ... size". Container root is
    host 100000, as under runc."""
    def edit(b):
        b.config["linux"]["namespaces"].append({"type": "user"})
        b.config["linux"]["uidMappings"] = [
            {"containerID": 0, "hostID": 100000, "size": 65536}]
        b.config["linux"]["gidMappings"] = [
            {"containerID": 0, "hostID": 100000, "size": 65536}]
        # the cgroup mount needs a cgroup namespace under a user namespace
        b.config["mounts"] = [m for m in b.config["mounts"]
                              if m["type"] != "cgroup"]
    _same(ward, shared_dir, tmp_path, edit)


def test_domainname(ward, bundle):
    """config.md: "domainname (string, OPTIONAL) specifies the container's
    domainname as seen by processes running inside the container. On Linux,
    you can only set this if your bundle creates a new UTS namespace."
    (runc 1.1.5 predates the field and ignores it: no oracle here.)"""
    requires("root")
    bundle.config["domainname"] = "spec.example"
    bundle.set_args("cat", "/proc/sys/kernel/domainname").write()
    p = ward("run", "--bundle", bundle.path, ward.new_id())
    assert p.returncode == 0, p.stderr
    assert p.stdout == "spec.example\n"


# ------------------------------------------------------------- lifecycle ---
# runtime.md's operations, as the runtime-tools validation programs drive
# them (validation/create, start, kill, delete, state).

def _created(ward, bundle, *args):
    bundle.config["root"]["readonly"] = False
    bundle.set_args(*(args or ("sh", "-c", "touch /ran; sleep 30"))).write()
    cid = ward.new_id()
    p = ward("create", "--bundle", bundle.path, cid)
    assert p.returncode == 0, p.stderr
    return cid


def _state(ward, cid):
    p = ward("state", cid)
    assert p.returncode == 0, p.stderr
    return json.loads(p.stdout)


def test_create_does_not_run_the_process(ward, bundle):
    """runtime.md, create: "the user-specified program (from process) MUST
    NOT be run at this time"; start: "This operation MUST run the
    user-specified program as specified by process.\""""
    requires("root")
    cid = _created(ward, bundle)
    time.sleep(0.3)
    assert not os.path.exists(os.path.join(bundle.rootfs, "ran"))
    assert _state(ward, cid)["status"] == "created"
    assert ward("start", cid).returncode == 0
    assert wait_for(lambda: os.path.exists(os.path.join(bundle.rootfs, "ran")))
    assert _state(ward, cid)["status"] == "running"


def test_state_fields(ward, bundle):
    """runtime.md, state: "ociVersion (string, REQUIRED) ... id (string,
    REQUIRED) ... status (string, REQUIRED) ... pid (int, REQUIRED when
    status is created or running on Linux) is the ID of the container
    process, as seen by the host ... bundle (string, REQUIRED) is the
    absolute path to the container's bundle directory ... annotations (map,
    OPTIONAL) contains the list of annotations associated with the
    container. If no annotations were provided then this property MAY
    either be absent or an empty map.\""""
    requires("root")
    bundle.config["annotations"] = {"org.example.k": "v"}
    cid = _created(ward, bundle)
    st = _state(ward, cid)
    assert st["id"] == cid
    assert st["status"] == "created"
    assert isinstance(st["ociVersion"], str) and st["ociVersion"]
    assert st["bundle"] == os.path.abspath(bundle.path)
    assert st["annotations"] == {"org.example.k": "v"}
    assert st["pid"] > 0 and os.path.exists("/proc/%d" % st["pid"])
    # the pid is the container's process: its root is the bundle's rootfs
    assert os.path.samefile("/proc/%d/root/bin/busybox" % st["pid"],
                            os.path.join(bundle.rootfs, "bin", "busybox"))


def test_create_with_an_id_in_use_is_an_error(ward, bundle, make_bundle):
    """runtime.md, create: "This operation MUST generate an error if it is
    not provided a path to the bundle and the container ID to associate with
    the container. If the ID provided is not unique across all containers
    within the scope of the runtime, or is not valid in any other way, the
    implementation MUST generate an error and a new container MUST NOT be
    created.\""""
    requires("root")
    cid = _created(ward, bundle)
    before = _state(ward, cid)
    other = make_bundle()
    other.write()
    p = ward("create", "--bundle", other.path, cid)
    assert p.returncode != 0
    assert _state(ward, cid) == before


def test_start_of_a_container_not_created_is_an_error(ward, bundle):
    """runtime.md, start: "Attempting to start a container that is not
    created MUST have no effect on the container and MUST generate an
    error." Running, stopped, and unknown."""
    requires("root")
    cid = _created(ward, bundle, "sh", "-c", "touch /ran; sleep 2")
    assert ward("start", cid).returncode == 0
    assert ward("start", cid).returncode != 0
    assert _state(ward, cid)["status"] == "running"
    assert wait_for(lambda: status_of(ward, cid) == "stopped", timeout=15)
    assert ward("start", cid).returncode != 0
    assert _state(ward, cid)["status"] == "stopped"
    assert ward("start", "no-such-" + cid).returncode != 0


def test_kill_of_a_stopped_container_is_an_error(ward, bundle):
    """runtime.md, kill: "Attempting to send a signal to a container that is
    neither created nor running MUST have no effect on the container and
    MUST generate an error. This operation MUST send the specified signal to
    the container process.\""""
    requires("root")
    cid = _created(ward, bundle, "true")
    assert ward("start", cid).returncode == 0
    assert wait_for(lambda: status_of(ward, cid) == "stopped", timeout=15)
    assert ward("kill", cid, "KILL").returncode != 0
    assert _state(ward, cid)["status"] == "stopped"


def test_kill_of_a_created_container_signals_it(ward, bundle):
    """runtime.md, kill: a created container may be signalled; after SIGKILL
    it is stopped (runtime-tools validation/kill: created -> stopped)."""
    requires("root")
    cid = _created(ward, bundle)
    assert ward("kill", cid, "KILL").returncode == 0
    assert wait_for(lambda: status_of(ward, cid) == "stopped", timeout=15)
    assert not os.path.exists(os.path.join(bundle.rootfs, "ran"))


def test_delete_of_a_running_container_is_an_error(ward, bundle):
    """runtime.md, delete: "Attempting to delete a container that is not
    stopped MUST have no effect on the container and MUST generate an
    error.\""""
    requires("root")
    cid = _created(ward, bundle)
    assert ward("start", cid).returncode == 0
    pid = _state(ward, cid)["pid"]
    p = ward("delete", cid)
    assert p.returncode != 0
    assert _state(ward, cid)["status"] == "running"
    assert os.path.exists("/proc/%d" % pid)


def test_delete_removes_the_container(ward, bundle):
    """runtime.md, delete: "Deleting a container MUST delete the resources
    that were created during the create step. Note that resources associated
    with the container, but not created by this container, MUST NOT be
    deleted. Once a container is deleted its ID MAY be used by a subsequent
    container." (the bundle stays; the id is reusable)"""
    requires("root")
    cid = _created(ward, bundle, "true")
    assert ward("start", cid).returncode == 0
    assert wait_for(lambda: status_of(ward, cid) == "stopped", timeout=15)
    assert ward("delete", cid).returncode == 0
    assert ward("state", cid).returncode != 0
    assert os.path.exists(os.path.join(bundle.path, "config.json"))
    assert os.path.exists(os.path.join(bundle.rootfs, "bin", "busybox"))
    p = ward("create", "--bundle", bundle.path, cid)
    assert p.returncode == 0, p.stderr


def test_hook_timeout(ward, bundle, tmp_path):
    """config.md, hooks: "timeout (int, OPTIONAL) is the number of seconds
    before aborting the hook. If set, timeout MUST be greater than zero."
    A createRuntime hook past its timeout fails create (runtime.md: "If any
    createRuntime hook fails, the runtime MUST generate an error, stop the
    container") and leaves nothing; timeout 0 is refused."""
    requires("root")
    bundle.config["hooks"] = {"createRuntime": [
        {"path": "/bin/sleep", "args": ["sleep", "30"], "timeout": 1}]}
    bundle.write()
    cid = ward.new_id()
    t = time.monotonic()
    p = ward("create", "--bundle", bundle.path, cid)
    assert p.returncode != 0
    assert time.monotonic() - t < 20
    assert ward("state", cid).returncode != 0
    bundle.config["hooks"]["createRuntime"][0]["timeout"] = 0
    bundle.write()
    p = ward("create", "--bundle", bundle.path, ward.new_id())
    assert p.returncode != 0
    assert "timeout" in p.stderr


def test_seccomp_same_as_runc(ward, make_bundle, tmp_path):
    """config-linux.md: "Seccomp provides application sandboxing mechanism in
    the Linux kernel ... defaultAction (string, REQUIRED) the default action
    for seccomp ... syscalls (array of objects, OPTIONAL) match a syscall in
    seccomp." Allow by default, mkdir refused with EPERM: the filter is in
    place (Seccomp: 2) and the probe sees the same everywhere else."""
    def edit(b):
        b.config["linux"]["seccomp"] = {
            "defaultAction": "SCMP_ACT_ALLOW",
            "architectures": ["SCMP_ARCH_X86_64"],
            "syscalls": [{"names": ["mkdir", "mkdirat"],
                          "action": "SCMP_ACT_ERRNO", "errnoRet": 1}]}
    requires("x86_64")
    _same(ward, make_bundle, tmp_path, edit)


def test_namespace_by_path_same_as_runc(ward, make_bundle, tmp_path):
    """config-linux.md: "path (string, OPTIONAL) - namespace file. This value
    MUST be an absolute path in the runtime mount namespace ... If a path is
    specified, that particular file is used to join that type of
    namespace." A network and a UTS namespace made for this test, joined
    by path: the same hostname and interfaces under both."""
    requires("root")
    name = "ward-spec-%s" % uuid.uuid4().hex[:8]
    holder = subprocess.Popen(["unshare", "--net", "--uts", "sh", "-c",
                               "hostname %s; exec sleep 300" % name])
    try:
        assert wait_for(lambda: os.readlink("/proc/%d/ns/uts" % holder.pid)
                        != os.readlink("/proc/self/ns/uts") and
                        open("/proc/%d/cmdline" % holder.pid).read()
                        .startswith("sleep"))

        def edit(b):
            ns = [n for n in b.config["linux"]["namespaces"]
                  if n["type"] not in ("network", "uts")]
            ns += [{"type": "network", "path": "/proc/%d/ns/net" % holder.pid},
                   {"type": "uts", "path": "/proc/%d/ns/uts" % holder.pid}]
            b.config["linux"]["namespaces"] = ns
            del b.config["hostname"]
        runc_out, ward_out = both(ward, make_bundle, tmp_path, edit)
        assert name in ward_out
        assert ward_out == runc_out
    finally:
        holder.kill()
        holder.wait()


def test_exec_env_same_as_runc(ward, make_bundle, tmp_path):
    """runtime.md leaves exec to the runtime; runc's `exec` runs
    process.json's process with the same rules as the init: a process with
    no HOME in its env gets its user's from the container's /etc/passwd."""
    requires("root", "runc")
    outs = []
    for runtime in ("runc", "ward"):
        b = make_bundle()
        b.set_args("sleep", "30").write()
        cmd = ["exec", "--user", "65534:65534", "--env", "X=1"]
        if runtime == "runc":
            root = str(tmp_path / "runc-root")
            cid = leak_guard.own("rs-%s" % uuid.uuid4().hex[:10])
            base = ["runc", "--root", root]
            try:
                # not pipes: the container would hold them open
                subprocess.run(base + ["run", "-d", "--bundle", b.path, cid],
                               check=True, stdin=subprocess.DEVNULL,
                               stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL, timeout=60)
                p = subprocess.run(base + cmd + [cid, "sh", "-c",
                                                 "env | sort; id"],
                                   capture_output=True, text=True, timeout=60)
            finally:
                subprocess.run(base + ["delete", "--force", cid],
                               capture_output=True)
        else:
            cid = ward.new_id()
            assert ward("run", "-d", "--bundle", b.path, cid).returncode == 0
            p = ward(*(cmd + [cid, "sh", "-c", "env | sort; id"]))
        assert p.returncode == 0, p.stderr
        outs.append(p.stdout)
    assert outs[1] == outs[0]


def test_supplementary_groups_from_group_file_same_as_runc(ward, make_bundle,
                                                           tmp_path):
    """config.md: "additionalGids (array of ints, OPTIONAL) specifies
    additional group IDs in the container namespace to be added to the
    process." A user named as a member in the rootfs's /etc/group: runc
    gives exactly the configured groups or also the file's? The process
    must see the same under ward."""
    def edit(b):
        with open(os.path.join(b.rootfs, "etc", "group"), "a") as f:
            f.write("audio:x:29:nobody\n")
        b.config["process"]["user"] = {"uid": 65534, "gid": 65534,
                                       "additionalGids": [5]}
    _same(ward, make_bundle, tmp_path, edit)


def test_resources_same_as_runc(ward, make_bundle, tmp_path):
    """config-linux.md: "cgroupsPath (string, OPTIONAL) path to the
    cgroups"; "resources (object, OPTIONAL) ... memory ... limit (int64,
    OPTIONAL) - sets limit of memory usage in bytes"; "pids ... limit";
    "cpu ... shares ... quota ... period"; "devices (array of objects,
    OPTIONAL) configures the device allowlist. The runtime MUST apply
    entries in the listed order." As the container sees them in its
    /sys/fs/cgroup and by opening the devices."""
    def edit(b):
        b.config["linux"]["resources"] = {
            "devices": [{"allow": False, "access": "rwm"},
                        {"allow": True, "type": "c", "major": 1, "minor": 3,
                         "access": "rwm"}],
            "memory": {"limit": 67108864},
            "pids": {"limit": 100},
            "cpu": {"shares": 512, "quota": 50000, "period": 100000}}
        b.config["linux"]["devices"] = [
            {"path": "/dev/fuse", "type": "c", "major": 10, "minor": 229,
             "fileMode": 0o666}]
    _same(ward, make_bundle, tmp_path, edit)


def test_unknown_capability_warns_and_runs_like_runc(ward, make_bundle,
                                                     tmp_path):
    """config.md (v1.1 on), capabilities: "Any value which cannot be mapped
    to a relevant kernel interface, or cannot be granted otherwise MUST be
    logged as a warning by the runtime. Runtimes SHOULD NOT fail if the
    container configuration requests capabilities that cannot be granted."
    runc warns ("ignoring unknown or unavailable capabilities") and runs;
    so does ward, the process holding the same sets."""
    def edit(b):
        for s in ("bounding", "effective", "permitted"):
            b.config["process"]["capabilities"][s].append("CAP_NOT_YET")
    _same(ward, make_bundle, tmp_path, edit)
    b = make_bundle()
    edit(b)
    b.set_args("true").write()
    p = ward("run", "--bundle", b.path, ward.new_id())
    assert p.returncode == 0, p.stderr
    assert 'process.capabilities.bounding[14]: unknown capability ' \
        '"CAP_NOT_YET", ignored' in p.stderr
    assert len(p.stderr.splitlines()) == 3


NOBODY = 65534


@pytest.mark.parametrize("owner", [
    "caller",
    pytest.param("root", marks=pytest.mark.xfail(strict=True, reason=(
        "an unprivileged ward idmaps a rootfs it does not own and fails "
        "with 'open_tree ROOTFS: Operation not permitted' "
        "(runtime/idmap/idmap_mount.c); runc binds it as is and its files "
        "show as nobody")))])
def test_rootless_run_same_as_runc(owner, shared_dir, tmp_path):
    """config-linux.md, user namespace mappings: "The runtime SHOULD NOT
    modify the ownership of referenced filesystems to realize the mapping."
    The config `runc spec --rootless` writes, run by an unprivileged user
    (nobody) under runc and under ward: both run it and the process sees
    the same, whether the rootfs is the caller's or root's."""
    requires("root", "runc")
    where, template = shared_dir
    outs = []
    spec_dir = os.path.join(where, "spec")
    os.mkdir(spec_dir)
    subprocess.run(["runc", "spec", "--rootless", "--bundle", spec_dir],
                   check=True)
    with open(os.path.join(spec_dir, "config.json")) as f:
        cfg = json.load(f)
    for m in cfg["linux"]["uidMappings"] + cfg["linux"]["gidMappings"]:
        m["hostID"] = NOBODY
    cfg["process"]["args"] = ["sh", "/probe.sh"]
    cfg["process"]["terminal"] = False
    for runtime in ("runc", "ward"):
        path = tempfile.mkdtemp(dir=where)
        os.chmod(path, 0o755)
        b = Bundle(path, template)
        with open(os.path.join(b.rootfs, "probe.sh"), "w") as f:
            f.write(PROBE)
        b.config = copy.deepcopy(cfg)
        b.write()
        if owner == "caller":
            for dirpath, dirnames, filenames in os.walk(b.rootfs):
                for n in [dirpath] + [os.path.join(dirpath, x)
                                      for x in dirnames + filenames]:
                    os.lchown(n, NOBODY, NOBODY)
        xdg = tempfile.mkdtemp(dir=where)
        os.chown(xdg, NOBODY, NOBODY)
        cid = leak_guard.own("rs-%s" % uuid.uuid4().hex[:10])
        exe = ["runc"] if runtime == "runc" else [t_WARD]
        user = ["setpriv", "--reuid=%d" % NOBODY, "--regid=%d" % NOBODY,
                "--clear-groups", "env", "XDG_RUNTIME_DIR=" + xdg,
                "HOME=" + xdg]
        base = user + exe + ["--root", os.path.join(xdg, "root")]
        try:
            p = subprocess.run(base + ["run", "--bundle", b.path, cid],
                               capture_output=True, text=True, timeout=60)
        finally:
            subprocess.run(base + ["delete", "--force", cid],
                           capture_output=True, timeout=60)
        assert p.returncode == 0, "%s: %s%s" % (runtime, p.stdout, p.stderr)
        outs.append(normalise(p.stdout, cid))
    diff = "".join(difflib.unified_diff(
        outs[0].splitlines(True), outs[1].splitlines(True), "runc", "ward",
        n=1))
    assert not diff, "what the process sees differs:\n" + diff
