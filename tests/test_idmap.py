# SPDX-License-Identifier: GPL-2.0-or-later
"""User namespaces with ward-allocated maps (issue 4): isolated and shared
ranges, raw ids, the host-wide registry, shadow-file rules, idmapped mounts
and the chown shift.

Every test runs ward inside a private mount namespace (held by a sleeping
`unshare -m` process and entered with nsenter) where /etc/subuid,
/etc/subgid and the registry directory /run/ward-idmap are test fakes: the
host's files are never touched and tests never see each other's ranges."""
import concurrent.futures
import json
import os
import shutil
import subprocess
import tempfile
import time

import pytest

from conftest import Ward, requires
from leak_guard import remove_cgroup

NSENTER = shutil.which("nsenter") or "/usr/bin/nsenter"
UNSHARE = shutil.which("unshare") or "/usr/bin/unshare"
POOL = "root:1000000:1000000000\n"
B = 1000000          # pool base: the shared default range is B..B+65535
K = 65536
FIRST = B + K        # the first isolated range


class Host:
    """A private mount namespace with fake shadow files and registry."""

    def __init__(self, tmp):
        self.tmp = str(tmp)
        self.holder = subprocess.Popen(
            [UNSHARE, "-m", "--propagation", "private", "sleep", "infinity"])
        mine = os.stat("/proc/self/ns/mnt").st_ino
        for _ in range(200):
            try:
                if os.stat("/proc/%d/ns/mnt" % self.holder.pid).st_ino != mine:
                    break
            except FileNotFoundError:
                pass
            time.sleep(0.01)
        else:
            raise AssertionError("unshare -m did not start")
        self.path = os.environ.get("PATH", "/usr/sbin:/usr/bin:/sbin:/bin")
        self.bound = False
        self.sh("mkdir -p /run/ward-idmap && "
                "mount -t tmpfs -o mode=0700 ward-idmap-test /run/ward-idmap")

    def prefix(self):
        return [NSENTER, "--mount=/proc/%d/ns/mnt" % self.holder.pid, "--"]

    def sh(self, script):
        subprocess.run(self.prefix() + ["sh", "-ec", script], check=True,
                       timeout=30)

    def shadow(self, subuid, subgid=None):
        """Fake /etc/subuid and /etc/subgid (rewritten in place later)."""
        for name, text in (("subuid", subuid), ("subgid", subgid or subuid)):
            with open(os.path.join(self.tmp, "fake-" + name), "w") as f:
                f.write(text)
        if not self.bound:
            self.sh("mount --bind %s/fake-subuid /etc/subuid && "
                    "mount --bind %s/fake-subgid /etc/subgid"
                    % (self.tmp, self.tmp))
            self.bound = True

    def hide_shadow_files(self):
        """An /etc without subuid and subgid: a tmpfs of links to the rest."""
        orig = os.path.join(self.tmp, "orig-etc")
        os.makedirs(orig, exist_ok=True)
        self.sh("mount --bind /etc %s && mount -t tmpfs tmpfs /etc && "
                "for f in %s/* %s/.[!.]*; do n=${f##*/}; "
                "case $n in subuid|subgid|'.[!.]*') ;; "
                "*) ln -s \"$f\" \"/etc/$n\";; esac; done" % (orig, orig, orig))

    def tools(self, *names):
        """PATH holding only NAMES of newuidmap/newgidmap."""
        d = tempfile.mkdtemp(dir=self.tmp, prefix="path-")
        for n in names:
            os.symlink(shutil.which(n) or "/usr/bin/" + n, os.path.join(d, n))
        self.path = d

    def close(self):
        self.holder.kill()
        self.holder.wait()


class NsWard(Ward):
    """conftest's Ward, run inside the Host's mount namespace."""

    def __init__(self, root, host):
        super().__init__(root)
        self.host = host

    def prefix(self):
        return self.host.prefix()

    def env(self):
        return dict(os.environ, PATH=self.host.path)


