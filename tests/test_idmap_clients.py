# SPDX-License-Identifier: GPL-2.0-or-later
"""Isolated idmaps through the clients users run: containerd's overlayfs
snapshotter (ctr) and podman's overlay storage.  Each client runs inside a
private mount namespace (test_idmap's Host) with a fake root range in
/etc/subuid and /etc/subgid and a private registry, so the ranges seen here
are this test's own."""
import glob
import json
import os
import shutil
import signal
import subprocess
import time

import pytest

from client_helpers import containerd_client, podman_client, sh
from conftest import WARD, make_rootfs, requires
from test_idmap import POOL, Host

ISO = "ward.idmap.isolated=true"


def image_rootfs(tmp_path):
    """The busybox rootfs with /run, so that nothing the runtime mounts
    needs a new directory in the container's upper layer."""
    path = str(tmp_path / "image-rootfs")
    make_rootfs(path)
    os.makedirs(os.path.join(path, "run"))
    return path


@pytest.fixture
def host(tmp_path):
    requires("root")
    h = Host(tmp_path)
    h.shadow(POOL)
    yield h
    h.close()


def ward_in(host, *args):
    return sh(host.prefix() + [WARD] + list(args))


def ranges(host, state_root, *cids):
    """The registry entries of CIDS under STATE_ROOT: container -> entry."""
    p = ward_in(host, "idmap", "list", "--format", "json")
    assert p.returncode == 0, p.stderr
    return {e["container"]: e for e in json.loads(p.stdout)
            if e["container"] in cids and e["root"] == state_root}


@pytest.fixture
def ctr(tmp_path, host):
    with containerd_client(tmp_path, image_rootfs(tmp_path), "wardidmap",
                           host.prefix()) as run:
        run.host = host
        yield run


def task_pid(ctr, cid):
    for line in ctr("task", "ls").stdout.splitlines()[1:]:
        f = line.split()
        if f and f[0] == cid:
            return int(f[1])
    raise AssertionError("no task " + cid)


def rootfs_upper(ctr, cid):
    """The upper dir of CID's overlayfs rootfs, from the mount namespace
    the clients run in."""
    with open("/proc/%d/mountinfo" % ctr.host.holder.pid) as f:
        for line in f:
            fields = line.split()
            if fields[4].endswith("/%s/%s/rootfs" % (ctr.namespace, cid)):
                opts = fields[fields.index("-") + 3].split(",")
                return [o[9:] for o in opts if o.startswith("upperdir=")][0]
    raise AssertionError("no rootfs mount for " + cid)


def test_ctr_isolated_idmapped_layers(ctr):
    ids = ("iso1", "iso2")
    for cid in ids:
        p = ctr("run", "-d", "--runc-binary", WARD, "--annotation", ISO,
                ctr.image, cid, "sh", "-c", "echo hi > /written; sleep 1000")
        assert p.returncode == 0, p.stderr
    got = ranges(ctr.host, ctr.state_root, *ids)
    assert sorted(got) == sorted(ids)
    maps = {}
    for cid in ids:
        p = ctr("task", "exec", "--exec-id", "m", cid, "cat", "/proc/self/uid_map")
        assert p.returncode == 0, p.stderr
        line = p.stdout.split()
        assert line[0] == "0" and line[2] == "65536"
        maps[cid] = int(line[1])
        assert got[cid]["uid"] == {"base": maps[cid], "size": 65536}
        p = ctr("task", "exec", "--exec-id", "s", cid, "stat", "-c", "%u %g",
                "/bin/busybox", "/written")
        assert p.stdout.split() == ["0", "0", "0", "0"], p.stderr
        upper = rootfs_upper(ctr, cid)
        # nothing copied up: the one file written, owned by host root
        assert os.listdir(upper) == ["written"]
        st = os.stat(os.path.join(upper, "written"))
        assert (st.st_uid, st.st_gid) == (0, 0)
    a, b = sorted(maps.values())
    assert a + 65536 <= b
    for cid in ids:
        ctr("task", "kill", "-s", "KILL", cid)
    for cid in ids:
        for _ in range(50):
            if ctr("task", "rm", cid).returncode == 0:
                break
            time.sleep(0.1)
        assert ctr("containers", "rm", cid).returncode == 0
    assert ranges(ctr.host, ctr.state_root, *ids) == {}


