# SPDX-License-Identifier: GPL-2.0-or-later
"""ward check (issue 16): the host doctor, the bundle linter, the
name-leakage fix, `ward spec`'s own output, and make install/uninstall.

Host conditions are built in a private mount namespace (test_idmap's Host:
a sleeping `unshare -m` entered with nsenter, with its own /run/ward-idmap):
fake /etc/subuid and /etc/subgid, a PATH without newuidmap, a ramfs that
cannot be idmapped beside an ext4 image that can, a pure cgroup v2 view,
and a fake /proc and /sys/kernel/slab for the leak fix.  The host's own
files are never changed."""
import json
import os
import re
import shlex
import shutil
import stat
import subprocess

import pytest

from conftest import REPO, WARD, default_config
from cgroup_helpers import host_layout
from test_idmap import POOL, Host, NsWard, host, iw, traversable  # noqa: F401

PROBES = [
    "cgroup.layout", "cgroup.controllers", "cgroup.delegation",
    "cgroup.manager", "userns.enabled", "userns.subids", "userns.capacity",
    "idmap.state-root", "idmap.rootfs", "idmap.overlay", "kernel.clone3",
    "kernel.pidfd", "kernel.openat2", "kernel.mount-api", "kernel.seccomp",
    "kernel.time-ns", "lsm", "criu", "net.nft-bridge", "net.ward-net",
    "net.br-netfilter", "leak.sched-debug", "leak.slab",
]


def rows(p):
    doc = json.loads(p.stdout)
    return {c["name"]: c for c in doc["checks"]}


def in_ns(host, script, env=None):
    """SCRIPT (sh) inside HOST's mount namespace, output captured."""
    e = dict(os.environ, WPATH=host.path, W=WARD)
    e.update(env or {})
    return subprocess.run(host.prefix() + ["/bin/sh", "-c", script], env=e,
                          capture_output=True, text=True, timeout=120)


def check_in_ns(host, *args, setup="", root=None):
    """`ward check --format json ARGS` after SETUP, in HOST's namespace,
    with the Host's PATH (its choice of newuidmap/newgidmap)."""
    cmd = 'env PATH="$WPATH" "$W" ' + " ".join(shlex.quote(a) for a in (
        (["--root", root] if root else []) + ["check", "--format", "json"] +
        list(args)))
    p = in_ns(host, "set -e\n%s\n%s" % (setup, cmd) if setup else cmd)
    assert p.stdout.startswith("{"), p.stderr
    return p


# ---- the report -------------------------------------------------------------

def test_every_probe_reported_and_exit_follows_fail(ward):
    p = ward("check", "--format", "json")
    doc = json.loads(p.stdout)
    assert [c["name"] for c in doc["checks"]] == PROBES
    for c in doc["checks"]:
        assert c["status"] in ("ok", "warn", "fail"), c
        assert c["seen"], c
        if c["status"] != "ok":
            assert c["fix"], c
    failed = [c for c in doc["checks"] if c["status"] == "fail"]
    assert doc["summary"]["fail"] == len(failed)
    assert p.returncode == (1 if failed else 0), p.stdout
    t = ward("check")
    assert t.returncode == p.returncode
    assert t.stdout.splitlines()[0].split() == ["STATUS", "CHECK", "SEEN"]
    for name in PROBES:
        assert ("  %s " % name) in t.stdout


def test_exit_0_when_nothing_fails(host, ward):
    """With root given a range, nothing on the reference VM fails."""
    host.shadow(POOL)
    p = check_in_ns(host, root=ward.root)
    failed = {k: v for k, v in rows(p).items() if v["status"] == "fail"}
    if failed:
        pytest.skip("this host fails other checks too: %s" % failed)
    assert p.returncode == 0


def test_kernel_features_of_this_kernel(ward):
    r = rows(ward("check", "--format", "json"))
    for name in ("kernel.clone3", "kernel.pidfd", "kernel.openat2",
                 "kernel.mount-api", "kernel.seccomp", "kernel.time-ns"):
        assert r[name]["status"] == "ok", r[name]
    assert "CLONE_INTO_CGROUP" in r["kernel.clone3"]["seen"]
    assert "libseccomp 2." in r["kernel.seccomp"]["seen"]
    assert "AppArmor" in r["lsm"]["seen"] and "SELinux" in r["lsm"]["seen"]


