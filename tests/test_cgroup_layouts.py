# SPDX-License-Identifier: GPL-2.0-or-later
"""The two layouts this host does not have, made in a private mount
namespace: pure v2 (a cgroup2 mount over /sys/fs/cgroup) and pure v1 (a
tmpfs holding only the v1 hierarchies).  ward finds the layout from the
mount table alone.  On the reference VM the v2 tree only has hugetlb (the
other controllers are bound to v1), so the v2 tests check hugetlb, the eBPF
device filter, the freezer and the errors for the rest."""
import json
import os
import shlex

import pytest

from conftest import WARD
from cgroup_helpers import (cgroup_mounts, host_layout, ns_run,
                                 probe_device)

LAYOUT = host_layout()
PROBE = probe_device()
MKNOD = "mknod /dev/probe %s %d %d" % PROBE if PROBE else "true"


def script(ward, bundle, cid, setup, body):
    """A sh script: SETUP mounts, then BODY with $W (ward), $ID, $B; the
    container is force-deleted on the way out, inside the namespace."""
    return "\n".join([
        "set -u",
        setup,
        "W=%s" % shlex.quote("%s --root %s" % (WARD, ward.root)),
        "ID=%s; B=%s; OUT=%s" % (cid, shlex.quote(bundle.path),
                                 shlex.quote(bundle.path + "/out")),
        "trap '$W delete --force $ID >/dev/null 2>&1' EXIT",
        "create() { $W create --bundle $B $ID </dev/null >$OUT 2>&1; }",
        "wait_out() { for i in $(seq 100); do grep -q \"$1\" $OUT && return 0;"
        " sleep 0.05; done; return 1; }",
        body,
    ])


def kv(stdout):
    """KEY=VALUE lines of the script's output."""
    out = {}
    for line in stdout.splitlines():
        if "=" in line and line.split("=", 1)[0].isupper():
            k, v = line.split("=", 1)
            out[k] = v
    return out


V2_SETUP = "mount -t cgroup2 cgroup2 /sys/fs/cgroup || exit 77"


def v1_setup():
    lines = ["mount -t tmpfs -o mode=755 tmpfs /sys/fs/cgroup || exit 77"]
    for mnt, fstype, ctrls in cgroup_mounts():
        if fstype != "cgroup" or not mnt.startswith("/sys/fs/cgroup/"):
            continue
        opts = ",".join(ctrls)
        if all(c.startswith("name=") for c in ctrls):
            opts = "none," + opts
        lines.append("mkdir -p %s && mount -t cgroup -o %s cgroup %s || exit 77"
                     % (mnt, opts, mnt))
    return "\n".join(lines)


def need_v1_host():
    if not any(t == "cgroup" for _m, t, _c in cgroup_mounts()):
        pytest.skip("no cgroup v1 hierarchies on this host to remount")


def run(s):
    p = ns_run(s)
    if p.returncode == 77:
        pytest.skip("cannot build the layout here: " + p.stderr.strip())
    return p


