# SPDX-License-Identifier: GPL-2.0-or-later
"""Terminals (console socket, relay), exec, and OCI hooks."""
import json
import os
import socket
import stat
import subprocess
import threading
import time

from conftest import (WARD, assert_nothing_left, processes_with, status_of,
                      wait_for)


def recv_console(server, result):
    conn, _ = server.accept()
    msg, fds, _, _ = socket.recv_fds(conn, 1024, 1)
    result["name"] = msg
    result["fd"] = fds[0]
    conn.close()


def read_all(fd, timeout=10):
    out = b""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        try:
            chunk = os.read(fd, 4096)
        except OSError:  # EIO once the slave side is gone
            break
        if not chunk:
            break
        out += chunk
    return out.decode(errors="replace")


def test_console_socket(ward, bundle, tmp_path):
    sock_path = str(tmp_path / "console.sock")
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(sock_path)
    server.listen(1)
    result = {}
    t = threading.Thread(target=recv_console, args=(server, result))
    t.start()
    bundle.config["process"]["terminal"] = True
    bundle.config["process"]["consoleSize"] = {"height": 40, "width": 100}
    bundle.set_args("sh", "-c", "tty; stty size; echo done").write()
    cid = ward.new_id()
    p = ward("create", "--bundle", bundle.path, "--console-socket", sock_path, cid)
    assert p.returncode == 0, p.stderr
    t.join(10)
    assert "fd" in result
    ward("start", cid, check=True)
    out = read_all(result["fd"])
    os.close(result["fd"])
    assert "/dev/console" in out or "/dev/pts/0" in out
    assert "40 100" in out and "done" in out


def test_run_relays_terminal(ward, bundle):
    bundle.config["process"]["terminal"] = True
    bundle.set_args("sh", "-c", "tty; echo relayed").write()
    cid = ward.new_id()
    p = ward("run", "--bundle", bundle.path, cid, stdin=subprocess.DEVNULL)
    assert p.returncode == 0, p.stderr
    assert "relayed" in p.stdout
    assert "/dev/pts/0" in p.stdout or "/dev/console" in p.stdout


def start_sleeper(ward, bundle):
    bundle.set_args("sleep", "300").write()
    cid = ward.new_id()
    ward("run", "-d", "--bundle", bundle.path, cid, check=True)
    return cid


def test_exec_output_exit_env_cwd_user(ward, bundle):
    cid = start_sleeper(ward, bundle)
    p = ward("exec", "--env", "FOO=bar", "--cwd", "/tmp", "--user", "1000:1000",
             cid, "sh", "-c", "echo $FOO; pwd; id -u; id -g; exit 4")
    assert p.returncode == 4
    assert p.stdout.split() == ["bar", "/tmp", "1000", "1000"]
    # same pid namespace as the init
    p = ward("exec", cid, "cat", "/proc/1/cmdline")
    assert p.stdout.startswith("sleep")


def test_exec_process_file_detach_pidfile(ward, bundle, tmp_path):
    cid = start_sleeper(ward, bundle)
    proc = {"args": ["sleep", "77"], "cwd": "/", "env": ["PATH=/bin"],
            "user": {"uid": 0, "gid": 0}}
    pf = tmp_path / "process.json"
    pf.write_text(json.dumps(proc))
    pidfile = tmp_path / "exec.pid"
    p = ward("exec", "--process", str(pf), "--detach", "--pid-file",
             str(pidfile), cid)
    assert p.returncode == 0, p.stderr
    pid = int(pidfile.read_text())
    with open("/proc/%d/cmdline" % pid, "rb") as f:
        assert f.read().split(b"\0")[:2] == [b"sleep", b"77"]
    # in the container's cgroup and namespaces
    init = json.loads(ward("state", cid).stdout)["pid"]
    assert os.readlink("/proc/%d/ns/pid" % pid) == os.readlink("/proc/%d/ns/pid" % init)
    assert os.readlink("/proc/%d/ns/mnt" % pid) == os.readlink("/proc/%d/ns/mnt" % init)
    ward("delete", "--force", cid, check=True)
    time.sleep(0.2)
    assert processes_with("sleep 77") == []