def test_unprivileged_says_what_it_could_not_see(tmp_path):
    if os.geteuid() != 0 or not shutil.which("setpriv"):
        pytest.skip("needs root and setpriv to drop to nobody")
    # nobody must reach the binary (pytest's temp dirs are 0700).
    if not os.access(WARD, os.X_OK) or any(
            not os.stat(d).st_mode & 0o001 for d in
            [os.path.dirname(WARD)] + [
                p for p in _parents(os.path.dirname(WARD))]):
        pytest.skip("%s is not reachable by nobody" % WARD)
    p = subprocess.run(
        ["setpriv", "--reuid", "65534", "--regid", "65534", "--clear-groups",
         "--", WARD, "--root", str(tmp_path / "state"), "check", "--format",
         "json"], capture_output=True, text=True, timeout=120,
        env=dict(os.environ, XDG_RUNTIME_DIR=str(tmp_path)))
    r = rows(p)
    assert list(r) == PROBES
    for name in ("idmap.state-root", "idmap.overlay"):
        assert r[name]["status"] == "warn", r[name]
        assert r[name]["seen"].startswith("not seen as uid 65534"), r[name]
    assert "needs root" in r["criu"]["seen"] or "not found" in r["criu"]["seen"]


def _parents(path):
    out = []
    while path not in ("/", ""):
        out.append(path)
        path = os.path.dirname(path)
    return out


# ---- cgroups ------------------------------------------------------------------

def test_cgroup_layout_host_and_pure_v2_view(host):
    r = rows(check_in_ns(host))
    assert r["cgroup.layout"]["seen"].startswith(host_layout() + ":")
    assert r["cgroup.layout"]["status"] == "ok"
    r = rows(check_in_ns(host, setup="mount -t cgroup2 cgroup2 /sys/fs/cgroup"))
    assert r["cgroup.layout"]["seen"] == "v2: cgroup2 at /sys/fs/cgroup"
    # Controllers bound to v1 on the host are missing from the pure v2 view.
    ctrls = open("/sys/fs/cgroup/cgroup.controllers").read().split() \
        if host_layout() == "v2" else \
        open("/sys/fs/cgroup/unified/cgroup.controllers").read().split() \
        if os.path.exists("/sys/fs/cgroup/unified/cgroup.controllers") else []
    seen = r["cgroup.controllers"]["seen"]
    for c in ctrls:
        assert "%s:v2" % c in seen
    if "memory" not in ctrls:
        assert r["cgroup.controllers"]["status"] == "warn"
        assert "memory" in r["cgroup.controllers"]["seen"].split("missing:")[1]


def test_cgroup_without_any_mount_fails(host):
    r = rows(check_in_ns(host, setup="mount -t tmpfs tmpfs /sys/fs/cgroup"))
    assert r["cgroup.layout"]["status"] == "fail"
    assert "no cgroup filesystem" in r["cgroup.layout"]["seen"]


# ---- user namespaces and subordinate ids --------------------------------------

@pytest.mark.parametrize("limit,status,seen", [
    ("0", "fail", "user.max_user_namespaces = 0"),
    ("1", "ok", "user.max_user_namespaces = 1; unshare works"),
])
def test_userns_limit(limit, status, seen):
    """user.max_user_namespaces is per user namespace: set it in one of
    the test's own (unshare -U -r), the host's stays as it is."""
    if not shutil.which("unshare"):
        pytest.skip("unshare is not installed")
    p = subprocess.run(
        ["unshare", "-U", "-r", "sh", "-c",
         'echo %s > /proc/sys/user/max_user_namespaces && exec "$0" check '
         '--format json' % limit, WARD],
        capture_output=True, text=True, timeout=120)
    if not p.stdout.startswith("{"):
        pytest.skip("cannot set the limit in a user namespace: " + p.stderr)
    r = rows(p)["userns.enabled"]
    assert (r["status"], r["seen"]) == (status, seen)
    if status == "fail":
        assert r["fix"] == "sysctl -w user.max_user_namespaces=15000"