def test_v2_limits_devices_freezer_and_cleanup(ward, bundle):
    bundle.set_args("sh", "-c",
                    "head -c1 /dev/null && echo null-ok; " + MKNOD + ";"
                    " (: < /dev/probe); echo blk=$?; cat /proc/self/cgroup;"
                    " echo ready; while :; do :; done")
    res = bundle.config["linux"]["resources"]
    res["hugepageLimits"] = [{"pageSize": "2MB", "limit": 4 << 20}]
    bundle.write()
    cid = ward.new_id("v2")
    body = r"""
# /ward made by an earlier container (e.g. on the hybrid layout, whose
# unified tree this is) is not ours to remove.
PARENT_PRE=$([ -e /sys/fs/cgroup/ward ] && echo 1)
create || { cat $OUT; exit 1; }
$W start $ID
wait_out ready
D=/sys/fs/cgroup/ward/$ID
echo HUGE=$(cat $D/hugetlb.2MB.max)
echo PROCS=$(cat $D/cgroup.procs | tr '\n' ' ')
echo PS=$($W ps --format json $ID)
$W pause $ID && echo STATUS_PAUSED=$($W state $ID | grep -o '"paused"')
echo FROZEN=$(grep frozen $D/cgroup.events)
u1=$(grep usage_usec $D/cpu.stat); sleep 1; u2=$(grep usage_usec $D/cpu.stat)
[ "$u1" = "$u2" ] && echo STOPPED=yes
$W resume $ID
sleep 0.5; u3=$(grep usage_usec $D/cpu.stat)
[ "$u2" != "$u3" ] && echo RUNNING_AGAIN=yes
$W update --resources - $ID <<EOF
{"hugepageLimits": [{"pageSize": "2MB", "limit": 2097152}]}
EOF
echo HUGE2=$(cat $D/hugetlb.2MB.max)
if [ -n "$PROBE" ]; then
  $W exec $ID sh -c ': < /dev/probe' 2>/dev/null || echo BEFORE=denied
  $W update --resources - $ID <<EOF
{"devices": [{"allow": false, "access": "rwm"}, $PROBE]}
EOF
  echo FILTERS=$(bpftool cgroup list $D 2>/dev/null | grep -c cgroup_device)
  $W exec $ID sh -c ': < /dev/probe' && echo AFTER=allowed
fi
echo PIDSERR=$($W update --pids-limit 5 $ID 2>&1)
echo STATS=$($W events --stats $ID)
$W delete --force $ID
[ -e $D ] || echo GONE=yes
# /ward goes with its last container; another run's container (a name
# with a dash) may still hold it.
if [ -n "$PARENT_PRE" ]; then echo PARENT_GONE=yes
elif ls /sys/fs/cgroup/ward 2>/dev/null | grep -q -- -; then echo PARENT_GONE=yes
elif [ ! -e /sys/fs/cgroup/ward ]; then echo PARENT_GONE=yes; fi
cat $OUT
"""
    probe = ""
    if PROBE:
        probe = json.dumps({"allow": True, "type": PROBE[0], "major": PROBE[1],
                            "minor": PROBE[2], "access": "r"})
    p = run(script(ward, bundle, cid, V2_SETUP,
                   "PROBE=%s\n" % shlex.quote(probe) + body))
    out = kv(p.stdout)
    assert out.get("HUGE") == str(4 << 20), p.stdout + p.stderr
    if PROBE:
        # The eBPF filter was replaced in place: the update took effect.
        assert out.get("BEFORE") == "denied", p.stdout + p.stderr
        assert out.get("AFTER") == "allowed", p.stdout + p.stderr
        if out.get("FILTERS", "0") != "0":
            assert out["FILTERS"] == "1"
    assert "null-ok" in p.stdout
    if PROBE:
        assert "blk=1" in p.stdout or "blk=2" in p.stdout
        assert "Operation not permitted" in p.stdout
    assert "0::/ward/" + cid in p.stdout
    pid = int(out["PROCS"].split()[0])
    assert json.loads(out["PS"]) == [pid]
    assert out.get("STATUS_PAUSED") == '"paused"'
    assert out.get("FROZEN") == "frozen 1", p.stdout + p.stderr
    assert out.get("STOPPED") == "yes" and out.get("RUNNING_AGAIN") == "yes"
    assert out.get("HUGE2") == str(2 << 20)
    # The controllers this VM binds to v1 are refused by name.
    assert out["PIDSERR"] == ("ward: resources.pids.limit: not supported on "
                              "this host (no pids controller)")
    stats = json.loads(out["STATS"])
    assert stats["type"] == "stats" and "2MB" in stats["data"]["hugetlb"]
    assert out.get("GONE") == "yes" and out.get("PARENT_GONE") == "yes"


