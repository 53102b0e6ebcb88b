# SPDX-License-Identifier: GPL-2.0-or-later
"""cgroups on the host's own layout (hybrid on the reference VM): every
knob lands in the file a user would look at, devices are denied inside,
update/pause/resume/ps/events/kill --all work on a live container, and no
cgroup directory outlives the container."""
import json
import os
import select
import signal
import subprocess
import threading
import time

import pytest

from conftest import WARD
from cgroup_helpers import (all_cgroup_dirs, controller_dir,
                                 cpu_usage_ns, create, file_of, host_layout,
                                 memsw_enabled, probe_device, read, state,
                                 wait_for)

LAYOUT = host_layout()


def start(ward, bundle, *args, resources=None, cgroups_path=None,
          namespaces=None):
    bundle.set_args(*args)
    if resources:
        bundle.config["linux"]["resources"].update(resources)
    if cgroups_path is not None:
        bundle.config["linux"]["cgroupsPath"] = cgroups_path
    if namespaces:
        bundle.config["linux"]["namespaces"] += [{"type": t} for t in namespaces]
    bundle.write()
    cid = ward.new_id("cg")
    p = create(ward, bundle.path, cid)
    assert p.returncode == 0, p.stderr
    ward("start", cid, check=True)
    return cid, state(ward, cid)["pid"]


def readline(f, timeout=20):
    """One line from a child's pipe, or "" after TIMEOUT seconds."""
    r, _, _ = select.select([f], [], [], timeout)
    return f.readline() if r else ""


def gone(dirs):
    return [d for d in dirs if os.path.exists(d)]


def test_limits_land_in_the_files(ward, bundle):
    res = {"memory": {"limit": 64 << 20}, "pids": {"limit": 42},
           "cpu": {"shares": 512, "quota": 20000, "period": 100000}}
    cid, pid = start(ward, bundle, "sleep", "600", resources=res)
    mem, v2 = file_of(pid, "memory", "memory.limit_in_bytes", "memory.max")
    assert read(mem) == str(64 << 20)
    pids, _ = file_of(pid, "pids", "pids.max", "pids.max")
    assert read(pids) == "42"
    shares, v2 = file_of(pid, "cpu", "cpu.shares", "cpu.weight")
    # runc's conversion: weight = 1 + (shares - 2) * 9999 / 262142
    assert read(shares) == ("20" if v2 else "512")
    quota, v2 = file_of(pid, "cpu", "cpu.cfs_quota_us", "cpu.max")
    assert read(quota) == ("20000 100000" if v2 else "20000")
    # The default path is /ward/ID in every hierarchy.
    dirs = [d for d in all_cgroup_dirs("/ward/" + cid)]
    assert all(os.path.isdir(d) for d in dirs)
    ward("delete", "--force", cid, check=True)
    assert gone(dirs) == []


PROBE = probe_device()


@pytest.mark.skipif(PROBE is None, reason="no device the host can open")
def test_devices_denied_inside(ward, bundle):
    # The default config denies everything; ward adds runc's defaults.  The
    # probe device opens on the host, so a refusal is the cgroup's.
    script = ("head -c1 /dev/null && echo null-ok; head -c1 /dev/zero | wc -c; "
              "mknod /dev/probe %s %d %d && echo mknod-ok; "
              "(: < /dev/probe); echo probe=$?" % PROBE)
    bundle.set_args("sh", "-c", script).write()
    cid = ward.new_id("cg")
    p = ward("run", "--bundle", bundle.path, cid)
    assert "null-ok" in p.stdout
    assert "mknod-ok" in p.stdout
    assert "probe=1" in p.stdout or "probe=2" in p.stdout
    assert "Operation not permitted" in p.stderr


@pytest.mark.skipif(PROBE is None, reason="no device the host can open")
def test_config_devices_are_allowed(ward, bundle):
    # runc allows every node of linux.devices even under a deny-all list.
    bundle.config["linux"]["devices"] = [
        {"path": "/dev/probe", "type": PROBE[0], "major": PROBE[1],
         "minor": PROBE[2], "fileMode": 0o600}]
    bundle.set_args("sh", "-c", "(: < /dev/probe) && echo probe-ok").write()
    p = ward("run", "--bundle", bundle.path, ward.new_id("cg"))
    assert "probe-ok" in p.stdout, p.stderr