@pytest.fixture
def podman(tmp_path, host):
    with podman_client(tmp_path, image_rootfs(tmp_path), "overlay",
                       host.prefix()) as run:
        run.host = host
        yield run


def podman_ranges(podman, *cids):
    p = ward_in(podman.host, "idmap", "list", "--format", "json")
    assert p.returncode == 0, p.stderr
    return [e for e in json.loads(p.stdout) if e["container"] in cids]


def test_podman_isolated_overlay_storage(podman, tmp_path):
    cidfile = str(tmp_path / "cid")
    p = podman("run", "--rm", "--cidfile", cidfile, "--annotation", ISO,
               "localhost/ward-test", "sh", "-c",
               "cat /proc/self/uid_map; stat -c '%u %g' /bin/busybox "
               "/etc/hosts; cat /etc/hosts")
    assert p.returncode == 0, p.stderr
    lines = p.stdout.splitlines()
    base = int(lines[0].split()[1])
    assert lines[0].split() == ["0", str(base), "65536"] and base != 0
    # the image's files and podman's own hosts file (in its 0700 userdata,
    # opened by ward before the switch and idmapped) are root's inside
    assert lines[1:3] == ["0 0", "0 0"]
    assert "localhost" in p.stdout
    with open(cidfile) as f:
        cid = f.read().strip()
    assert podman_ranges(podman, cid) == []

    p = podman("run", "-d", "--name", "p1", "--annotation", ISO,
               "localhost/ward-test", "sleep", "1000")
    assert p.returncode == 0, p.stderr
    cid = p.stdout.strip()
    got = podman_ranges(podman, cid)
    assert len(got) == 1
    p = podman("exec", "p1", "cat", "/proc/self/uid_map")
    assert p.returncode == 0, p.stderr
    assert p.stdout.split() == ["0", str(got[0]["uid"]["base"]), "65536"]
    # podman's storage is 0700: the upper dir passes the reachability rule
    assert podman("rm", "-f", "-t", "0", "p1").returncode == 0
    assert podman_ranges(podman, cid) == []


def test_ctr_run_rm_releases(ctr):
    p = ctr("run", "--rm", "--runc-binary", WARD, "--annotation", ISO,
            ctr.image, "rm1", "cat", "/proc/self/uid_map")
    assert p.returncode == 0, p.stderr
    line = p.stdout.split()
    assert line[0] == "0" and line[1] != "0" and line[2] == "65536"
    assert ranges(ctr.host, ctr.state_root, "rm1") == {}


@pytest.fixture
def ctr_raw(tmp_path):
    """ctr in a Host whose root range also delegates host id 1000."""
    requires("root")
    h = Host(tmp_path)
    h.shadow(POOL + "root:1000:1\n")
    try:
        with containerd_client(tmp_path, image_rootfs(tmp_path), "wardidmap",
                               h.prefix()) as run:
            run.host = h
            yield run
    finally:
        h.close()