@pytest.fixture
def host(tmp_path):
    requires("root")
    h = Host(tmp_path)
    yield h
    h.close()


def traversable(path):
    """The container's root is an unprivileged host id: it must be able to
    walk down to the bundle (pytest's base temp dir is 0700).  Adds only
    search permission for others, not read."""
    path = os.path.abspath(str(path))
    while path != "/":
        st = os.stat(path)
        if not st.st_mode & 0o001:
            os.chmod(path, (st.st_mode & 0o7777) | 0o001)
        path = os.path.dirname(path)


@pytest.fixture
def iw(tmp_path, host):
    traversable(tmp_path)
    host.shadow(POOL)
    w = NsWard(str(tmp_path / "state"), host)
    yield w
    w.cleanup()


def registry(w):
    p = w("idmap", "list", "--format", "json", check=True)
    return json.loads(p.stdout)


def state_ids(w):
    if not os.path.isdir(w.root):
        return []
    return [d for d in os.listdir(w.root)
            if os.path.isdir(os.path.join(w.root, d))]


def assert_host_clean(w):
    """The private host of these tests: no state dir and no allocation at
    all (its registry is a tmpfs of this test's own)."""
    assert state_ids(w) == []
    assert registry(w) == []


def annotate(bundle, **ann):
    bundle.config.setdefault("annotations", {}).update(
        {"ward.idmap." + k: v for k, v in ann.items()})
    return bundle


def bind(bundle, src, dest, *opts, **extra):
    m = {"destination": dest, "type": "bind", "source": src,
         "options": ["rbind", "rw"] + list(opts)}
    m.update(extra)
    bundle.config["mounts"].append(m)


def run(w, bundle, *args):
    if args:
        bundle.set_args(*args)
    bundle.write()
    return w("run", "--bundle", bundle.path, w.new_id())


def create(w, bundle, cid=None, check=True):
    bundle.write()
    cid = cid or w.new_id()
    p = w("create", "--bundle", bundle.path, cid, check=check)
    return cid if check else p


def map_lines(text):
    return [l.split() for l in text.strip().splitlines()]


def init_map(w, cid, which="uid_map"):
    pid = json.loads(w("state", cid, check=True).stdout)["pid"]
    with open("/proc/%d/%s" % (pid, which)) as f:
        return map_lines(f.read())


def entry(w, cid):
    return [e for e in registry(w) if e["container"] == cid]


def fails(p, msg):
    """One line on stderr containing MSG, non-zero exit."""
    assert p.returncode != 0, p.stdout
    lines = p.stderr.strip().splitlines()
    assert len(lines) == 1, p.stderr
    assert msg in lines[0], p.stderr


# ---- maps inside the container --------------------------------------------

def test_isolated_map_and_rootfs_owned_by_root(iw, bundle):
    annotate(bundle, isolated="true")
    p = run(iw, bundle, "sh", "-c",
            "cat /proc/self/uid_map /proc/self/gid_map; "
            "stat -c %u:%g / /bin/busybox /etc/passwd; id -u")
    assert p.returncode == 0, p.stderr
    lines = p.stdout.strip().splitlines()
    assert lines[0].split() == ["0", str(FIRST), str(K)]
    assert lines[1].split() == ["0", str(FIRST), str(K)]
    assert lines[2:5] == ["0:0", "0:0", "0:0"]
    assert lines[5] == "0"
    # The idmapped mount left the bundle alone.
    st = os.stat(os.path.join(bundle.rootfs, "bin", "busybox"))
    assert (st.st_uid, st.st_gid) == (0, 0)
    assert_host_clean(iw)


