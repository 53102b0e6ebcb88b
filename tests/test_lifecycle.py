# SPDX-License-Identifier: GPL-2.0-or-later
"""create/start/state/kill/delete/list/run as containerd and podman use them."""
import json
import os
import signal
import subprocess
import time

import leak_guard
from conftest import (WARD, assert_nothing_left, processes_with, run_container,
                      catches, init_pid, status_of, wait_for)


def test_run_prints_and_exits_with_process_status(ward, bundle):
    p = run_container(ward, bundle, "sh", "-c", "echo hello; exit 3")
    assert p.stdout == "hello\n"
    assert p.returncode == 3


def test_run_killed_by_signal_is_128_plus_signal(ward, bundle):
    # pid 1 of a pid namespace cannot kill itself: kill it from outside.
    bundle.set_args("sleep", "100").write()
    cid = ward.new_id()
    proc = subprocess.Popen([WARD, "--root", ward.root, "run", "--bundle",
                             bundle.path, cid])
    for _ in range(100):
        if ward("state", cid).returncode == 0 and \
                json.loads(ward("state", cid).stdout)["status"] == "running":
            break
        time.sleep(0.05)
    ward("kill", cid, "KILL", check=True)
    assert proc.wait(timeout=30) == 128 + 9


def test_run_removes_everything(ward, bundle):
    bundle.set_args("true").write()
    cid = ward.new_id()
    assert ward("run", "--bundle", bundle.path, cid).returncode == 0
    assert_nothing_left(ward, cid, bundle)


def test_create_start_state_delete(ward, bundle):
    bundle.set_args("sleep", "30").write()
    cid = ward.new_id()
    ward("create", "--bundle", bundle.path, "--pid-file",
         os.path.join(bundle.path, "init.pid"), cid, check=True)
    st = json.loads(ward("state", cid, check=True).stdout)
    assert st["status"] == "created"
    assert st["id"] == cid
    assert st["bundle"] == bundle.path
    assert st["rootfs"] == bundle.rootfs
    assert "created" in st and st["ociVersion"]
    with open(os.path.join(bundle.path, "init.pid")) as f:
        pid = int(f.read())
    assert pid == st["pid"]
    # The init waits on the exec fifo: it has not run `sleep` yet.
    with open("/proc/%d/cmdline" % pid, "rb") as f:
        assert b"sleep" not in f.read()
    t0 = time.monotonic()
    ward("start", cid, check=True)
    assert time.monotonic() - t0 < 5
    assert wait_for(lambda: status_of(ward, cid) == "running")
    def runs_sleep():
        with open("/proc/%d/cmdline" % pid, "rb") as f:
            return f.read().startswith(b"sleep")
    assert wait_for(runs_sleep)
    p = ward("delete", cid)
    assert p.returncode != 0 and "not stopped" in p.stderr
    ward("kill", cid, "KILL", check=True)
    assert wait_for(lambda: status_of(ward, cid) == "stopped")
    ward("delete", cid, check=True)
    assert_nothing_left(ward, cid, bundle)


def test_state_survives_ward_and_start_twice_fails(ward, bundle):
    bundle.set_args("sleep", "30").write()
    cid = ward.new_id()
    ward("create", "--bundle", bundle.path, cid, check=True)
    ward("start", cid, check=True)
    p = ward("start", cid)
    assert p.returncode == 1
    assert "running" in p.stderr
    ward("delete", "--force", cid, check=True)
    assert_nothing_left(ward, cid, bundle)


def test_kill_signal_forms(ward, bundle):
    bundle.set_args("sh", "-c", "trap 'exit 42' USR1; while true; do sleep 0.1; done").write()
    cid = ward.new_id()
    ward("run", "-d", "--bundle", bundle.path, cid, check=True)
    assert wait_for(lambda: catches(init_pid(ward, cid), signal.SIGUSR1))
    for sig in ("SIGCONT", "CONT", "18"):
        ward("kill", cid, sig, check=True)
    p = ward("kill", cid, "NOPE")
    assert p.returncode == 1
    assert p.stderr.strip() == 'ward: invalid signal "NOPE"'
    ward("kill", cid, "USR1", check=True)
    assert wait_for(lambda: status_of(ward, cid) == "stopped")
    p = ward("kill", cid, "KILL")
    assert p.returncode == 1 and "container not running" in p.stderr
    ward("delete", cid, check=True)


def test_delete_force_of_missing_container_succeeds(ward):
    assert ward("delete", "--force", "nosuchcontainer").returncode == 0
    p = ward("delete", "nosuchcontainer")
    assert p.returncode == 1
    assert p.stderr.strip() == 'ward: container "nosuchcontainer" does not exist'
    p = ward("state", "nosuchcontainer")
    assert p.returncode == 1 and "does not exist" in p.stderr


def test_delete_force_kills_running(ward, bundle):
    bundle.set_args("sleep", "1000").write()
    cid = ward.new_id()
    ward("run", "-d", "--bundle", bundle.path, cid, check=True)
    pid = json.loads(ward("state", cid).stdout)["pid"]
    ward("delete", "--force", cid, check=True)
    assert not os.path.exists("/proc/%d" % pid) or \
        open("/proc/%d/stat" % pid).read().split(") ")[1][0] == "Z"
    assert_nothing_left(ward, cid, bundle)