def test_v2_unsupported_controller_leaves_nothing(ward, bundle):
    bundle.config["linux"]["resources"]["memory"] = {"limit": 64 << 20}
    bundle.write()
    cid = ward.new_id("v2")
    body = r"""
create; echo RC=$?
echo ERR=$(cat $OUT)
[ -e /sys/fs/cgroup/ward/$ID ] || echo GONE=yes
$W state $ID >/dev/null 2>&1 || echo NO_STATE=yes
"""
    p = run(script(ward, bundle, cid, V2_SETUP, body))
    out = kv(p.stdout)
    with open("/sys/fs/cgroup/unified/cgroup.controllers" if LAYOUT == "hybrid"
              else "/sys/fs/cgroup/cgroup.controllers") as f:
        if "memory" in f.read().split():
            pytest.skip("this host has memory in cgroup v2")
    assert out["RC"] != "0"
    assert out["ERR"] == ("ward: linux.resources.memory: not supported on "
                          "this host (no memory controller)")
    assert out.get("GONE") == "yes" and out.get("NO_STATE") == "yes"


def test_v2_cgroup_namespace_mount(ward, bundle):
    bundle.set_args("sh", "-c", "cat /proc/self/cgroup; echo MNT=$(cat "
                    "/sys/fs/cgroup/cgroup.procs | tr '\\n' ' '); echo "
                    "WARDDIRS=$(ls /sys/fs/cgroup | grep -c '^ward$')")
    bundle.config["linux"]["namespaces"].append({"type": "cgroup"})
    bundle.write()
    cid = ward.new_id("v2")
    body = "$W run --bundle $B $ID </dev/null"
    p = run(script(ward, bundle, cid, V2_SETUP, body))
    own = [l for l in p.stdout.splitlines() if l.count(":") >= 2]
    assert "0::/" in own, p.stdout + p.stderr
    assert all(l.endswith(":/") for l in own)
    out = kv(p.stdout)
    # The mount's root is the container's cgroup: its init is pid 1 there.
    assert "1" in out["MNT"].split()
    assert out["WARDDIRS"] == "0"


def test_v1_limits_devices_and_cleanup(ward, bundle):
    need_v1_host()
    bundle.set_args("sh", "-c",
                    "head -c1 /dev/null && echo null-ok; " + MKNOD + ";"
                    " (: < /dev/probe); echo blk=$?; ls /sys/fs/cgroup | tr '\\n' ' ';"
                    " echo; echo ready; sleep 600")
    bundle.config["linux"]["resources"].update(
        {"memory": {"limit": 32 << 20}, "pids": {"limit": 20},
         "cpu": {"shares": 256}})
    bundle.write()
    cid = ward.new_id("v1")
    body = r"""
create || { cat $OUT; exit 1; }
$W start $ID
wait_out ready
C=/sys/fs/cgroup
echo LAYOUT_V2=$(ls $C | grep -c unified)
echo MEM=$(cat $C/memory/ward/$ID/memory.limit_in_bytes)
echo PIDS=$(cat $C/pids/ward/$ID/pids.max)
echo SHARES=$(cat $C/cpu/ward/$ID/cpu.shares)
echo DEVS=$(head -1 $C/devices/ward/$ID/devices.list)
$W update --memory 64m $ID && echo MEM2=$(cat $C/memory/ward/$ID/memory.limit_in_bytes)
echo UNIFIEDERR=$($W update --resources - $ID 2>&1 <<EOF
{"unified": {"memory.high": "1M"}}
EOF
)
$W pause $ID && echo FREEZER=$(cat $C/freezer/ward/$ID/freezer.state)
$W resume $ID
$W delete --force $ID
echo LEFT=$(ls -d $C/*/ward/$ID 2>/dev/null | wc -l)
cat $OUT
"""
    p = run(script(ward, bundle, cid, v1_setup(), body))
    out = kv(p.stdout)
    assert out.get("MEM") == str(32 << 20), p.stdout + p.stderr
    assert out["LAYOUT_V2"] == "0"
    assert out["PIDS"] == "20" and out["SHARES"] == "256"
    assert out["DEVS"] == "c *:* m"
    assert out.get("MEM2") == str(64 << 20), p.stdout + p.stderr
    assert out["UNIFIEDERR"] == ("ward: resources.unified: requires cgroup v2 "
                                 "(this host has only v1)")
    assert out.get("FREEZER") == "FROZEN"
    assert out["LEFT"] == "0"
    assert "null-ok" in p.stdout
    if PROBE:
        assert "blk=1" in p.stdout or "blk=2" in p.stdout
        assert "Operation not permitted" in p.stdout
    listing = [l for l in p.stdout.splitlines() if "memory" in l.split()]
    assert listing and "unified" not in listing[0].split()


