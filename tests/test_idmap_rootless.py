# SPDX-License-Identifier: GPL-2.0-or-later
"""Rootless: ward run by an unprivileged user (nobody) with its own
subordinate ids.  The fake /etc/subuid and /etc/subgid live in a private
mount namespace (see test_idmap.Host); newuidmap/newgidmap, being setuid
root, read those fakes there."""
import json
import os
import shutil

import pytest

from conftest import requires
from test_idmap import Host, NsWard, map_lines, traversable

NOBODY = 65534
SUBIDS = "nobody:200000:1000000\n"   # /etc/subgid is keyed by user name too
POOL_BASE = 200000
K = 65536


class RootlessWard(NsWard):
    """NsWard, with ward itself running as nobody."""

    def __init__(self, root, host, xdg):
        super().__init__(root, host)
        self.xdg = xdg

    def prefix(self):
        # setpriv drops to nobody inside the namespace; HOME and
        # XDG_RUNTIME_DIR are what a login session would give.
        return super().prefix() + [
            shutil.which("setpriv") or "/usr/bin/setpriv",
            "--reuid=%d" % NOBODY, "--regid=%d" % NOBODY,
            "--clear-groups", "env", "XDG_RUNTIME_DIR=" + self.xdg,
            "HOME=" + self.xdg]


@pytest.fixture
def rl(tmp_path, rootfs_template):
    requires("root", "uidmap")
    traversable(tmp_path)
    host = Host(tmp_path)
    host.shadow(SUBIDS)
    xdg = tmp_path / "xdg"
    xdg.mkdir(mode=0o700)
    bundle = tmp_path / "rlbundle"
    bundle.mkdir()
    shutil.copytree(rootfs_template, str(bundle / "rootfs"), symlinks=True)
    state = tmp_path / "rlstate"
    state.mkdir()
    for p in (xdg, bundle, state):
        for dirpath, dirnames, filenames in os.walk(str(p)):
            for n in [dirpath] + [os.path.join(dirpath, f)
                                  for f in dirnames + filenames]:
                os.lchown(n, NOBODY, NOBODY)
    w = RootlessWard(str(state), host, str(xdg))
    w.bundle = str(bundle)
    w("spec", "--rootless", "--bundle", str(bundle), root=False, check=True)
    yield w
    w.cleanup()
    host.close()


def write_config(w, edit):
    path = os.path.join(w.bundle, "config.json")
    with open(path) as f:
        c = json.load(f)
    c["process"]["terminal"] = False
    edit(c)
    with open(path, "w") as f:
        json.dump(c, f)
    os.lchown(path, NOBODY, NOBODY)


def run(w, *args):
    return w("run", "--bundle", w.bundle, w.new_id())


SHOW = ["sh", "-c", "cat /proc/self/uid_map /proc/self/gid_map; id -u; "
        "stat -c %u:%g /bin/busybox"]


def test_rootless_spec_maps_own_id(rl):
    def edit(c):
        c["process"]["args"] = SHOW
    write_config(rl, edit)
    p = run(rl)
    assert p.returncode == 0, p.stderr
    assert map_lines(p.stdout) == [["0", str(NOBODY), "1"],
                                   ["0", str(NOBODY), "1"], ["0"], ["0:0"]]


def test_rootless_subordinate_ranges_through_newuidmap(rl):
    m = [{"containerID": 0, "hostID": NOBODY, "size": 1},
         {"containerID": 1, "hostID": POOL_BASE, "size": K - 1}]

    def edit(c):
        c["process"]["args"] = SHOW
        c["linux"]["uidMappings"] = m
        c["linux"]["gidMappings"] = m
    write_config(rl, edit)
    p = run(rl)
    assert p.returncode == 0, p.stderr
    assert map_lines(p.stdout) == [
        ["0", str(NOBODY), "1"], ["1", str(POOL_BASE), str(K - 1)],
        ["0", str(NOBODY), "1"], ["1", str(POOL_BASE), str(K - 1)],
        ["0"], ["0:0"]]


def test_rootless_isolated_with_own_id_as_root(rl):
    """An isolated range from nobody's subordinate ids, with nobody's own
    id punched through as the container's root (so the rootfs, owned by
    nobody, is root's without an idmapped mount, which an unprivileged
    user may not make)."""
    def edit(c):
        c["process"]["args"] = SHOW
        c["linux"].pop("uidMappings", None)
        c["linux"].pop("gidMappings", None)
        c["annotations"] = {"ward.idmap.isolated": "true",
                            "ward.idmap.raw": "both %d 0" % NOBODY}
    write_config(rl, edit)
    p = run(rl)
    assert p.returncode == 0, p.stderr
    first = POOL_BASE + K  # after nobody's shared default range
    assert map_lines(p.stdout) == [
        ["0", str(NOBODY), "1"], ["1", str(first + 1), str(K - 1)],
        ["0", str(NOBODY), "1"], ["1", str(first + 1), str(K - 1)],
        ["0"], ["0:0"]]
    # nobody's registry, not root's.
    assert os.path.isdir(os.path.join(rl.xdg, "ward-idmap", "entries"))
    assert json.loads(rl("idmap", "list", "--format", "json",
                         root=False, check=True).stdout) == []