def test_ctr_raw_hole_with_host_dir(ctr_raw, tmp_path):
    ctr = ctr_raw
    data = tmp_path / "data"
    data.mkdir()
    os.chown(str(data), 1000, 1000)
    with open(str(data / "from-host"), "w") as f:
        f.write("x")
    os.chown(str(data / "from-host"), 1000, 1000)
    p = ctr("run", "--rm", "--runc-binary", WARD,
            "--annotation", ISO, "--annotation", "ward.idmap.raw=both 1000 1000",
            "--mount", "type=bind,src=%s,dst=/data,options=rbind:rw" % data,
            ctr.image, "raw1", "sh", "-c",
            "cat /proc/self/uid_map; stat -c '%u %g' /data /data/from-host "
            "/bin/busybox; echo y > /data/from-1000; "
            "chown 1000:1000 /data/from-1000")
    assert p.returncode == 0, p.stderr
    lines = p.stdout.splitlines()
    m = [l.split() for l in lines[:3]]
    base = int(m[0][1])
    assert m == [["0", str(base), "1000"], ["1000", "1000", "1"],
                 ["1001", str(base + 1001), "64535"]]
    assert lines[3:] == ["1000 1000", "1000 1000", "0 0"]
    st = os.stat(str(data / "from-1000"))
    assert (st.st_uid, st.st_gid) == (1000, 1000)
    assert ranges(ctr.host, ctr.state_root, "raw1") == {}


def test_ward_killed_mid_create_leaves_no_range(ctr, tmp_path):
    """ward SIGKILLed while the shim waits on `create` (held in a
    createRuntime hook a wrapper adds): the range goes with the cleanup of
    the failed create (the shim's `delete --force`, or ours), and the next
    isolated container gets a range."""
    pidfile = tmp_path / "ward.pid"
    hookpid = tmp_path / "hook.pid"
    wrapper = tmp_path / "ward-wrapper"
    wrapper.write_text(
        "#!/bin/sh\n"
        "prev=; bundle=; for a; do [ \"$prev\" = --bundle ] && bundle=$a; "
        "prev=$a; done\n"
        "case \" $* \" in *\" create \"*) python3 - \"$bundle/config.json\" <<'P'\n"
        "import json, sys\n"
        "c = json.load(open(sys.argv[1]))\n"
        "c.setdefault('hooks', {})['createRuntime'] = [{'path': '/bin/sh', "
        "'args': ['sh', '-c', 'echo $$ > %s; exec sleep 60']}]\n"
        "json.dump(c, open(sys.argv[1], 'w'))\n"
        "P\n"
        "echo $$ > %s;;\n"
        "esac\n"
        "exec %s \"$@\"\n" % (hookpid, pidfile, WARD))
    wrapper.chmod(0o755)
    run = subprocess.Popen(
        ctr.host.prefix() + ["ctr"] + ctr.args + [
            "run", "-d", "--runc-binary", str(wrapper), "--annotation", ISO,
            ctr.image, "k1", "true"],
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True)
    for _ in range(300):
        if hookpid.exists() and ranges(ctr.host, ctr.state_root, "k1"):
            break
        time.sleep(0.1)
    else:
        run.kill()
        raise AssertionError("create never reached its hook")
    os.kill(int(pidfile.read_text()), signal.SIGKILL)
    os.kill(int(hookpid.read_text()), signal.SIGKILL)
    out, errs = run.communicate(timeout=60)
    assert run.returncode != 0
    if ranges(ctr.host, ctr.state_root, "k1"):
        p = ward_in(ctr.host, "--root", ctr.state_root, "delete", "--force",
                    "k1")
        assert p.returncode == 0, p.stderr
    assert ranges(ctr.host, ctr.state_root, "k1") == {}
    # nor its cgroup (a create killed before the create record existed
    # left /NAMESPACE/k1)
    assert glob.glob("/sys/fs/cgroup/*/%s/k1" % ctr.namespace) == []
    ctr("containers", "rm", "k1")
    p = ctr("run", "--rm", "--runc-binary", WARD, "--annotation", ISO,
            ctr.image, "k2", "true")
    assert p.returncode == 0, p.stderr
    assert ranges(ctr.host, ctr.state_root, "k1", "k2") == {}


def test_podman_own_userns_with_isolated_is_an_error(podman):
    p = podman("run", "--rm", "--uidmap", "0:300000:65536", "--gidmap",
               "0:300000:65536", "--annotation", ISO, "localhost/ward-test",
               "true")
    assert p.returncode != 0
    assert "ward.idmap.isolated" in p.stderr and "uidMappings" in p.stderr, \
        p.stderr