def test_v2_exec_lands_in_the_container_cgroup(ward, bundle):
    """On pure v2 the exec'd process is cloned straight into the container's
    cgroup (CLONE_INTO_CGROUP); it must end up there, and a paused
    container still refuses exec."""
    bundle.set_args("sleep", "600")
    bundle.write()
    cid = ward.new_id("v2")
    body = r"""
create || { cat $OUT; exit 1; }
$W start $ID
echo EXEC=$($W exec $ID cat /proc/self/cgroup | grep '^0::')
D=/sys/fs/cgroup/ward/$ID
$W exec --detach $ID sleep 600
echo NPROCS=$(wc -l < $D/cgroup.procs)
$W pause $ID
echo PAUSED=$($W exec $ID true 2>&1; echo rc=$?)
$W resume $ID
"""
    p = run(script(ward, bundle, cid, V2_SETUP, body))
    out = kv(p.stdout)
    assert out.get("EXEC") == "0::/ward/" + cid, p.stdout + p.stderr
    # the init and the exec'd sleep: the helper that forked it is gone
    assert out.get("NPROCS") == "2", p.stdout + p.stderr
    assert out.get("PAUSED") == ('ward: cannot exec in a paused container '
                                 '"%s" rc=1' % cid), p.stdout + p.stderr


def test_other_layout_is_refused_by_name(ward, bundle):
    """The state records where the hierarchies were mounted so that later
    commands need not read the mount table; a mount namespace that shows
    another layout must still be told apart, in both directions."""
    if LAYOUT == "v2":
        pytest.skip("the host is pure v2: the v2 view is the same layout")
    bundle.set_args("sleep", "600")
    bundle.write()
    # Made on the host, looked at from a pure v2 view.
    cid = ward.new_id("lay")
    ward("run", "-d", "--bundle", bundle.path, cid, check=True)
    try:
        p = run("\n".join([V2_SETUP, "%s --root %s ps %s" % (
            WARD, shlex.quote(ward.root), cid)]))
        assert p.returncode != 0
        assert p.stderr.strip() == (
            "ward: cgroup: the container was created on a %s layout, this "
            "mount namespace has v2" % LAYOUT), p.stderr
    finally:
        ward("delete", "--force", cid)
    # Made in a pure v2 view, looked at from the host.
    cid2 = ward.new_id("lay")
    body = r"""
$W run -d --bundle $B $ID </dev/null >$OUT 2>&1 || { cat $OUT; exit 1; }
trap - EXIT
echo MADE=yes
"""
    p = run(script(ward, bundle, cid2, V2_SETUP, body))
    assert "MADE=yes" in p.stdout, p.stdout + p.stderr
    try:
        r = ward("ps", cid2, check=False)
        assert r.returncode != 0
        assert r.stderr.strip() == (
            "ward: cgroup: the container was created on a v2 layout, this "
            "mount namespace has %s" % LAYOUT), r.stderr
    finally:
        run(script(ward, bundle, cid2, V2_SETUP, "$W delete --force $ID"))