def test_subids_range_short_none_and_default(host):
    host.shadow(POOL)
    r = rows(check_in_ns(host))
    assert r["userns.subids"]["status"] == "ok"
    assert "uids 1000000-1000999999" in r["userns.subids"]["seen"]
    assert r["userns.enabled"]["status"] == "ok"

    host.shadow("root:1000000:1000\n")
    p = check_in_ns(host)
    r = rows(p)
    assert r["userns.subids"]["status"] == "fail"
    assert "only 1000 subordinate uids" in r["userns.subids"]["seen"]
    assert r["userns.subids"]["fix"].startswith('add the line "root:')
    assert p.returncode == 1

    host.shadow("")
    r = rows(check_in_ns(host))
    assert r["userns.subids"]["status"] == "fail"
    assert "no subordinate uids" in r["userns.subids"]["seen"]


def test_subids_broken_shadow_setup(host):
    host.shadow(POOL)
    host.tools("newuidmap")  # newgidmap missing
    r = rows(check_in_ns(host))
    assert r["userns.subids"]["status"] == "fail"
    assert "broken shadow setup" in r["userns.subids"]["seen"]
    assert "newgidmap" in r["userns.subids"]["seen"]
    assert "uidmap" in r["userns.subids"]["fix"]


def test_subids_none_of_four_gives_default(host):
    host.hide_shadow_files()
    host.tools()
    r = rows(check_in_ns(host))
    assert r["userns.subids"]["status"] == "ok"
    assert "default range base 1000000 size 1000000000" in \
        r["userns.subids"]["seen"]


def test_capacity_counts_the_registry(host, iw, bundle):
    # Pool of 4 x 65536: the shared default range, then 3 isolated.
    host.shadow("root:1000000:262144\n")
    r = rows(check_in_ns(host))
    assert r["userns.capacity"]["seen"].startswith("3 more isolated")
    bundle.config.setdefault("annotations", {})["ward.idmap.isolated"] = "true"
    bundle.write()
    cid = iw.new_id()
    iw("create", "--bundle", bundle.path, cid, check=True)
    r = rows(check_in_ns(host))
    assert r["userns.capacity"]["seen"].startswith("2 more isolated")
    assert "(1 allocated" in r["userns.capacity"]["seen"]
    iw("delete", "--force", cid, check=True)
    host.shadow("root:1000000:65536\n")
    r = rows(check_in_ns(host))
    assert r["userns.capacity"]["status"] == "warn"
    assert "no room" in r["userns.capacity"]["seen"]


# ---- idmapped mounts ----------------------------------------------------------

def test_idmap_ramfs_cannot_ext4_can(host, tmp_path):
    if not shutil.which("mkfs.ext4"):
        pytest.skip("mkfs.ext4 is not installed")
    img = tmp_path / "ext4.img"
    with open(img, "wb") as f:
        f.truncate(16 << 20)
    subprocess.run(["mkfs.ext4", "-q", "-F", str(img)], check=True,
                   capture_output=True)
    ram, ext = tmp_path / "ram", tmp_path / "ext"
    ram.mkdir()
    ext.mkdir()
    setup = ("mount -t ramfs ramfs %s && mkdir %s/rootfs %s/state && "
             "mount -o loop %s %s && mkdir %s/rootfs %s/state" % (
                 ram, ram, ram, img, ext, ext, ext))
    p = in_ns(host, setup)
    if p.returncode != 0:
        pytest.skip("cannot mount ramfs and a loop ext4 here: " + p.stderr)
    r = rows(check_in_ns(host, "--rootfs", "%s/rootfs" % ram,
                         root="%s/state" % ram))
    for name in ("idmap.state-root", "idmap.rootfs"):
        assert r[name]["status"] == "warn", r[name]
        assert "(ramfs) cannot be idmapped" in r[name]["seen"]
        assert "ward.idmap.chown=true" in r[name]["fix"]
    r = rows(check_in_ns(host, "--rootfs", "%s/rootfs" % ext,
                         root="%s/state/not-yet" % ext))
    assert r["idmap.rootfs"]["status"] == "ok", r["idmap.rootfs"]
    assert "(ext4) can be idmapped" in r["idmap.rootfs"]["seen"]
    assert r["idmap.state-root"]["status"] == "ok"
    assert "nearest existing parent" in r["idmap.state-root"]["seen"]
    assert r["idmap.overlay"]["status"] == "ok", r["idmap.overlay"]
    # Nothing was left mounted by the trials, in the namespace or here.
    mi = in_ns(host, "cat /proc/self/mountinfo").stdout
    assert mi.count(" %s " % ext) == 1 and mi.count(" %s " % ram) == 1
    assert "ward-check" not in mi
    assert "ward-check" not in open("/proc/self/mountinfo").read()