def test_user_namespace_without_maps_gets_shared_default(iw, bundle):
    bundle.config["linux"]["namespaces"].append({"type": "user"})
    bundle.set_args("sh", "-c", "cat /proc/self/uid_map; sleep 30")
    a = iw.new_id()
    bundle.write()
    iw("run", "-d", "--bundle", bundle.path, a, check=True)
    b = create(iw, bundle)
    assert init_map(iw, a) == [["0", str(B), str(K)]]
    assert init_map(iw, b) == [["0", str(B), str(K)]]
    assert init_map(iw, b, "gid_map") == [["0", str(B), str(K)]]
    kinds = sorted(e["kind"] for e in registry(iw))
    assert kinds == ["shared", "shared"]
    iw("delete", "--force", a, check=True)
    iw("delete", "--force", b, check=True)
    assert_host_clean(iw)


def test_oci_maps_are_written_as_given(iw, bundle):
    bundle.config["linux"]["namespaces"].append({"type": "user"})
    bundle.config["linux"]["uidMappings"] = [
        {"containerID": 0, "hostID": 3000000, "size": 1000},
        {"containerID": 1000, "hostID": 3500000, "size": 64536}]
    bundle.config["linux"]["gidMappings"] = [
        {"containerID": 0, "hostID": 4000000, "size": 65536}]
    p = run(iw, bundle, "sh", "-c", "cat /proc/self/uid_map /proc/self/gid_map")
    assert p.returncode == 0, p.stderr
    assert map_lines(p.stdout) == [["0", "3000000", "1000"],
                                   ["1000", "3500000", "64536"],
                                   ["0", "4000000", "65536"]]
    assert_host_clean(iw)


def test_two_isolated_disjoint_and_foreign_files_are_nobody(iw, make_bundle,
                                                             tmp_path):
    shared = tmp_path / "shared"
    shared.mkdir()
    os.chmod(shared, 0o1777)
    a_bundle, b_bundle = make_bundle(), make_bundle()
    for bd in (a_bundle, b_bundle):
        annotate(bd, isolated="true")
        bind(bd, str(shared), "/shared")
    a_bundle.set_args("sh", "-c", "touch /shared/from-a; exec sleep 60").write()
    a = iw.new_id()
    iw("run", "-d", "--bundle", a_bundle.path, a, check=True)
    for _ in range(200):
        if (shared / "from-a").exists():
            break
        time.sleep(0.05)
    p = run(iw, b_bundle, "sh", "-c",
            "cat /proc/self/uid_map; stat -c %u:%g /shared/from-a")
    assert p.returncode == 0, p.stderr
    a_map = init_map(iw, a)
    b_line, b_stat = p.stdout.strip().splitlines()
    a_base, b_base = int(a_map[0][1]), int(b_line.split()[1])
    assert a_base == FIRST and b_base == FIRST + K
    assert a_base + K <= b_base or b_base + K <= a_base
    # Written by A's root: host id A, a stranger to B.
    assert os.stat(shared / "from-a").st_uid == a_base
    assert b_stat == "65534:65534"
    iw("delete", "--force", a, check=True)
    assert_host_clean(iw)


def test_raw_both_1000_host_dir_writable_as_1000(iw, host, bundle, tmp_path):
    host.shadow(POOL + "root:1000:1\n")
    data = tmp_path / "data"
    data.mkdir()
    os.chown(data, 1000, 1000)
    os.chmod(data, 0o700)
    annotate(bundle, isolated="true", raw="both 1000 1000")
    bind(bundle, str(data), "/data")
    bundle.config["process"]["user"] = {"uid": 1000, "gid": 1000}
    p = run(iw, bundle, "sh", "-c",
            "cat /proc/self/uid_map; echo hi > /data/x && "
            "stat -c %u:%g /data/x; id -u")
    assert p.returncode == 0, p.stderr
    lines = p.stdout.strip().splitlines()
    assert map_lines("\n".join(lines[:3])) == [
        ["0", str(FIRST), "1000"], ["1000", "1000", "1"],
        ["1001", str(FIRST + 1001), "64535"]]
    assert lines[3:] == ["1000:1000", "1000"]
    st = os.stat(data / "x")
    assert (st.st_uid, st.st_gid) == (1000, 1000)
    assert_host_clean(iw)