def test_exec_errors(ward, bundle):
    p = ward("exec", "nosuch", "true")
    assert p.returncode == 1 and 'container "nosuch" does not exist' in p.stderr
    bundle.set_args("true").write()
    cid = ward.new_id()
    ward("run", "-d", "--bundle", bundle.path, cid, check=True)
    assert wait_for(lambda: status_of(ward, cid) == "stopped")
    p = ward("exec", cid, "true")
    assert p.returncode == 1
    assert p.stderr.strip() == 'ward: cannot exec in a stopped container "%s"' % cid
    cid2 = start_sleeper(ward, bundle)
    p = ward("exec", cid2, "nosuchbinary")
    assert p.returncode == 1
    assert 'executable file not found' in p.stderr


HOOK = """#!/bin/sh
cat > "%s/$1.json"
"""


def test_hooks_order_and_state(ward, bundle, tmp_path):
    out = tmp_path / "hooks"
    out.mkdir()
    hook = tmp_path / "hook.sh"
    hook.write_text(HOOK % out)
    hook.chmod(0o755)
    # startContainer runs inside the container: its path is in the rootfs
    inner = os.path.join(bundle.rootfs, "hook.sh")
    with open(inner, "w") as f:
        f.write("#!/bin/sh\necho started > /tmp/startContainer\n")
    os.chmod(inner, 0o755)
    bundle.config["root"]["readonly"] = False
    h = lambda name: [{"path": str(hook), "args": ["hook.sh", name]}]
    bundle.config["hooks"] = {
        "prestart": h("prestart"), "createRuntime": h("createRuntime"),
        "createContainer": h("createContainer"),
        "startContainer": [{"path": "/hook.sh"}],
        "poststart": h("poststart"), "poststop": h("poststop")}
    bundle.config["annotations"] = {"org.example.k": "v"}
    bundle.set_args("sleep", "30").write()
    cid = ward.new_id()
    ward("create", "--bundle", bundle.path, cid, check=True)
    for name in ("prestart", "createRuntime", "createContainer"):
        st = json.loads((out / (name + ".json")).read_text())
        assert st["id"] == cid and st["pid"] > 0
        assert st["annotations"] == {"org.example.k": "v"}
    assert json.loads((out / "createRuntime.json").read_text())["status"] == "creating"
    assert not (out / "poststart.json").exists()
    ward("start", cid, check=True)
    assert json.loads((out / "poststart.json").read_text())["status"] == "running"
    marker = os.path.join(bundle.rootfs, "tmp", "startContainer")
    assert wait_for(lambda: os.path.exists(marker))
    assert open(marker).read() == "started\n"
    ward("delete", "--force", cid, check=True)
    assert json.loads((out / "poststop.json").read_text())["status"] == "stopped"


def test_failing_hook_fails_create_and_leaves_nothing(ward, bundle, tmp_path):
    bundle.config["hooks"] = {"createRuntime": [{"path": "/bin/false"}]}
    bundle.set_args("sleep", "4343").write()
    cid = ward.new_id()
    p = ward("create", "--bundle", bundle.path, cid)
    assert p.returncode == 1
    assert p.stderr.strip() == "ward: hooks.createRuntime[0] /bin/false: exit status 1"
    assert_nothing_left(ward, cid, bundle)
    assert processes_with("sleep 4343") == []


def test_hook_timeout(ward, bundle):
    bundle.config["hooks"] = {"prestart": [
        {"path": "/bin/sleep", "args": ["sleep", "30"], "timeout": 1}]}
    bundle.set_args("true").write()
    cid = ward.new_id()
    t0 = time.monotonic()
    p = ward("create", "--bundle", bundle.path, cid)
    assert time.monotonic() - t0 < 10
    assert p.stderr.strip() == "ward: hooks.prestart[0] /bin/sleep: timed out after 1s"
    assert_nothing_left(ward, cid, bundle)