def test_rootfs_not_a_directory_fails(ward, tmp_path):
    p = ward("check", "--format", "json", "--rootfs", str(tmp_path / "nope"))
    r = rows(p)
    assert r["idmap.rootfs"]["status"] == "fail"
    assert p.returncode == 1


# ---- CRIU, network ------------------------------------------------------------

def test_criu_present_and_missing(ward, tmp_path):
    r = rows(ward("check", "--format", "json", "--criu",
                  str(tmp_path / "no-criu")))
    assert r["criu"]["status"] == "warn"
    assert "not found" in r["criu"]["seen"]
    if not shutil.which("criu"):
        pytest.skip("criu is not installed")
    ver = subprocess.run(["criu", "--version"], capture_output=True,
                         text=True).stdout.split("Version: ")[1].split()[0]
    r = rows(ward("check", "--format", "json"))
    assert ("criu %s" % ver) in r["criu"]["seen"]
    assert "criu check" in r["criu"]["seen"]
    # the CRIU the checkpoint tests use (tests/criu/fetch.sh): the probe
    # asks through libcriu, as checkpoint and restore do, and it passes
    private = os.path.join(os.path.dirname(WARD), "criu", "criu")
    if not os.access(private, os.X_OK):
        private = os.path.join(REPO, "build", "criu", "criu")
    if os.access(private, os.X_OK):
        r = rows(ward("check", "--format", "json", "--criu", private))
        assert r["criu"]["status"] == "ok", r["criu"]
        assert r["criu"]["seen"].startswith("criu 4.")


def test_nft_bridge_tried_and_missing(ward, tmp_path):
    if not shutil.which("nft"):
        pytest.skip("nft is not installed")
    before = subprocess.run(["nft", "list", "tables"], capture_output=True,
                            text=True).stdout
    r = rows(ward("check", "--format", "json"))
    assert r["net.nft-bridge"]["status"] == "ok", r["net.nft-bridge"]
    assert "ward_check" not in subprocess.run(
        ["nft", "list", "tables"], capture_output=True, text=True).stdout
    assert "ward_check" not in before
    r = rows(ward("check", "--format", "json",
                  env=dict(os.environ, PATH=str(tmp_path))))
    assert r["net.nft-bridge"]["status"] == "warn"
    assert "nft not found" in r["net.nft-bridge"]["seen"]
    assert r["net.br-netfilter"]["status"] == "ok"
    loaded = os.path.isdir("/proc/sys/net/bridge")
    assert r["net.br-netfilter"]["seen"].startswith(
        "br_netfilter loaded" if loaded else "br_netfilter not loaded")


def test_ward_net_found_beside_an_installed_ward(tmp_path):
    dest = tmp_path / "dest"
    (dest / "bin").mkdir(parents=True)
    shutil.copy(WARD, dest / "bin" / "ward")
    p = subprocess.run([str(dest / "bin" / "ward"), "check", "--format",
                        "json"], capture_output=True, text=True, timeout=120)
    r = rows(p)
    if r["net.ward-net"]["status"] == "ok":
        pytest.skip("ward-net is installed system-wide here")
    assert "ward-net not installed" in r["net.ward-net"]["seen"]
    assert r["net.ward-net"]["fix"] == "make install"
    (dest / "libexec" / "ward").mkdir(parents=True)
    net = dest / "libexec" / "ward" / "ward-net"
    net.write_text("#!/bin/sh\nexit 0\n")
    net.chmod(0o755)
    r = rows(subprocess.run([str(dest / "bin" / "ward"), "check", "--format",
                             "json"], capture_output=True, text=True,
                            timeout=120))
    assert r["net.ward-net"]["status"] == "ok"
    assert r["net.ward-net"]["seen"].startswith(str(net))


# ---- name leakage -------------------------------------------------------------

LEAK_SETUP = """
mount -t tmpfs fakeproc /proc
echo sched > /proc/sched_debug; chmod 444 /proc/sched_debug
echo other > /proc/other; chmod 444 /proc/other
mount --bind {slab} /sys/kernel/slab
"""


def fake_proc_usable(host):
    """An ASan build's runtime needs the real /proc (its leak check reads
    /proc/PID/task at exit); ward itself does not."""
    p = in_ns(host, '"$W" --version')
    if "Sanitizer" in p.stderr:
        pytest.skip("the sanitizer runtime cannot run under a fake /proc")