@pytest.mark.skipif(PROBE is None, reason="no device the host can open")
def test_update_devices_of_running_container(ward, bundle):
    cid, pid = start(ward, bundle, "sh", "-c",
                     "mknod /dev/probe %s %d %d; sleep 600" % PROBE)
    probe = ["exec", cid, "sh", "-c", ": < /dev/probe && echo open-ok"]
    assert wait_for(lambda: "Operation not permitted" in ward(*probe).stderr)
    rules = [{"allow": False, "access": "rwm"},
             {"allow": True, "type": PROBE[0], "major": PROBE[1],
              "minor": PROBE[2], "access": "r"}]
    p = ward("update", "--resources", "-", cid,
             input=json.dumps({"devices": rules}))
    assert p.returncode == 0, p.stderr
    assert "open-ok" in ward(*probe).stdout
    # And taken away again.
    p = ward("update", "--resources", "-", cid,
             input=json.dumps({"devices": rules[:1]}))
    assert p.returncode == 0, p.stderr
    assert "Operation not permitted" in ward(*probe).stderr
    assert ward("exec", cid, "sh", "-c", ": < /dev/null && echo null-ok"
                ).stdout.strip() == "null-ok"


def test_update_running_container(ward, bundle):
    cid, pid = start(ward, bundle, "sleep", "600",
                     resources={"memory": {"limit": 64 << 20},
                                "pids": {"limit": 40}})
    mem, v2 = file_of(pid, "memory", "memory.limit_in_bytes", "memory.max")
    pids, _ = file_of(pid, "pids", "pids.max", "pids.max")
    p = ward("update", "--memory", "128m", "--pids-limit=77", cid)
    assert p.returncode == 0, p.stderr
    assert read(mem) == str(128 << 20)
    assert read(pids) == "77"
    # The whole LinuxResources from stdin, as containerd sends it.
    doc = json.dumps({"memory": {"limit": 96 << 20}, "pids": {"limit": 55}})
    p = ward("update", "--resources", "-", cid, input=doc)
    assert p.returncode == 0, p.stderr
    assert read(mem) == str(96 << 20) and read(pids) == "55"
    # A bad update is refused before anything is written.
    p = ward("update", "--pids-limit", "12", "--cpuset-cpus", "0-4000", cid)
    assert p.returncode != 0
    assert p.stderr.strip().splitlines()[-1].startswith(
        'ward: resources.cpu.cpus: "0-4000" is not within the available')
    assert read(pids) == "55"
    p = ward("update", "--memory", "lots", cid)
    assert p.returncode != 0 and 'invalid size "lots"' in p.stderr
    p = ward("update", cid)
    assert p.returncode != 0 and "nothing to change" in p.stderr


def test_update_paused_container(ward, bundle):
    cid, pid = start(ward, bundle, "sleep", "600",
                     resources={"pids": {"limit": 40}})
    ward("pause", cid, check=True)
    ward("update", "--pids-limit", "41", cid, check=True)
    assert read(file_of(pid, "pids", "pids.max", "pids.max")[0]) == "41"
    assert state(ward, cid)["status"] == "paused"
    ward("resume", cid, check=True)


def test_pause_stops_a_busy_loop(ward, bundle):
    cid, pid = start(ward, bundle, "sh", "-c", "while :; do :; done")
    time.sleep(0.3)
    ward("pause", cid, check=True)
    assert state(ward, cid)["status"] == "paused"
    before = cpu_usage_ns(pid)
    time.sleep(1.0)
    assert cpu_usage_ns(pid) == before
    with open("/proc/%d/stat" % pid) as f:
        assert f.read().split(") ")[1][0] in "DS"  # frozen tasks sleep
    p = ward("pause", cid)
    assert p.returncode != 0 and "is paused, not running" in p.stderr
    ward("resume", cid, check=True)
    assert state(ward, cid)["status"] == "running"
    time.sleep(0.5)
    assert cpu_usage_ns(pid) > before
    p = ward("resume", cid)
    assert p.returncode != 0 and "is running, not paused" in p.stderr


