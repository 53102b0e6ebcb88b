# SPDX-License-Identifier: GPL-2.0-or-later
"""Real clients driving ward: podman (through conmon) and containerd
(through its runc v2 shim), each with private storage so nothing of theirs
is left on the host."""
import json
import os
import time

import pytest

from client_helpers import containerd_client, podman_client
from conftest import WARD


@pytest.fixture
def podman(tmp_path, rootfs_template):
    with podman_client(tmp_path, rootfs_template) as run:
        yield run


def test_podman_run_exec_pause_stop(podman):
    p = podman("run", "--rm", "localhost/ward-test", "sh", "-c",
               "echo hello; exit 3")
    assert p.returncode == 3 and p.stdout == "hello\n", p.stderr
    p = podman("run", "-d", "--name", "w1", "localhost/ward-test", "sleep", "1000")
    assert p.returncode == 0, p.stderr
    assert podman("exec", "w1", "echo", "exec-ok").stdout == "exec-ok\n"
    assert podman("pause", "w1").returncode == 0
    st = json.loads(podman("inspect", "w1").stdout)[0]["State"]["Status"]
    assert st == "paused"
    assert podman("unpause", "w1").returncode == 0
    assert podman("stop", "-t", "1", "w1").returncode == 0
    assert podman("rm", "w1").returncode == 0


def test_podman_uidmap_and_tty(podman):
    p = podman("run", "--rm", "--uidmap", "0:300000:65536", "--gidmap",
               "0:300000:65536", "localhost/ward-test", "cat", "/proc/self/uid_map")
    assert p.returncode == 0, p.stderr
    assert p.stdout.split() == ["0", "300000", "65536"]
    p = podman("run", "--rm", "-t", "localhost/ward-test", "tty")
    assert p.returncode == 0, p.stderr
    assert p.stdout.strip() == "/dev/pts/0"


def test_podman_shows_ward_errors(podman):
    p = podman("run", "--rm", "localhost/ward-test", "no-such-binary")
    assert p.returncode != 0
    assert 'exec: "no-such-binary": executable file not found in $PATH' in p.stderr


@pytest.fixture
def ctr(tmp_path, rootfs_template):
    with containerd_client(tmp_path, rootfs_template) as run:
        yield run


def test_containerd_shim_runs_ward(ctr):
    p = ctr("run", "--rm", "--runc-binary", WARD, ctr.image, "c1", "sh", "-c",
            "echo hello-ctr; exit 4")
    assert p.stdout.strip() == "hello-ctr", p.stderr
    assert p.returncode == 4
    p = ctr("run", "-d", "--runc-binary", WARD, ctr.image, "c2", "sleep", "1000")
    assert p.returncode == 0, p.stderr
    # the shim ran ward: its state file (with ward's own keys) is there
    with open(os.path.join(ctr.state_root, "c2", "state.json")) as f:
        assert "pidStart" in json.load(f)
    p = ctr("task", "exec", "--exec-id", "e1", "c2", "echo", "exec-ok")
    assert p.stdout.strip() == "exec-ok", p.stderr
    assert ctr("task", "pause", "c2").returncode == 0
    assert "PAUSED" in ctr("task", "ls").stdout
    assert ctr("task", "resume", "c2").returncode == 0
    assert ctr("task", "kill", "-s", "KILL", "c2").returncode == 0
    for _ in range(50):
        if "STOPPED" in ctr("task", "ls").stdout:
            break
        time.sleep(0.1)
    assert ctr("task", "rm", "c2").returncode == 0
    assert ctr("containers", "rm", "c2").returncode == 0


def test_containerd_shows_ward_errors(ctr):
    p = ctr("run", "--rm", "--runc-binary", WARD, ctr.image, "c3", "no-such-binary")
    assert p.returncode != 0
    assert 'executable file not found in $PATH' in p.stderr