def test_name_leakage_warn_fix_ok(host, tmp_path):
    real_slab = os.stat("/sys/kernel/slab").st_mode
    slab = tmp_path / "slab"
    (slab / "kmalloc-64").mkdir(parents=True)
    slab.chmod(0o755)
    (slab / "kmalloc-64").chmod(0o755)
    p = in_ns(host, LEAK_SETUP.format(slab=slab))
    assert p.returncode == 0, p.stderr
    fake_proc_usable(host)
    r = rows(check_in_ns(host))
    assert r["leak.sched-debug"]["status"] == "warn"
    assert "mode 0444" in r["leak.sched-debug"]["seen"]
    assert r["leak.sched-debug"]["fix"].startswith(
        "chmod 400 /proc/sched_debug")
    assert r["leak.slab"]["status"] == "warn"
    assert r["leak.slab"]["fix"].startswith("chmod 700 /sys/kernel/slab")

    p = in_ns(host, '"$W" check --fix name-leakage')
    assert p.returncode == 0, p.stderr
    assert p.stdout.splitlines() == [
        "chmod 400 /proc/sched_debug (was 0444)",
        "chmod 700 /sys/kernel/slab (was 0755)"]
    modes = in_ns(host, "stat -c '%n %a' /proc/sched_debug /proc/other "
                        "/sys/kernel/slab /sys/kernel/slab/kmalloc-64").stdout
    assert modes.split("\n")[:4] == [
        "/proc/sched_debug 400", "/proc/other 444", "/sys/kernel/slab 700",
        "/sys/kernel/slab/kmalloc-64 755"]
    r = rows(check_in_ns(host))
    assert r["leak.sched-debug"]["status"] == "ok"
    assert r["leak.slab"]["status"] == "ok"
    # Again: nothing left to do, nothing changed.
    p = in_ns(host, '"$W" check --fix name-leakage')
    assert "already 0400" in p.stdout and "already 0700" in p.stdout
    assert os.stat("/sys/kernel/slab").st_mode == real_slab


def test_name_leakage_absent_sched_debug_is_ok(host, tmp_path):
    slab = tmp_path / "slab"
    slab.mkdir(mode=0o700)
    slab.chmod(0o700)
    p = in_ns(host, "mount -t tmpfs fakeproc /proc && "
                    "mount --bind %s /sys/kernel/slab" % slab)
    assert p.returncode == 0, p.stderr
    fake_proc_usable(host)
    r = rows(check_in_ns(host))
    assert r["leak.sched-debug"]["status"] == "ok"
    assert "absent" in r["leak.sched-debug"]["seen"]
    assert r["leak.slab"]["status"] == "ok"
    p = in_ns(host, '"$W" check --fix name-leakage')
    assert p.stdout.splitlines() == [
        "/proc/sched_debug: absent, nothing to do",
        "/sys/kernel/slab: already 0700"]


def test_unknown_fix_and_bad_flags(ward):
    p = ward("check", "--fix", "everything")
    assert p.returncode == 1
    assert p.stderr == ('ward: check: --fix: unknown fix "everything" '
                        '(known: name-leakage)\n')
    p = ward("check", "--format", "yaml")
    assert p.returncode == 1 and "--format" in p.stderr
    p = ward("check", "extra")
    assert p.returncode == 1 and "unexpected argument" in p.stderr
    # Not taken for --rootfs: --root is ward's, before the command.
    p = ward("check", "--root", "/x", root=False)
    assert p.returncode == 1
    assert p.stderr == ("ward: check: --root is a global option: "
                        "ward --root DIR check\n")


# ---- the bundle linter --------------------------------------------------------

def spec_config(ward, tmp_path):
    d = tmp_path / "spec"
    d.mkdir(exist_ok=True)
    if not (d / "config.json").exists():
        ward("spec", "--bundle", str(d), check=True)
    return json.loads((d / "config.json").read_text())


def lint(ward, path):
    p = ward("check", "--bundle", str(path), "--format", "json")
    doc = json.loads(p.stdout)
    return p, doc["findings"]


def write_bundle(tmp_path, name, config):
    d = tmp_path / name
    d.mkdir()
    (d / "rootfs").mkdir()
    (d / "config.json").write_text(json.dumps(config))
    return d