def test_ps(ward, bundle):
    cid, pid = start(ward, bundle, "sh", "-c", "sleep 600 & sleep 600")
    assert wait_for(lambda: len(json.loads(
        ward("ps", "--format", "json", cid).stdout)) == 2)
    pids = json.loads(ward("ps", "--format=json", cid, check=True).stdout)
    assert pid in pids
    table = ward("ps", cid, check=True).stdout.splitlines()
    assert table[0].split()[1] == "PID"
    assert sorted(int(l.split()[1]) for l in table[1:]) == sorted(pids)
    custom = ward("ps", cid, "--", "-o", "pid,comm", check=True).stdout
    assert "sleep" in custom
    p = ward("ps", "--format", "yaml", cid)
    assert p.returncode != 0 and "--format must be table or json" in p.stderr


def test_kill_all(ward, bundle):
    cid, pid = start(ward, bundle, "sh", "-c",
                     "sleep 600 & sleep 600 & sleep 600")
    # sh execs the last command: three processes.
    assert wait_for(lambda: len(json.loads(
        ward("ps", "--format", "json", cid).stdout)) == 3)
    pids = json.loads(ward("ps", "--format", "json", cid).stdout)
    ward("kill", "--all", cid, "KILL", check=True)
    assert wait_for(lambda: not any(os.path.exists("/proc/%d" % p)
                                    and read("/proc/%d/stat" % p).split(") ")[1][0] != "Z"
                                    for p in pids))


def test_events_stats(ward, bundle):
    cid, pid = start(ward, bundle, "sleep", "600",
                     resources={"memory": {"limit": 64 << 20},
                                "pids": {"limit": 30}})
    p = ward("events", "--stats", cid, check=True)
    ev = json.loads(p.stdout)
    assert ev["type"] == "stats" and ev["id"] == cid
    d = ev["data"]
    assert d["memory"]["usage"]["limit"] == 64 << 20
    assert d["pids"] == {"current": 1, "limit": 30}
    assert d["cpu"]["usage"]["total"] > 0
    # Periodic stats until the container stops.
    ev = subprocess.Popen([WARD, "--root", ward.root, "events", "--interval",
                           "200ms", cid], stdout=subprocess.PIPE, text=True)
    lines = [readline(ev.stdout), readline(ev.stdout)]
    assert all(json.loads(l)["type"] == "stats" for l in lines)
    ward("kill", cid, "KILL", check=True)
    assert ev.wait(timeout=10) == 0


def test_events_reports_oom_kill(ward, bundle):
    res = {"memory": {"limit": 16 << 20}}
    if memsw_enabled():
        res["memory"]["swap"] = 16 << 20
    bundle.set_args("sh", "-c", "sleep 1; tail /dev/zero; sleep 600")
    bundle.config["linux"]["resources"].update(res)
    bundle.write()
    cid = ward.new_id("cg")
    assert create(ward, bundle.path, cid).returncode == 0
    ev = subprocess.Popen([WARD, "--root", ward.root, "events", cid],
                          stdout=subprocess.PIPE, text=True)
    try:
        time.sleep(0.3)
        ward("start", cid, check=True)
        line = readline(ev.stdout)
        assert json.loads(line) == {"type": "oom", "id": cid}
    finally:
        ev.kill()
        ev.wait()
    p = ward("events", "--stats", cid, check=True)
    mem = json.loads(p.stdout)["data"]["memory"]
    assert mem["usage"]["limit"] == 16 << 20
    assert mem["usage"]["max"] > 8 << 20  # it did reach the limit


def test_delete_after_sigkill_between_create_and_start(ward, bundle):
    bundle.set_args("sleep", "600")
    bundle.config["linux"]["resources"].update({"pids": {"limit": 10}})
    bundle.write()
    cid = ward.new_id("cg")
    assert create(ward, bundle.path, cid).returncode == 0
    pid = state(ward, cid)["pid"]
    dirs = all_cgroup_dirs("/ward/" + cid)
    assert all(os.path.isdir(d) for d in dirs)
    # ward's side of the container (the init waiting for start) dies hard.
    os.kill(pid, signal.SIGKILL)
    p = ward("delete", "--force", cid)
    assert p.returncode == 0, p.stderr
    assert gone(dirs) == []