def test_delete_created_container_without_force(ward, bundle):
    """runc deletes a created (never started) container without --force."""
    bundle.set_args("true").write()
    cid = ward.new_id()
    ward("create", "--bundle", bundle.path, cid, check=True)
    ward("delete", cid, check=True)
    assert_nothing_left(ward, cid, bundle)


def test_list_formats(ward, bundle):
    bundle.set_args("sleep", "30").write()
    a, b = ward.new_id(), ward.new_id()
    ward("create", "--bundle", bundle.path, a, check=True)
    ward("run", "-d", "--bundle", bundle.path, b, check=True)
    q = ward("list", "-q", check=True).stdout.split()
    assert sorted(q) == sorted([a, b])
    js = json.loads(ward("list", "--format", "json", check=True).stdout)
    status = {c["id"]: c["status"] for c in js}
    assert status == {a: "created", b: "running"}
    table = ward("list", check=True).stdout.splitlines()
    assert table[0].split()[:3] == ["ID", "PID", "STATUS"]


def test_flags_in_both_forms_and_json_log(ward, bundle, tmp_path):
    bundle.set_args("true").write()
    cid = ward.new_id()
    log = tmp_path / "log.json"
    p = ward("--log-format=json", "--log=" + str(log), "run",
             "--bundle=" + bundle.path, cid)
    assert p.returncode == 0
    p = ward("--log-format", "json", "--log", str(log), "state", "missing")
    assert p.returncode == 1
    last = json.loads(log.read_text().splitlines()[-1])
    assert last["level"] == "error"
    assert last["msg"] == 'container "missing" does not exist'
    assert "time" in last


def test_default_root_is_run_ward(bundle):
    bundle.set_args("true").write()
    cid = leak_guard.own("t-defroot-%d" % os.getpid())
    leak_guard.own_root("/run/ward")
    p = subprocess.run([WARD, "run", "--bundle", bundle.path, cid],
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    p = subprocess.run([WARD, "create", "--bundle", bundle.path, cid],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                       timeout=60)
    try:
        assert os.path.exists("/run/ward/%s/state.json" % cid)
    finally:
        subprocess.run([WARD, "delete", "--force", cid], timeout=60)
    assert not os.path.exists("/run/ward/%s" % cid)


def test_version_and_help(ward):
    p = ward("--version", root=False)
    assert p.returncode == 0
    assert p.stdout.splitlines()[0].startswith("ward version ")
    assert "spec: 1.2.0" in p.stdout
    for cmd in ("create", "start", "run", "exec", "kill", "delete", "state",
                "list", "spec", "features"):
        p = ward(cmd, "--help", root=False)
        if cmd != "features":
            assert p.returncode == 0 and p.stdout.startswith("usage: ward " + cmd), cmd


def test_run_forwards_signals(ward, bundle):
    bundle.set_args("sh", "-c", "trap 'echo got-term; exit 5' TERM; "
                    "while true; do sleep 0.1; done").write()
    cid = ward.new_id()
    proc = subprocess.Popen([WARD, "--root", ward.root, "run", "--bundle",
                             bundle.path, cid], stdout=subprocess.PIPE,
                            text=True)
    # pid 1 ignores signals it has no handler for: wait for the trap
    assert wait_for(lambda: catches(init_pid(ward, cid), signal.SIGTERM))
    proc.send_signal(signal.SIGTERM)
    out, _ = proc.communicate(timeout=30)
    assert proc.returncode == 5
    assert "got-term" in out
    assert_nothing_left(ward, cid, bundle)


def test_preserve_fds_and_leaked_fds(ward, bundle, tmp_path):
    """Only stdio and --preserve-fds reach the container (the shim's fd 3
    must not, CVE-2024-21626)."""
    bundle.set_args("sh", "-c", "ls /proc/self/fd | sort -n | tr '\\n' ' '").write()
    r, w = os.pipe()
    extra = os.open(str(tmp_path), os.O_RDONLY)
    try:
        cid = ward.new_id()
        p = ward("run", "--bundle", bundle.path, cid, pass_fds=(r, w, extra))
        assert p.returncode == 0, p.stderr
        fds = p.stdout.split()
        # ls itself opens one fd for the directory it lists
        assert [f for f in fds if int(f) > 3] == [], fds
        os.dup2(r, 3)
        os.dup2(w, 4)
        cid = ward.new_id()
        p = subprocess.run([WARD, "--root", ward.root, "run", "--preserve-fds",
                            "2", "--bundle", bundle.path, cid],
                           capture_output=True, text=True, pass_fds=(3, 4))
        fds = [int(f) for f in p.stdout.split()]
        assert 3 in fds and 4 in fds
    finally:
        os.close(extra)


def test_relative_pid_file_is_the_callers(ward, bundle, tmp_path):
    bundle.set_args("true").write()
    cid = ward.new_id()
    p = ward("create", "--bundle", bundle.path, "--pid-file", "rel.pid", cid,
             cwd=str(tmp_path))
    assert p.returncode == 0, p.stderr
    assert (tmp_path / "rel.pid").exists()
    assert not os.path.exists(os.path.join(bundle.path, "rel.pid"))