def test_spec_output_passes_the_linter(ward, tmp_path):
    c = spec_config(ward, tmp_path)
    p, found = lint(ward, tmp_path / "spec")
    assert p.returncode == 0
    assert all(f["severity"] == "low" for f in found), found
    assert "/sys/kernel/slab" in c["linux"]["maskedPaths"]
    assert "/proc/sched_debug" in c["linux"]["maskedPaths"]
    assert c["annotations"]["ward.idmap.isolated"] == "true"
    assert {"type": "user"} in c["linux"]["namespaces"]
    t = ward("check", "--bundle", str(tmp_path / "spec"))
    assert t.returncode == 0
    assert all(l.startswith("low ") for l in t.stdout.splitlines()), t.stdout


def no_userns(c):
    c["linux"]["namespaces"] = [n for n in c["linux"]["namespaces"]
                                if n["type"] != "user"]
    c["annotations"].pop("ward.idmap.isolated")


def caps(c, *names):
    for k in ("bounding", "effective", "permitted"):
        c["process"]["capabilities"][k] += list(names)


ALL_CAPS = [
    "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER",
    "CAP_FSETID", "CAP_KILL", "CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP",
    "CAP_LINUX_IMMUTABLE", "CAP_NET_BIND_SERVICE", "CAP_NET_BROADCAST",
    "CAP_NET_ADMIN", "CAP_NET_RAW", "CAP_IPC_LOCK", "CAP_IPC_OWNER",
    "CAP_SYS_MODULE", "CAP_SYS_RAWIO", "CAP_SYS_CHROOT", "CAP_SYS_PTRACE",
    "CAP_SYS_PACCT", "CAP_SYS_ADMIN", "CAP_SYS_BOOT", "CAP_SYS_NICE",
    "CAP_SYS_RESOURCE", "CAP_SYS_TIME", "CAP_SYS_TTY_CONFIG", "CAP_MKNOD",
    "CAP_LEASE", "CAP_AUDIT_WRITE", "CAP_AUDIT_CONTROL", "CAP_SETFCAP",
    "CAP_MAC_OVERRIDE", "CAP_MAC_ADMIN", "CAP_SYSLOG", "CAP_WAKE_ALARM",
    "CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ", "CAP_PERFMON", "CAP_BPF",
    "CAP_CHECKPOINT_RESTORE"]


def drop_ns(kind):
    def f(c):
        c["linux"]["namespaces"] = [n for n in c["linux"]["namespaces"]
                                    if n["type"] != kind]
    return f


def mount_opts(dest, opts):
    def f(c):
        for m in c["mounts"]:
            if m["destination"] == dest:
                m["options"] = opts
    return f


def seq(*fs):
    def f(c):
        for g in fs:
            g(c)
    return f


# (rule, severity, change to ward spec's config); one bundle per rule.
RULES = [
    ("privileged", "high", no_userns),
    ("userns-shared", "medium",
     lambda c: c["annotations"].pop("ward.idmap.isolated")),
    ("userns-shared", "medium", seq(no_userns, lambda c: c["linux"][
        "namespaces"].append({"type": "user", "path": "/proc/1/ns/user"}))),
    ("no-seccomp", "medium", no_userns),
    ("risky-cap", "medium", lambda c: caps(c, "CAP_SYS_ADMIN")),
    ("risky-cap", "high", seq(no_userns, lambda c: caps(c, "CAP_SYS_MODULE"))),
    ("risky-cap", "medium", lambda c: caps(c, "CAP_SYS_PTRACE")),
    ("all-caps", "medium", lambda c: caps(c, *ALL_CAPS)),
    ("all-caps", "high", seq(no_userns, lambda c: caps(c, *ALL_CAPS))),
    ("host-namespace", "medium", drop_ns("network")),
    ("host-namespace", "high", seq(no_userns, drop_ns("network"))),
    ("host-namespace", "low", drop_ns("pid")),
    ("host-namespace", "medium", seq(no_userns, drop_ns("ipc"))),
    ("writable-sys", "medium",
     mount_opts("/sys", ["nosuid", "noexec", "nodev"])),
    ("writable-sys", "high",
     seq(no_userns, lambda c: c["linux"]["readonlyPaths"].remove(
         "/proc/sys"))),
    ("masked-paths", "medium",
     lambda c: c["linux"]["maskedPaths"].remove("/sys/kernel/slab")),
    ("shared-propagation", "medium",
     lambda c: c["linux"].__setitem__("rootfsPropagation", "shared")),
    ("all-devices", "high", seq(no_userns, lambda c: c["linux"].__setitem__(
        "resources", {"devices": [{"allow": True, "access": "rwm"}]}))),
    ("net-filtering", "medium", lambda c: c["annotations"].update(
        {"ward.net.mode": "bridged"})),
    ("net-filtering", "medium", lambda c: c["annotations"].update(
        {"ward.net.mode": "bridged", "ward.net.ipv4_filtering": "true"})),
]