def test_delete_after_sigkill_of_ward_run(ward, bundle):
    bundle.set_args("sh", "-c", "sleep 600 & sleep 600")
    bundle.write()
    cid = ward.new_id("cg")
    run = subprocess.Popen([WARD, "--root", ward.root, "run", "--bundle",
                            bundle.path, cid], stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)
    assert wait_for(lambda: ward("state", cid).returncode == 0 and
                    state(ward, cid)["status"] == "running")
    pid = state(ward, cid)["pid"]
    dirs = all_cgroup_dirs("/ward/" + cid)
    assert wait_for(lambda: len(json.loads(
        ward("ps", "--format", "json", cid).stdout)) == 2)
    pids = json.loads(ward("ps", "--format", "json", cid).stdout)
    run.send_signal(signal.SIGKILL)
    run.wait()
    p = ward("delete", "--force", cid)
    assert p.returncode == 0, p.stderr
    assert gone(dirs) == []
    assert not any(os.path.exists("/proc/%d" % q) and
                   read("/proc/%d/stat" % q).split(") ")[1][0] != "Z"
                   for q in pids + [pid])


def test_delete_force_paused(ward, bundle):
    cid, pid = start(ward, bundle, "sleep", "600")
    dirs = all_cgroup_dirs("/ward/" + cid)
    ward("pause", cid, check=True)
    ward("delete", "--force", cid, check=True)
    assert gone(dirs) == []


def test_cgroups_path_forms(ward, bundle, make_bundle):
    tag = ward.new_id("wardtest")
    cid, pid = start(ward, bundle, "sleep", "600",
                     cgroups_path="/%s/c1" % tag)
    d = controller_dir(pid, "pids") or controller_dir(pid, "")
    assert d.endswith("/%s/c1" % tag)
    ward("delete", "--force", cid, check=True)
    assert gone(all_cgroup_dirs("/" + tag)) == []

    # podman's systemd form, here without --systemd-cgroup.
    b2 = make_bundle()
    cid2, pid2 = start(ward, b2, "sleep", "600",
                       cgroups_path="machine.slice:%s:x" % tag)
    d = controller_dir(pid2, "pids") or controller_dir(pid2, "")
    assert d.endswith("/machine.slice/%s-x.scope" % tag)
    ward("delete", "--force", cid2, check=True)
    assert gone(all_cgroup_dirs("/machine.slice/%s-x.scope" % tag)) == []

    # Relative: under /ward.
    b3 = make_bundle()
    cid3, pid3 = start(ward, b3, "sleep", "600", cgroups_path="%s/c3" % tag)
    d = controller_dir(pid3, "pids") or controller_dir(pid3, "")
    assert d.endswith("/ward/%s/c3" % tag)
    ward("delete", "--force", cid3, check=True)
    assert gone(all_cgroup_dirs("/ward/" + tag)) == []


def test_shared_parent_goes_with_the_last_container_out(ward, bundle,
                                                       make_bundle):
    """A parent ward made for one container (containerd's /NAMESPACE/ID)
    and shared with a second is removed by whichever is deleted last; one
    ward did not make stays.  (The first out used to leave it, as nobody
    was left who had made it: /wardtest on hosts that ran containerd.)"""
    tag = ward.new_id("wardtest")
    parent = all_cgroup_dirs("/" + tag)
    try:
        a, _ = start(ward, bundle, "sleep", "600", cgroups_path="/%s/a" % tag)
        b, _ = start(ward, make_bundle(), "sleep", "600",
                     cgroups_path="/%s/b" % tag)
        ward("delete", "--force", a, check=True)
        assert all(os.path.isdir(d) for d in parent)
        ward("delete", "--force", b, check=True)
        assert gone(parent) == []
    finally:
        ward.cleanup()
        for d in gone(parent):
            os.rmdir(d)

    theirs = ward.new_id("wardtest")
    dirs = all_cgroup_dirs("/" + theirs)
    try:
        for d in dirs:
            os.mkdir(d)
            for f in ("cpuset.cpus", "cpuset.mems"):  # v1: empty when new
                if os.path.exists(os.path.join(d, f)):
                    with open(os.path.join(d, f), "w") as out:
                        out.write(read(os.path.join(os.path.dirname(d), f)))
        c, _ = start(ward, make_bundle(), "sleep", "600",
                     cgroups_path="/%s/c" % theirs)
        ward("delete", "--force", c, check=True)
        assert gone(all_cgroup_dirs("/%s/c" % theirs)) == []
        assert all(os.path.isdir(d) for d in dirs)
    finally:
        for d in dirs:
            if os.path.isdir(d):
                os.rmdir(d)