def test_raw_on_oci_maps(iw, host, bundle):
    host.shadow(POOL + "root:1000:1\n")
    bundle.config["linux"]["namespaces"].append({"type": "user"})
    m = [{"containerID": 0, "hostID": 2000000, "size": 65536}]
    bundle.config["linux"]["uidMappings"] = m
    bundle.config["linux"]["gidMappings"] = m
    annotate(bundle, raw="uid 1000 0")
    p = run(iw, bundle, "sh", "-c", "cat /proc/self/uid_map /proc/self/gid_map")
    assert p.returncode == 0, p.stderr
    assert map_lines(p.stdout) == [["0", "1000", "1"],
                                   ["1", "2000001", "65535"],
                                   ["0", "2000000", "65536"]]


def test_raw_host_ids_must_be_delegated(iw, bundle):
    annotate(bundle, isolated="true", raw="both 1000 1000")
    p = run(iw, bundle, "true")
    fails(p, 'ward.idmap.raw line 1: host ids 1000-1000 are not delegated to '
             'root: add the line "root:1000:1" to /etc/subuid and /etc/subgid')
    assert_host_clean(iw)


# ---- the registry ---------------------------------------------------------

def test_twenty_parallel_creates_get_disjoint_ranges(iw, bundle):
    annotate(bundle, isolated="true")
    bundle.write()
    ids = [iw.new_id("par") for _ in range(20)]
    with concurrent.futures.ThreadPoolExecutor(20) as ex:
        res = list(ex.map(
            lambda cid: iw("create", "--bundle", bundle.path, cid,
                           timeout=120), ids))
    for p in res:
        assert p.returncode == 0, p.stderr
    reg = registry(iw)
    assert sorted(e["container"] for e in reg) == sorted(ids)
    ranges = sorted((e["uid"]["base"], e["uid"]["size"]) for e in reg)
    for (b1, s1), (b2, _) in zip(ranges, ranges[1:]):
        assert b1 + s1 <= b2
    assert ranges[0][0] == FIRST
    # The kernel got what the registry says.
    for e in reg:
        assert init_map(iw, e["container"]) == [
            ["0", str(e["uid"]["base"]), str(K)]]
        assert init_map(iw, e["container"], "gid_map") == [
            ["0", str(e["gid"]["base"]), str(K)]]
    for cid in ids:
        iw("delete", "--force", cid, check=True)
    assert_host_clean(iw)


def test_delete_frees_and_first_fit_reuses(iw, bundle):
    annotate(bundle, isolated="true")
    a, b = create(iw, bundle), create(iw, bundle)
    assert init_map(iw, a)[0][1] == str(FIRST)
    assert init_map(iw, b)[0][1] == str(FIRST + K)
    iw("delete", a, check=True)
    assert entry(iw, a) == []
    c = create(iw, bundle)
    assert init_map(iw, c)[0][1] == str(FIRST)
    # A crashed container keeps its range until it is deleted.
    pid = json.loads(iw("state", b, check=True).stdout)["pid"]
    os.kill(pid, 9)
    for _ in range(100):
        if json.loads(iw("state", b).stdout or "{}").get("status") == "stopped":
            break
        time.sleep(0.05)
    assert [e["state"] for e in entry(iw, b)] == ["live"]
    d = create(iw, bundle)
    assert init_map(iw, d)[0][1] == str(FIRST + 2 * K)
    for cid in (b, c, d):
        iw("delete", "--force", cid, check=True)
    assert_host_clean(iw)