@pytest.mark.parametrize("rule,severity,change", RULES,
                         ids=["%s-%d" % (r[0], i) for i, r in
                              enumerate(RULES)])
def test_lint_rule(ward, tmp_path, rule, severity, change):
    c = spec_config(ward, tmp_path)
    _p, base = lint(ward, tmp_path / "spec")
    assert (rule, severity) not in [(f["rule"], f["severity"]) for f in base]
    change(c)
    p, found = lint(ward, write_bundle(tmp_path, "b", c))
    hits = [f for f in found if f["rule"] == rule]
    assert hits, found
    assert severity in [f["severity"] for f in hits], hits
    assert all(f["advice"] and f["path"] for f in hits)
    assert p.returncode == (1 if any(f["severity"] == "high" for f in found)
                            else 0)


def test_net_filtering_on_is_clean(ward, tmp_path):
    c = spec_config(ward, tmp_path)
    c["annotations"].update({"ward.net.mode": "bridged",
                             "ward.net.ipv4_filtering": "true",
                             "ward.net.ipv6_filtering": "true"})
    _p, found = lint(ward, write_bundle(tmp_path, "b", c))
    assert "net-filtering" not in [f["rule"] for f in found]


def test_lint_table_and_conftest_default(ward, bundle):
    """conftest's runc-like config: privileged, no seccomp, slab unmasked."""
    bundle.write()
    p = ward("check", "--bundle", bundle.path)
    assert p.returncode == 1
    lines = p.stdout.splitlines()
    assert lines[0] == ("high   privileged         process.user.uid: uid 0 "
                        "without a user namespace is host root: not root "
                        "safe; set the annotation ward.idmap.isolated=true")
    assert any(l.startswith("medium no-seccomp ") for l in lines)
    assert any(l.startswith("medium masked-paths ") and "/sys/kernel/slab" in l
               for l in lines)


@pytest.mark.parametrize("change,path,msg", [
    (lambda c: c["linux"].__setitem__(
        "uidMappings", [{"containerID": 0, "hostID": 1000000, "size": 0}]),
     "linux.uidMappings[0].size", "must be > 0"),
    (lambda c: c["process"].__setitem__("args", "sh"), "process.args", ""),
    (lambda c: c["annotations"].__setitem__("ward.idmap.isolatd", "true"),
     "annotations", "ward.idmap.isolatd"),
])
def test_lint_reports_parser_errors_with_path(ward, tmp_path, change, path,
                                              msg):
    c = spec_config(ward, tmp_path)
    change(c)
    p, found = lint(ward, write_bundle(tmp_path, "b", c))
    assert p.returncode == 1
    assert found[0]["rule"] == "config-error"
    assert found[0]["severity"] == "high"
    assert found[0]["path"] == path
    assert msg in found[0]["advice"]


def test_lint_missing_bundle(ward, tmp_path):
    p = ward("check", "--bundle", str(tmp_path / "none"))
    assert p.returncode == 1
    assert p.stderr.startswith("ward: %s/config.json: " % (tmp_path / "none"))
    assert p.stdout == ""


def test_shared_writable_rootfs_of_isolated_containers(iw, bundle, tmp_path):
    """Issue 10: a second isolated container on the same writable rootfs."""
    c = default_config(["sleep", "60"])
    # chown, not an idmapped mount: the rule is about any isolated
    # container on a writable rootfs, however its ids are shifted.
    c["annotations"] = {"ward.idmap.isolated": "true",
                        "ward.idmap.chown": "true"}
    c["root"] = {"path": bundle.rootfs, "readonly": False}
    bundle.config = c
    bundle.write()
    second = tmp_path / "second"
    second.mkdir()
    (second / "config.json").write_text(json.dumps(c))
    p = iw("check", "--bundle", str(second), "--format", "json")
    assert "shared-rootfs" not in p.stdout
    cid = iw.new_id()
    iw("create", "--bundle", bundle.path, cid, check=True)
    p = iw("check", "--bundle", str(second), "--format", "json")
    hits = [f for f in json.loads(p.stdout)["findings"]
            if f["rule"] == "shared-rootfs"]
    assert len(hits) == 1, p.stdout
    assert hits[0]["severity"] == "medium"
    assert cid in hits[0]["advice"]
    assert "isolation ends at the filesystem" in hits[0]["advice"]
    # Read-only, or another rootfs: no finding.
    c["root"]["readonly"] = True
    (second / "config.json").write_text(json.dumps(c))
    assert "shared-rootfs" not in iw("check", "--bundle", str(second)).stdout
    other = tmp_path / "other-rootfs"
    other.mkdir()
    c["root"] = {"path": str(other), "readonly": False}
    (second / "config.json").write_text(json.dumps(c))
    assert "shared-rootfs" not in iw("check", "--bundle", str(second)).stdout
    iw("delete", "--force", cid, check=True)