def test_systemd_flag_requires_the_systemd_form(ward, bundle):
    bundle.config["linux"]["cgroupsPath"] = "/plain/path"
    bundle.write()
    cid = ward.new_id("cg")
    p = create(ward, bundle.path, cid, "--systemd-cgroup")
    assert p.returncode != 0
    assert p.stderr.strip() == ('ward: linux.cgroupsPath: "/plain/path" must '
                                'be slice:prefix:name with --systemd-cgroup')
    assert ward("state", cid).returncode != 0
    assert gone(all_cgroup_dirs("/plain/path")) == []


def test_unsupported_knob_is_one_line_and_leaves_nothing(ward, bundle):
    # net_cls is not mounted on the reference VM; on a pure v2 host there is
    # no net_cls at all.
    if any("net_cls" in c for _m, _t, cs in __import__(
            "cgroup_helpers").cgroup_mounts() for c in cs):
        pytest.skip("net_cls is mounted on this host")
    bundle.config["linux"]["resources"]["network"] = {"classID": 1048577}
    bundle.write()
    cid = ward.new_id("cg")
    p = create(ward, bundle.path, cid)
    assert p.returncode != 0
    why = ("net_cls exists only in cgroup v1" if LAYOUT == "v2"
           else "net_cls controller not mounted")
    assert p.stderr.strip() == ("ward: linux.resources.network.classID: not "
                                "supported on this host (%s)" % why)
    assert ward("state", cid).returncode != 0
    assert gone(all_cgroup_dirs("/ward/" + cid)) == []


# memory.kernel without a working knob: test_conformance.py
# (test_kernel_memory_warns_and_runs), a warning since issue 9.4.


def test_cgroup_namespace_and_mount(ward, bundle):
    script = "cat /proc/self/cgroup; echo ---; ls /sys/fs/cgroup"
    if LAYOUT != "v2":
        script += "; echo ---; ls /sys/fs/cgroup/pids; touch /sys/fs/cgroup/pids/x"
    bundle.set_args("sh", "-c", script)
    bundle.config["linux"]["namespaces"].append({"type": "cgroup"})
    bundle.config["linux"]["resources"]["pids"] = {"limit": 9}
    bundle.write()
    cid = ward.new_id("cg")
    p = ward("run", "--bundle", bundle.path, cid)
    own, listing = p.stdout.split("---")[:2]
    # Its own cgroup is "/" in every hierarchy.
    assert all(l.endswith(":/") for l in own.strip().splitlines())
    assert "ward" not in listing.split()
    if LAYOUT == "hybrid":
        assert {"memory", "pids", "unified"} <= set(listing.split())
    if LAYOUT != "v2":
        pids_dir = p.stdout.split("---")[2].split()
        assert "pids.max" in pids_dir and "ward" not in pids_dir
        assert "Read-only file system" in p.stderr


def test_parallel_creates_and_deletes_under_one_new_parent(ward, make_bundle):
    """Containers come and go in parallel under one parent ward makes (as
    /ward itself, or containerd's /NAMESPACE): the last one out removes
    the parent while another create is between making it and making its
    own directory below.  The create makes the path again; none fails."""
    tag = ward.new_id("wardtest")
    parent = all_cgroup_dirs("/" + tag)
    jobs = []
    for w in range(2):
        mine = []
        for i in range(12):
            b = make_bundle()
            b.set_args("true")
            b.config["linux"]["cgroupsPath"] = "/%s/w%d-%d" % (tag, w, i)
            b.write()
            mine.append((b.path, ward.new_id("par")))
        jobs.append(mine)
    failures = []

    def worker(mine):
        for path, cid in mine:
            p = ward("run", "--bundle", path, cid)
            if p.returncode != 0:
                failures.append(p.stderr.strip())
    threads = [threading.Thread(target=worker, args=(m,)) for m in jobs]
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert failures == []
        assert gone(parent) == []
    finally:
        ward.cleanup()
        for d in sorted(gone(parent), key=len, reverse=True):
            os.rmdir(d)