def test_key_keeps_range_across_delete(iw, bundle, make_bundle):
    annotate(bundle, key="web")
    a = create(iw, bundle)
    assert init_map(iw, a)[0][1] == str(FIRST)
    iw("delete", a, check=True)
    reg = registry(iw)
    assert [(e["key"], e["state"], e["uid"]["base"]) for e in reg] == [
        ("web", "idle", FIRST)]
    other = annotate(make_bundle(), isolated="true")
    o = create(iw, other)
    assert init_map(iw, o)[0][1] == str(FIRST + K)
    b = create(iw, bundle)
    assert init_map(iw, b)[0][1] == str(FIRST)
    p = create(iw, bundle, check=False)
    fails(p, "ward.idmap.key web: in use by container %s in %s"
          % (b, iw.root))
    fails(iw("idmap", "release", "web"),
          "idmap release: key web is in use by container %s" % b)
    iw("delete", b, check=True)
    iw("idmap", "release", "web", check=True)
    iw("delete", o, check=True)
    assert_host_clean(iw)
    fails(iw("idmap", "release", "web"),
          "idmap release: no key or container named web")


def test_key_range_no_longer_delegated(iw, host, bundle):
    annotate(bundle, key="db", base="5000000")
    a = create(iw, bundle)
    iw("delete", a, check=True)
    host.shadow("root:1000000:2000000\n")
    fails(create(iw, bundle, check=False),
          "ward.idmap.key db: its range (uids 5000000-5065535, gids "
          "5000000-5065535) is no longer delegated to root; release it with "
          "`ward idmap release db`")
    iw("idmap", "release", "db", check=True)
    assert_host_clean(iw)


def test_base_collisions(iw, bundle, make_bundle):
    annotate(bundle, base="2000000")
    a = create(iw, bundle)
    assert init_map(iw, a) == [["0", "2000000", str(K)]]
    cases = [
        ("2000100", "ward.idmap.base: uid 2000100-2065635 overlaps container "
                    "%s in %s (2000000-2065535)" % (a, iw.root)),
        ("1000000", "ward.idmap.base: uid 1000000-1065535 overlaps the shared "
                    "default range (1000000-1065535)"),
        ("500", "ward.idmap.base: uid 500-66035 is not inside root's range "
                "(the range in /etc/subuid: 1000000-1000999999)"),
    ]
    for base, msg in cases:
        bd = annotate(make_bundle(), base=base)
        fails(create(iw, bd, check=False), msg)
    assert [e["container"] for e in registry(iw)] == [a]
    assert state_ids(iw) == [a]
    iw("delete", a, check=True)
    assert_host_clean(iw)


def test_exhaustion_says_what_is_left(iw, host, bundle, make_bundle):
    host.shadow("root:1000000:%d\n" % (3 * K))
    small = annotate(make_bundle(), size="1000")
    a = create(iw, small)
    assert init_map(iw, a) == [["0", str(FIRST), "1000"]]
    annotate(bundle, isolated="true")
    b = create(iw, bundle)
    assert init_map(iw, b)[0][1] == str(FIRST + 1000)
    fails(create(iw, bundle, check=False),
          "ward.idmap.isolated: no free range of 65536 uids left in the range "
          "in /etc/subuid (1000000-1196607): 64536 uids free in 1 gaps, the "
          "largest 64536")
    assert sorted(e["container"] for e in registry(iw)) == sorted([a, b])
    iw("delete", b, check=True)
    c = create(iw, bundle)
    assert init_map(iw, c)[0][1] == str(FIRST + 1000)
    for cid in (a, c):
        iw("delete", cid, check=True)
    assert_host_clean(iw)