def test_spec_config_runs_isolated(iw, bundle, tmp_path):
    """`ward spec`'s config (isolated user namespace) runs a container."""
    c = spec_config(iw, tmp_path)
    c["process"]["terminal"] = False
    c["process"]["args"] = ["sh", "-c", "cat /proc/self/uid_map; "
                            "ls /sys/kernel/slab | wc -l"]
    bundle.config = c
    bundle.write()
    p = iw("run", "--bundle", bundle.path, iw.new_id())
    assert p.returncode == 0, p.stderr
    lines = p.stdout.split("\n")
    assert lines[0].split() == ["0", "1065536", "65536"]
    assert lines[1].strip() == "0"  # masked: an empty tmpfs


# ---- install ------------------------------------------------------------------

INSTALLED = [
    "usr/bin/ward",
    "usr/share/bash-completion/completions/ward",
    "usr/share/man/man8/ward-check.8",
    "usr/share/man/man8/ward.8",
] + ["usr/share/doc/ward/" + f
     for f in sorted(os.listdir(os.path.join(REPO, "contrib")))
     if f.rsplit(".", 1)[-1] in ("toml", "conf", "json", "conflist", "yaml")]


def test_make_install_and_uninstall_in_destdir(tmp_path):
    if not shutil.which("make"):
        pytest.skip("make is not installed")
    dest = tmp_path / "dest"
    p = subprocess.run(["make", "-s", "-C", REPO, "install",
                        "DESTDIR=%s" % dest, "PREFIX=/usr"],
                       capture_output=True, text=True, timeout=600)
    assert p.returncode == 0, p.stderr
    files = sorted(str(f.relative_to(dest)) for f in dest.rglob("*")
                   if f.is_file())
    want = list(INSTALLED)
    if os.path.exists(os.path.join(REPO, "hooks", "ward-net.mk")):
        want.append("usr/libexec/ward/ward-net")
    if os.path.exists(os.path.join(REPO, "contrib", "oci-hooks.d",
                                   "ward-net.json")):
        want.append("usr/share/containers/oci/hooks.d/ward-net.json")
    assert files == sorted(want)
    ward = dest / "usr" / "bin" / "ward"
    assert stat.S_IMODE(ward.stat().st_mode) == 0o755
    out = subprocess.run(["file", str(ward)], capture_output=True,
                         text=True).stdout if shutil.which("file") else ""
    if out:
        assert "not stripped" not in out and "stripped" in out
    assert subprocess.run([str(ward), "--version"], capture_output=True,
                          text=True).stdout.startswith("ward version")
    if not shutil.which("man"):
        pytest.skip("man is not installed")
    for page, text in (("ward.8", "ward-check(8)"),
                       ("ward-check.8", "--fix name-leakage")):
        m = subprocess.run(["man", "-l", str(dest / "usr/share/man/man8" /
                                             page)],
                           capture_output=True, text=True,
                           env=dict(os.environ, MANWIDTH="200",
                                    MAN_KEEP_FORMATTING="0"))
        assert m.returncode == 0, m.stderr
        plain = re.sub(".\b", "", m.stdout).replace("\u2010", "-")
        assert text in plain, plain
    comp = (dest / INSTALLED[1]).read_text()
    assert " check" in comp and "name-leakage" in comp
    p = subprocess.run(["make", "-s", "-C", REPO, "uninstall",
                        "DESTDIR=%s" % dest, "PREFIX=/usr"],
                       capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    assert [f for f in dest.rglob("*") if f.is_file()] == []
