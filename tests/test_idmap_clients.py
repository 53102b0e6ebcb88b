# SPDX-License-Identifier: GPL-2.0-or-later
"""Isolated idmaps through the clients users run: containerd's overlayfs
snapshotter (ctr) and podman's overlay storage.  Each client runs inside a
private mount namespace (test_idmap's Host) with a fake root range in
/etc/subuid and /etc/subgid and a private registry, so the ranges seen here
are this test's own."""
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
            if fields[4].endswith("/wardidmap/%s/rootfs" % cid):
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