def test_idmap_list_table_and_orphans(iw, host, bundle):
    # Releasing asks the whole host (/proc) whether the ids are in use:
    # a pool far from the one other tests on this host allocate from.
    first = 700000000 + K
    host.shadow("root:700000000:100000000\nroot:1000:1\n")
    annotate(bundle, isolated="true", raw="both 1000 1000")
    a = create(iw, bundle)
    out = iw("idmap", check=True).stdout.splitlines()
    assert out[0].split() == ["CONTAINER", "STATE", "KEY", "KIND", "UIDS",
                              "GIDS", "RAW"]
    assert out[1].split() == [a, "live", "-", "isolated",
                              "%d-%d" % (first, first + K - 1),
                              "%d-%d" % (first, first + K - 1),
                              "both", "1000", "1000"]
    assert iw("idmap", "list", check=True).stdout.splitlines() == out
    fails(iw("idmap", "release", a),
          "idmap release: container %s in %s still exists" % (a, iw.root))
    fails(iw("idmap", "list", "--format", "yaml"),
          'idmap list: --format: want table or json, got "yaml"')
    # Its --root removed by hand: the range stays until released by name.
    pid = json.loads(iw("state", a, check=True).stdout)["pid"]
    os.kill(pid, 9)
    iw.drop_state(a)
    # ...and so does its cgroup, which only the state knew: remove it too
    # (its process may still be exiting).
    assert remove_cgroup("/ward/" + a) == []
    assert [e["state"] for e in registry(iw)] == ["no-state"]
    iw("idmap", "release", a, check=True)
    assert_host_clean(iw)


# ---- shadow setups ---------------------------------------------------------

@pytest.mark.parametrize("subuid,subgid,msg", [
    ("", "", '/etc/subuid gives root no subordinate uids, at least 65536 are '
             'needed: add the line "root:1000000:1000000000" to /etc/subuid '
             'and /etc/subgid'),
    ("root:1000000:1000\n", POOL,
     '/etc/subuid gives root only 1000 subordinate uids (root:1000000:1000), '
     'at least 65536 are needed: add the line "root:1048576:1000000000" to '
     '/etc/subuid'),
    (POOL + "alice:100000:65536\n", "alice:1000000:65536\n",
     '/etc/subgid gives root no subordinate gids, at least 65536 are needed: '
     'add the line "root:1114112:1000000000" to /etc/subgid'),
])
def test_short_or_missing_range(iw, host, bundle, subuid, subgid, msg):
    host.shadow(subuid, subgid)
    annotate(bundle, isolated="true")
    fails(run(iw, bundle, "true"), msg)
    assert_host_clean(iw)


def test_broken_shadow_setup_missing_tool(iw, host, bundle):
    host.tools("newuidmap")
    annotate(bundle, isolated="true")
    fails(run(iw, bundle, "true"),
          "broken shadow setup: /etc/subuid, /etc/subgid, newuidmap found but "
          "newgidmap missing; user namespaces need all four (or none, for the "
          "default range 1000000-1000999999)")
    assert_host_clean(iw)


def test_broken_shadow_setup_missing_files(iw, host, bundle):
    host.hide_shadow_files()
    bundle.config["linux"]["namespaces"].append({"type": "user"})
    fails(run(iw, bundle, "true"),
          "broken shadow setup: newuidmap, newgidmap found but /etc/subuid, "
          "/etc/subgid missing")
    assert_host_clean(iw)


def test_none_of_four_uses_default_range(iw, host, bundle):
    host.hide_shadow_files()
    host.tools()
    annotate(bundle, isolated="true")
    p = run(iw, bundle, "cat", "/proc/self/uid_map")
    assert p.returncode == 0, p.stderr
    assert map_lines(p.stdout) == [["0", str(FIRST), str(K)]]


def test_oci_maps_need_no_shadow_range(iw, host, bundle):
    """runc's contract: given maps are written even where ward could not
    allocate (this host's real /etc/subuid gives root nothing)."""
    host.shadow("")
    bundle.config["linux"]["namespaces"].append({"type": "user"})
    m = [{"containerID": 0, "hostID": 5000000, "size": K}]
    bundle.config["linux"]["uidMappings"] = m
    bundle.config["linux"]["gidMappings"] = m
    p = run(iw, bundle, "cat", "/proc/self/uid_map")
    assert p.returncode == 0, p.stderr
    assert map_lines(p.stdout) == [["0", "5000000", str(K)]]


# ---- bad annotations --------------------------------------------------------

RAW_341 = "\n".join("both %d %d" % (900000000 + i, 1 + 2 * i)
                    for i in range(170))