def test_contrib_containerd_config_passes_ward_annotations():
    """containerd reads contrib's config: the ward handler passes ward.*
    pod and container annotations into config.json."""
    requires("containerd")
    conf = os.path.join(os.path.dirname(os.path.dirname(
        os.path.abspath(__file__))), "contrib", "containerd-config.toml")
    p = sh(["containerd", "--config", conf, "config", "dump"])
    assert p.returncode == 0, p.stderr
    section = p.stdout.split('runtimes.ward]', 1)[1].split("\n\n", 1)[0]
    assert 'pod_annotations = ["ward.*"]' in section
    assert 'container_annotations = ["ward.*"]' in section


def test_podman_isolated_restart_and_read_only(podman):
    """A stopped container started again remounts its layers (a new
    ward-work each time); --read-only needs no writable upper."""
    p = podman("run", "-d", "--name", "p2", "--annotation", ISO,
               "localhost/ward-test", "sh", "-c", "echo $$ >> /runs; sleep 1000")
    assert p.returncode == 0, p.stderr
    assert podman("stop", "-t", "0", "p2").returncode == 0
    p = podman("start", "p2")
    assert p.returncode == 0, p.stderr
    p = podman("exec", "p2", "sh", "-c", "wc -l < /runs; stat -c %u /runs")
    assert p.returncode == 0, p.stderr
    assert p.stdout.split() == ["2", "0"]
    assert podman("rm", "-f", "-t", "0", "p2").returncode == 0
    p = podman("run", "--rm", "--read-only", "--annotation", ISO,
               "localhost/ward-test", "sh", "-c",
               "stat -c %u /bin/busybox; touch /x 2>/dev/null || echo ro")
    assert p.returncode == 0, p.stderr
    assert p.stdout.split() == ["0", "ro"]


def test_overlay_upper_other_users_can_reach_is_refused(host, tmp_path,
                                                       rootfs_template):
    """The rule for writable idmapped mounts applies to the upper dir of an
    overlay rootfs: refused while others can search their way to it, used
    once its parent is 0700 (as containerd's and podman's storage are)."""
    from conftest import default_config
    from test_idmap import NsWard, traversable
    pub = tmp_path / "pub"
    for d in ("upper", "work", "merged"):
        (pub / d).mkdir(parents=True)
    shutil.copytree(rootfs_template, str(pub / "lower"), symlinks=True)
    traversable(pub)
    host.sh("mount -t overlay overlay -o lowerdir=%s/lower,upperdir=%s/upper,"
            "workdir=%s/work %s/merged" % (pub, pub, pub, pub))
    bundle = tmp_path / "bundle"
    bundle.mkdir(mode=0o700)
    c = default_config(["sh", "-c", "stat -c %u /bin/busybox; echo w > /w"])
    c["root"] = {"path": str(pub / "merged"), "readonly": False}
    c["annotations"] = {"ward.idmap.isolated": "true"}
    (bundle / "config.json").write_text(json.dumps(c))
    w = NsWard(str(tmp_path / "state"), host)
    try:
        p = w("run", "--bundle", str(bundle), w.new_id())
        assert p.returncode != 0
        lines = p.stderr.strip().splitlines()
        assert len(lines) == 1, p.stderr
        assert "rootfs overlay upperdir %s/upper: writable and idmapped" % pub \
            in lines[0] and "chmod o-x" in lines[0], p.stderr
        os.chmod(str(pub), 0o700)
        p = w("run", "--bundle", str(bundle), w.new_id())
        assert p.returncode == 0, p.stderr
        assert p.stdout.split() == ["0"]
        assert os.listdir(str(pub / "upper")) == ["w"]
        assert os.stat(str(pub / "upper" / "w")).st_uid == 0
    finally:
        w.cleanup()
