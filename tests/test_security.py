# SPDX-License-Identifier: GPL-2.0-or-later
"""Issue 10: joined namespaces, input bounds, ids and log lines, and the
idmapped rootfs reachability rule."""
import json
import os
import shutil
import subprocess

import pytest

from conftest import WARD, assert_nothing_left, wait_for, status_of


def one_line(p):
    assert p.returncode == 1, (p.returncode, p.stdout, p.stderr)
    lines = p.stderr.splitlines()
    assert len(lines) == 1, p.stderr
    assert lines[0].startswith("ward: ")
    return lines[0][len("ward: "):]


# ---- 10.3: sysctls and hostname in ward's own namespaces -----------------

def run_in_private_ns(ward, bundle, cid, check):
    """`ward run` inside fresh network, uts and ipc namespaces (unshare), so
    that even a wrong ward can only change those, never the host's. CHECK is
    a shell command run in the same namespaces afterwards; returns
    (ward's rc, ward's stderr, CHECK's output)."""
    script = ('"$0" --root "$1" run --bundle "$2" "$3" >/dev/null 2>"$4"; '
              'echo "rc=$?"; %s' % check)
    errf = os.path.join(bundle.path, "ward.err")
    p = subprocess.run(["unshare", "-n", "-u", "-i", "sh", "-c", script, WARD,
                        ward.root, bundle.path, cid, errf],
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    out = p.stdout.splitlines()
    with open(errf) as f:
        err = f.read()
    return int(out[0][len("rc="):]), err, "\n".join(out[1:])


def join_own(bundle, *kinds):
    ns = [n for n in bundle.config["linux"]["namespaces"]
          if n["type"] not in kinds]
    procname = {"network": "net", "uts": "uts", "ipc": "ipc"}
    ns += [{"type": k, "path": "/proc/self/ns/%s" % procname[k]} for k in kinds]
    bundle.config["linux"]["namespaces"] = ns


@pytest.mark.parametrize("kind,key,value,proc", [
    ("network", "net.ipv4.ip_forward", "1", "net/ipv4/ip_forward"),
    ("network", "net/ipv4/conf/lo/forwarding", "1", "net/ipv4/conf/lo/forwarding"),
    ("ipc", "kernel.shmmni", "1234", "kernel/shmmni"),
    ("ipc", "kernel.msgmax", "4321", "kernel/msgmax"),
    ("ipc", "fs.mqueue.msg_max", "33", "fs/mqueue/msg_max"),
    ("uts", "kernel.domainname", "evil.example", "kernel/domainname"),
])
def test_sysctl_in_own_namespace_is_refused(ward, bundle, kind, key, value,
                                            proc):
    join_own(bundle, kind)
    bundle.config["linux"]["sysctl"] = {key: value}
    bundle.set_args("true").write()
    cid = ward.new_id()
    rc, err, now = run_in_private_ns(ward, bundle, cid,
                                     "cat /proc/sys/%s" % proc)
    assert rc == 1
    lines = err.splitlines()
    assert len(lines) == 1 and key in lines[0] and "ward runs in" in lines[0], err
    assert now.strip() != value
    assert_nothing_left(ward, cid, bundle)


@pytest.mark.parametrize("field", ["hostname", "domainname"])
def test_hostname_in_own_uts_is_refused(ward, bundle, field):
    join_own(bundle, "uts")
    bundle.config["hostname"] = "evil" if field == "hostname" else ""
    if field == "domainname":
        bundle.config["domainname"] = "evil.example"
    bundle.set_args("true").write()
    cid = ward.new_id()
    rc, err, now = run_in_private_ns(
        ward, bundle, cid, "cat /proc/sys/kernel/%s" % field)
    assert rc == 1
    assert len(err.splitlines()) == 1 and field in err, err
    assert "evil" not in now
    assert_nothing_left(ward, cid, bundle)


@pytest.mark.parametrize("kind,key,value,proc", [
    ("network", "net.ipv4.ip_forward", "1", "sys/net/ipv4/ip_forward"),
    ("ipc", "kernel.shmmni", "1234", "sys/kernel/shmmni"),
    ("uts", "kernel.hostname", "evil", "sys/kernel/hostname"),
])
def test_sysctl_without_its_namespace_is_refused(ward, bundle, kind, key,
                                                 value, proc):
    """No such namespace in the config: the container shares ward's, so
    the same refusal (checked before anything is made)."""
    bundle.config["linux"]["namespaces"] = [
        n for n in bundle.config["linux"]["namespaces"] if n["type"] != kind]
    if kind == "uts":
        bundle.config.pop("hostname", None)
    bundle.config["linux"]["sysctl"] = {key: value}
    bundle.set_args("true").write()
    cid = ward.new_id()
    rc, err, now = run_in_private_ns(ward, bundle, cid, "cat /proc/%s" % proc)
    assert rc == 1
    assert len(err.splitlines()) == 1 and key in err and kind in err, err
    assert now.strip() != value
    assert_nothing_left(ward, cid, bundle)


def test_sysctl_in_other_joined_namespace_still_works(ward, bundle):
    """Only ward's own namespace is refused: joining another one by path
    (here a network namespace a helper process holds) sets the sysctl
    there."""
    holder = subprocess.Popen(["unshare", "-n", "sleep", "60"])
    try:
        path = "/proc/%d/ns/net" % holder.pid
        assert wait_for(lambda: os.readlink(path) !=
                        os.readlink("/proc/self/ns/net"))
        ns = [n for n in bundle.config["linux"]["namespaces"]
              if n["type"] != "network"]
        bundle.config["linux"]["namespaces"] = ns + [
            {"type": "network", "path": path}]
        bundle.config["linux"]["sysctl"] = {"net.ipv4.ip_forward": "1"}
        bundle.set_args("cat", "/proc/sys/net/ipv4/ip_forward").write()
        cid = ward.new_id()
        rc, err, _ = run_in_private_ns(ward, bundle, cid, "true")
        assert rc == 0, err
        out = subprocess.run(["nsenter", "-t", str(holder.pid), "-n", "cat",
                              "/proc/sys/net/ipv4/ip_forward"],
                             capture_output=True, text=True)
        assert out.stdout.strip() == "1"
    finally:
        holder.kill()
        holder.wait()


# ---- 10.4: bounded JSON input --------------------------------------------

DEEP = 1 << 20  # about 2 MB of brackets: crashed ward (exit 139) before


def deep_json(extra):
    return '{"x": ' + "[" * DEEP + "]" * DEEP + ', ' + extra + '}'


def test_deep_config_is_refused(ward, bundle):
    bundle.write()
    with open(os.path.join(bundle.path, "config.json")) as f:
        cfg = f.read().strip()
    with open(os.path.join(bundle.path, "config.json"), "w") as f:
        f.write(cfg[:-1] + ', "x-unknown": ' + "[" * DEEP + "]" * DEEP + "}")
    cid = ward.new_id()
    p = ward("create", "--bundle", bundle.path, cid)
    msg = one_line(p)
    assert "config.json" in msg and "nested deeper than" in msg
    assert_nothing_left(ward, cid, bundle)


def test_big_config_is_refused(ward, bundle):
    bundle.config["annotations"] = {"big": "x" * (17 << 20)}
    bundle.write()
    cid = ward.new_id()
    msg = one_line(ward("create", "--bundle", bundle.path, cid))
    assert "config.json" in msg and "larger than" in msg
    assert_nothing_left(ward, cid, bundle)


@pytest.fixture
def running(ward, bundle):
    bundle.set_args("sleep", "60").write()
    cid = ward.new_id()
    ward("run", "-d", "--bundle", bundle.path, cid, check=True)
    assert wait_for(lambda: status_of(ward, cid) == "running")
    return cid


def test_deep_exec_process_is_refused(ward, running, tmp_path):
    proc = tmp_path / "process.json"
    proc.write_text(deep_json('"args": ["true"], "cwd": "/"'))
    msg = one_line(ward("exec", "--process", str(proc), running))
    assert str(proc) in msg and "nested deeper than" in msg
    assert status_of(ward, running) == "running"


def test_deep_update_resources_is_refused(ward, running):
    p = ward("update", "--resources", "-", running,
             input=deep_json('"pids": {"limit": 10}'))
    msg = one_line(p)
    assert "nested deeper than" in msg
    assert status_of(ward, running) == "running"


def test_big_update_resources_stdin_is_refused(ward, running):
    """Read with a bound: 17 MiB on stdin is refused without being kept."""
    doc = '{"pids": {"limit": 10}, "x": "' + "a" * (17 << 20) + '"}'
    msg = one_line(ward("update", "--resources", "-", running, input=doc))
    assert "resources (stdin)" in msg and "larger than 16 MiB" in msg
    assert status_of(ward, running) == "running"


# ---- 10.9: ids and log lines ---------------------------------------------

@pytest.mark.parametrize("cid", ["a" * 256, "a" * 1024, "a:b", "a b", "..",
                                 "\u00e9t\u00e9"])
def test_bad_id_refused_up_front(ward, bundle, cid):
    bundle.write()
    msg = one_line(ward("create", "--bundle", bundle.path, cid))
    assert msg.startswith("invalid container id"), msg
    assert "File name too long" not in msg
    assert not os.path.exists(ward.root) or os.listdir(ward.root) == []


def test_longest_id_works(ward, bundle):
    bundle.set_args("true").write()
    cid = "x" * 255
    ward.ids.append(cid)
    p = ward("run", "--bundle", bundle.path, cid)
    assert p.returncode == 0, p.stderr


def test_log_lines_are_valid_utf8_json(ward, bundle, tmp_path):
    """A lone surrogate escape in the config decodes to bytes that are not
    UTF-8; the error that quotes it must still be a valid JSON line."""
    bundle.set_args("x").write()
    path = os.path.join(bundle.path, "config.json")
    with open(path) as f:
        cfg = f.read()
    with open(path, "w") as f:
        f.write(cfg.replace('"x"', '"\\udcff-missing"', 1))
    log = tmp_path / "log.json"
    cid = ward.new_id()
    p = ward("--log", str(log), "--log-format", "json", "run", "--bundle",
             bundle.path, cid)
    assert p.returncode != 0
    raw = log.read_bytes()
    lines = raw.splitlines()
    assert lines
    for line in lines:
        entry = json.loads(line.decode("utf-8"))  # strict: fails on bad bytes
        assert entry["level"] == "error"
    assert "missing" in json.loads(lines[-1])["msg"]
    p.stderr.encode("utf-8")


# ---- 10.2: writable idmapped mounts must not be reachable by other users --

@pytest.fixture
def open_dir():
    """A directory every host user can search (as /home/x or /srv often
    are), removed afterwards."""
    import tempfile
    d = tempfile.mkdtemp(prefix="ward-reach-", dir="/tmp")
    os.chmod(d, 0o755)
    yield d
    subprocess.run(["rm", "-rf", "--one-file-system", d])


@pytest.fixture
def iw_host(tmp_path):
    from test_idmap import POOL, Host, NsWard
    h = Host(tmp_path)
    h.shadow(POOL)
    w = NsWard(str(tmp_path / "state"), h)
    yield w
    w.cleanup()
    h.close()


def reachable_bundle(open_dir, bundle):
    """BUNDLE moved below OPEN_DIR, every directory on the way o+x."""
    dst = os.path.join(open_dir, "bundle")
    shutil.move(bundle.path, dst)
    os.chmod(dst, 0o755)
    bundle.path = dst
    bundle.rootfs = os.path.join(dst, "rootfs")
    bundle.config.setdefault("annotations", {})["ward.idmap.isolated"] = "true"
    bundle.config["root"]["readonly"] = False
    return bundle


def test_writable_idmapped_rootfs_reachable_is_refused(iw_host, bundle,
                                                      open_dir):
    b = reachable_bundle(open_dir, bundle)
    b.set_args("sh", "-c", "cp /bin/busybox /e && chmod 4755 /e").write()
    cid = iw_host.new_id()
    p = iw_host("run", "--bundle", b.path, cid)
    msg = one_line(p)
    assert "root.path" in msg and "chmod o-x %s" % b.path in msg, msg
    assert not os.path.exists(os.path.join(b.rootfs, "e"))
    assert not os.path.exists(os.path.join(iw_host.root, cid))


def test_writable_idmapped_rootfs_private_runs(iw_host, bundle, open_dir):
    """After the chmod the message asks for, the same bundle runs, and the
    setuid-root file the container makes is out of other users' reach."""
    b = reachable_bundle(open_dir, bundle)
    os.chmod(b.path, 0o750)
    b.set_args("sh", "-c", "cp /bin/busybox /e && chmod 4755 /e").write()
    cid = iw_host.new_id()
    p = iw_host("run", "--bundle", b.path, cid)
    assert p.returncode == 0, p.stderr
    st = os.stat(os.path.join(b.rootfs, "e"))
    assert st.st_uid == 0 and st.st_mode & 0o4000
    # "nobody" cannot reach it.
    r = subprocess.run(["setpriv", "--reuid=65534", "--regid=65534",
                        "--clear-groups", "stat", os.path.join(b.rootfs, "e")],
                       capture_output=True, text=True)
    assert r.returncode != 0 and "Permission denied" in r.stderr


def test_read_only_idmapped_rootfs_reachable_runs(iw_host, bundle, open_dir):
    b = reachable_bundle(open_dir, bundle)
    b.config["root"]["readonly"] = True
    b.set_args("true").write()
    cid = iw_host.new_id()
    p = iw_host("run", "--bundle", b.path, cid)
    assert p.returncode == 0, p.stderr


@pytest.mark.parametrize("ro", [False, True])
def test_writable_idmapped_bind_reachable_is_refused(iw_host, bundle, open_dir,
                                                     ro):
    src = os.path.join(open_dir, "data")
    os.mkdir(src, 0o755)
    bundle.config.setdefault("annotations", {})["ward.idmap.isolated"] = "true"
    bundle.config["mounts"].append({
        "destination": "/data", "type": "bind", "source": src,
        "options": ["rbind", "ro" if ro else "rw", "idmap"]})
    bundle.set_args("true").write()
    cid = iw_host.new_id()
    p = iw_host("run", "--bundle", bundle.path, cid)
    if ro:
        assert p.returncode == 0, p.stderr
        return
    msg = one_line(p)
    assert "mounts[7].source" in msg and "chmod o-x %s" % open_dir in msg, msg
    assert not os.path.exists(os.path.join(iw_host.root, cid))