@pytest.mark.parametrize("ann,msg", [
    ({"isolated": "yes"},
     'ward.idmap.isolated: must be "true" or "false", got "yes"'),
    ({"size": "0"},
     'ward.idmap.size: must be a whole number from 1 to 4294967295, got "0"'),
    ({"size": "64k"},
     'ward.idmap.size: must be a whole number from 1 to 4294967295, got "64k"'),
    ({"base": "-5"},
     'ward.idmap.base: must be a whole number from 0 to 4294967294, got "-5"'),
    ({"key": "a b"},
     'ward.idmap.key: "a b": want 1-255 characters of [A-Za-z0-9_+.-]'),
    ({"isolate": "true"},
     "ward.idmap.isolate: unknown annotation (known: isolated, base, size, "
     "key, raw, chown)"),
    ({"isolated": "false", "size": "10"},
     "ward.idmap.size: needs an isolated range, but ward.idmap.isolated is "
     "false"),
    ({"raw": "both 1000"},
     'ward.idmap.raw line 1: "both 1000": want "both|uid|gid HOST[-HOST] '
     'CONTAINER[-CONTAINER]"'),
    ({"raw": "uid 0 0\n\nboth 1-2 1-3"},
     "ward.idmap.raw line 3: 2 host ids but 3 container ids"),
    ({"raw": "both 7 7\nuid 8 7"},
     "ward.idmap.raw line 2: container ids overlap line 1"),
    ({"raw": "user 7 7"}, 'ward.idmap.raw line 1: "user": unknown kind'),
    ({"isolated": "true", "raw": "both %d 1000" % (FIRST + 5)},
     "ward.idmap.raw line 1: host uid %d is already mapped by the "
     "container's own range" % (FIRST + 5)),
    ({"isolated": "true", "raw": RAW_341},
     "linux.uidMappings: 341 lines, the kernel accepts at most 340"),
    ({"chown": "yes"},
     'ward.idmap.chown: must be "true" or "false", got "yes"'),
])
def test_bad_annotation_one_line_nothing_left(iw, bundle, ann, msg):
    annotate(bundle, **ann)
    fails(run(iw, bundle, "true"), msg)
    assert_host_clean(iw)


def test_isolated_with_oci_maps_is_an_error(iw, bundle):
    bundle.config["linux"]["namespaces"].append({"type": "user"})
    m = [{"containerID": 0, "hostID": 5000000, "size": K}]
    bundle.config["linux"]["uidMappings"] = m
    bundle.config["linux"]["gidMappings"] = m
    annotate(bundle, isolated="true")
    fails(run(iw, bundle, "true"),
          "ward.idmap.isolated and linux.uidMappings cannot be used together")
    assert_host_clean(iw)


def test_raw_host_ids_inside_other_isolated_range(iw, host, bundle,
                                                  make_bundle):
    annotate(bundle, isolated="true")
    a = create(iw, bundle)
    bd = annotate(make_bundle(), raw="both %d 1000" % (FIRST + 10))
    bd.config["linux"]["namespaces"].append({"type": "user"})
    fails(create(iw, bd, check=False),
          "ward.idmap.raw line 1: host uids %d-%d lie inside the isolated "
          "range of container %s in %s" % (FIRST + 10, FIRST + 10, a, iw.root))
    assert [e["container"] for e in registry(iw)] == [a]
    iw("delete", a, check=True)
    assert_host_clean(iw)


def test_joining_user_namespace_with_annotations(iw, bundle):
    bundle.config["linux"]["namespaces"].append(
        {"type": "user", "path": "/proc/1/ns/user"})
    annotate(bundle, isolated="true")
    fails(run(iw, bundle, "true"),
          "ward.idmap.isolated: cannot apply when joining the user namespace "
          "/proc/1/ns/user")
    assert_host_clean(iw)


# ---- idmapped bind mounts and the chown shift -------------------------------

