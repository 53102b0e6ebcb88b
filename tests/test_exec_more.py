# SPDX-License-Identifier: GPL-2.0-or-later
"""`ward exec` under stress and signals, seccomp notify for exec'd
processes, and `ward run` that cleans up after a failed start."""
import json
import os
import signal
import socket
import subprocess
import sys
import time

import pytest

from conftest import (WARD, assert_nothing_left, processes_with, status_of,
                      wait_for)

LISTENER = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                        "seccomp_listener.py")


def start_sleeper(ward, bundle):
    bundle.set_args("sleep", "300").write()
    cid = ward.new_id()
    ward("run", "-d", "--bundle", bundle.path, cid, check=True)
    return cid


def test_exec_many_short_calls(ward, bundle, tmp_path):
    """Every short exec reports its process' pid and exit code: the helper's
    pid message must never lose a race with the process' execve."""
    cid = start_sleeper(ward, bundle)
    for i in range(40):
        code = i % 5
        p = ward("exec", cid, "sh", "-c", "exit %d" % code)
        assert p.returncode == code, (i, p.stderr)
        assert p.stderr == "", (i, p.stderr)
        p = ward("exec", cid, "true")
        assert p.returncode == 0, (i, p.stderr)
        pidfile = tmp_path / ("exec%d.pid" % i)
        p = ward("exec", "-d", "--pid-file", str(pidfile), cid, "true")
        assert p.returncode == 0, (i, p.stderr)
        assert int(pidfile.read_text()) > 0


# ---- signals held before the wait --------------------------------------------

def comm_of(pid):
    try:
        with open("/proc/%d/comm" % pid) as f:
            return f.read().strip()
    except OSError:
        return ""


def sleepers(arg):
    return [pid for pid in processes_with("sleep " + arg)
            if comm_of(pid) == "sleep"]


def test_exec_sigterm_before_wait_reaches_process(ward, bundle, tmp_path):
    """SIGTERM to a foreground `ward exec` while it still sets up (here held
    in its connect to the console socket, the process already running) is
    forwarded to the process, not fatal to ward."""
    cid = start_sleeper(ward, bundle)
    sock_path = str(tmp_path / "console.sock")
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(sock_path)
    srv.listen(0)
    # A connection left in the backlog: ward's connect then waits for our
    # accept, after the process was exec'd and before ward's wait.
    filler = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    filler.connect(sock_path)
    arg = str(1000000 + os.getpid())
    p = subprocess.Popen([WARD, "--root", ward.root, "exec", "--tty",
                          "--console-socket", sock_path, cid, "sleep", arg],
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                         text=True)
    try:
        assert wait_for(lambda: sleepers(arg) != []), "the process never ran"
        os.kill(p.pid, signal.SIGTERM)
        time.sleep(0.2)
        srv.settimeout(5)
        conns = []
        try:
            for _ in range(2):
                conns.append(srv.accept()[0])
        except socket.timeout:
            pass  # ward died in its connect
        rc = p.wait(timeout=30)
        assert rc == 128 + signal.SIGTERM, p.stderr.read()
        assert wait_for(lambda: sleepers(arg) == [])
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
        for pid in sleepers(arg):
            os.kill(pid, signal.SIGKILL)
        filler.close()
        srv.close()


# ---- run cleans up after a failed start --------------------------------------

@pytest.mark.parametrize("detach", [True, False])
def test_run_failed_exec_leaves_nothing(ward, bundle, detach):
    bundle.set_args("/nosuchbinary").write()
    cid = ward.new_id()
    p = ward("run", *(["-d"] if detach else []), "--bundle", bundle.path, cid)
    assert p.returncode != 0
    assert "nosuchbinary" in p.stderr
    assert_nothing_left(ward, cid, bundle)


def failing_start_hook(bundle):
    with open(os.path.join(bundle.rootfs, "hook.sh"), "w") as f:
        f.write("#!/bin/sh\nexit 3\n")
    os.chmod(os.path.join(bundle.rootfs, "hook.sh"), 0o755)
    bundle.config["hooks"] = {"startContainer": [{"path": "/hook.sh"}]}
    bundle.set_args("true").write()


@pytest.mark.parametrize("detach", [True, False])
def test_run_failed_start_hook_leaves_nothing(ward, bundle, detach):
    failing_start_hook(bundle)
    cid = ward.new_id()
    p = ward("run", *(["-d"] if detach else []), "--bundle", bundle.path, cid)
    assert p.returncode != 0
    assert "startContainer" in p.stderr
    assert_nothing_left(ward, cid, bundle)


def test_run_keep_keeps_a_failed_start(ward, bundle):
    failing_start_hook(bundle)
    cid = ward.new_id()
    p = ward("run", "--keep", "--bundle", bundle.path, cid)
    assert p.returncode != 0
    assert status_of(ward, cid) == "stopped"
    ward("delete", cid, check=True)
    assert_nothing_left(ward, cid, bundle)


# ---- SCMP_ACT_NOTIFY for exec'd processes ------------------------------------

def start_agent(sock, out):
    proc = subprocess.Popen([sys.executable, LISTENER, sock, out],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    assert wait_for(lambda: os.path.exists(sock), timeout=5)
    return proc


def test_exec_notify_answered_by_agent(ward, bundle, tmp_path):
    sock = str(tmp_path / "agent.sock")
    init_out = str(tmp_path / "init-state.json")
    exec_out = str(tmp_path / "exec-state.json")
    bundle.config["linux"]["seccomp"] = {
        "defaultAction": "SCMP_ACT_ALLOW", "listenerPath": sock,
        "listenerMetadata": "bar",
        "syscalls": [{"names": ["mkdir", "mkdirat"],
                      "action": "SCMP_ACT_NOTIFY"}]}
    bundle.config["mounts"].append(
        {"destination": "/tmp", "type": "tmpfs", "source": "tmpfs",
         "options": ["nosuid", "nodev", "mode=1777"]})
    agents = [start_agent(sock, init_out)]
    try:
        cid = start_sleeper(ward, bundle)
        assert wait_for(lambda: os.path.exists(init_out), timeout=10)
        # The first agent took the init's listener; the next one, at the
        # same path, is for the exec'd process.
        os.unlink(sock)
        agents.append(start_agent(sock, exec_out))
        p = ward("exec", cid, "sh", "-c", "mkdir /tmp/foo; echo rc=$?; ls /tmp")
        assert p.returncode == 0, p.stderr
        assert p.stdout.split() == ["rc=0", "foo-bar"]
        assert agents[1].wait(timeout=30) == 0, agents[1].stderr.read()
        with open(exec_out) as f:
            state = json.load(f)
        assert state["fds"] == ["seccompFd"] and state["_received_fds"] == 1
        assert state["metadata"] == "bar"
        assert state["state"]["id"] == cid
        assert state["state"]["status"] == "running"
    finally:
        for a in agents:
            if a.poll() is None:
                a.kill()
            a.wait()