def test_idmapped_bind_mounts(iw, bundle, tmp_path):
    # A writable idmapped source must sit below a dir other users cannot
    # search (test_security.py); the plain bind's source must be reachable
    # by the container's unprivileged root, so it gets its own copy.
    private = tmp_path / "private"
    private.mkdir(mode=0o700)
    src = private / "src"
    src.mkdir()
    (src / "f").write_text("x")
    (src / "g").write_text("y")
    os.chown(src / "g", 1, 1)
    plain = tmp_path / "plain"
    plain.mkdir()
    (plain / "f").write_text("x")
    base = 3000000
    annotate(bundle, base=str(base))
    m = [{"containerID": 0, "hostID": base, "size": K}]
    bind(bundle, str(src), "/with-maps", "idmap", uidMappings=m,
         gidMappings=m)
    bind(bundle, str(src), "/with-userns", "idmap")
    bind(bundle, str(plain), "/plain")
    p = run(iw, bundle, "stat", "-c", "%n %u:%g", "/with-maps/f",
            "/with-maps/g", "/with-userns/f", "/with-userns/g", "/plain/f")
    assert p.returncode == 0, p.stderr
    assert p.stdout.split("\n")[:5] == [
        "/with-maps/f 0:0", "/with-maps/g 1:1", "/with-userns/f 0:0",
        "/with-userns/g 1:1", "/plain/f 65534:65534"]


def test_idmap_option_needs_bind_and_both_maps(iw, bundle, tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    annotate(bundle, isolated="true")
    bundle.config["mounts"].append({"destination": "/t", "type": "tmpfs",
                                    "source": "tmpfs", "options": ["idmap"]})
    fails(run(iw, bundle, "true"),
          'mounts[7] (/t): idmapped mounts need a bind mount (options "bind" '
          'or "rbind")')
    assert_host_clean(iw)


def test_filesystem_without_idmap_support(iw, host, bundle):
    ram = os.path.join(bundle.path, "ramroot")
    os.mkdir(ram)
    host.sh("mount -t ramfs ramfs %s && cp -a %s/. %s/" % (ram, bundle.rootfs,
                                                          ram))
    bundle.config["root"]["path"] = "ramroot"
    annotate(bundle, isolated="true")
    fails(run(iw, bundle, "true"),
          "idmapped mount of %s: its filesystem (or a mount below it) cannot "
          "be idmapped; set ward.idmap.chown=true to shift its ownership once "
          "instead" % ram)
    assert_host_clean(iw)


def test_chown_shifts_once_and_again_on_a_new_map(iw, bundle):
    annotate(bundle, isolated="true", chown="true")
    busybox = os.path.join(bundle.rootfs, "bin", "busybox")
    p = run(iw, bundle, "stat", "-c", "%u:%g", "/", "/bin/busybox")
    assert p.returncode == 0, p.stderr
    assert p.stdout.split() == ["0:0", "0:0"]
    st = os.stat(busybox)
    assert (st.st_uid, st.st_gid) == (FIRST, FIRST)
    assert os.stat(bundle.rootfs).st_uid == FIRST
    assert os.getxattr(bundle.rootfs, "trusted.ward.idmap") == (
        b"uid 0:%d:65536 gid 0:%d:65536" % (FIRST, FIRST))
    # Same map (first fit hands the same range out again): no second walk.
    ctime = st.st_ctime_ns
    p = run(iw, bundle, "stat", "-c", "%u", "/bin/busybox")
    assert p.stdout.split() == ["0"]
    assert os.stat(busybox).st_ctime_ns == ctime
    # A new map: shifted from the recorded map to the new one.
    annotate(bundle, base="4000000")
    p = run(iw, bundle, "stat", "-c", "%u", "/bin/busybox")
    assert p.returncode == 0, p.stderr
    assert p.stdout.split() == ["0"]
    assert os.stat(busybox).st_uid == 4000000
    assert_host_clean(iw)
