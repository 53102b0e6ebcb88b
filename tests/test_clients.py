# SPDX-License-Identifier: GPL-2.0-or-later
"""Real clients driving ward: podman (through conmon) and containerd
(through its runc v2 shim), each with private storage so nothing of theirs
is left on the host."""
import json
import os
import shutil
import subprocess
import tarfile
import tempfile
import time

import pytest

from conftest import WARD, requires


def sh(cmd, **kw):
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120, **kw)


@pytest.fixture
def podman(tmp_path, rootfs_template):
    requires("podman")
    conf = tmp_path / "containers.conf"
    # runtime_supports_json: podman passes --log-format=json only to
    # runtimes it knows; the ulimits fit this host's hard limits.
    conf.write_text(
        '[engine]\nruntime = "ward"\nruntime_supports_json = ["ward"]\n'
        '[engine.runtimes]\nward = ["%s"]\n'
        '[containers]\ndefault_ulimits = ["nofile=20000:20000", '
        '"nproc=32768:32768"]\n'
        # never touch the host's network: no bridge, no firewall rules
        'netns = "none"\n' % WARD)
    env = dict(os.environ, CONTAINERS_CONF=str(conf))
    runroot = tempfile.mkdtemp(prefix="wpm-", dir="/run")  # podman: < 50 chars
    base = ["podman", "--root", str(tmp_path / "storage"), "--runroot",
            runroot, "--storage-driver", "vfs"]
    tar = tmp_path / "rootfs.tar"
    with tarfile.open(str(tar), "w") as t:
        t.add(rootfs_template, arcname=".")
    p = sh(base + ["import", "-q", str(tar), "localhost/ward-test:latest"], env=env)
    if p.returncode != 0:
        pytest.skip("podman import failed here: " + p.stderr.strip()[-200:])

    def run(*args):
        return sh(base + list(args), env=env, stdin=subprocess.DEVNULL)
    yield run
    run("rm", "-a", "-f", "-t", "0")
    run("system", "reset", "-f")
    shutil.rmtree(runroot, ignore_errors=True)


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


def oci_archive(rootfs, path, name):
    """An OCI image archive (what `ctr image import` reads) of ROOTFS."""
    import hashlib
    import io
    blobs = {}

    def blob(data, media):
        d = hashlib.sha256(data).hexdigest()
        blobs[d] = data
        return {"mediaType": media, "digest": "sha256:" + d, "size": len(data)}
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as t:
        t.add(rootfs, arcname=".")
    layer = buf.getvalue()
    diff_id = "sha256:" + hashlib.sha256(layer).hexdigest()
    layer_d = blob(layer, "application/vnd.oci.image.layer.v1.tar")
    config = json.dumps({"architecture": "amd64", "os": "linux",
                         "config": {"Cmd": ["sh"], "Env": ["PATH=/bin"]},
                         "rootfs": {"type": "layers", "diff_ids": [diff_id]}}).encode()
    config_d = blob(config, "application/vnd.oci.image.config.v1+json")
    manifest = json.dumps({"schemaVersion": 2,
                           "mediaType": "application/vnd.oci.image.manifest.v1+json",
                           "config": config_d, "layers": [layer_d]}).encode()
    man_d = blob(manifest, "application/vnd.oci.image.manifest.v1+json")
    man_d["annotations"] = {"io.containerd.image.name": name,
                            "org.opencontainers.image.ref.name": "latest"}
    index = json.dumps({"schemaVersion": 2, "manifests": [man_d]}).encode()
    with tarfile.open(path, "w") as t:
        def add(n, data):
            ti = tarfile.TarInfo(n)
            ti.size = len(data)
            t.addfile(ti, io.BytesIO(data))
        add("oci-layout", b'{"imageLayoutVersion": "1.0.0"}')
        add("index.json", index)
        for d, data in blobs.items():
            add("blobs/sha256/" + d, data)


@pytest.fixture
def ctr(tmp_path, rootfs_template):
    requires("containerd")
    had_run_containerd = os.path.exists("/run/containerd")
    base = tempfile.mkdtemp(prefix="wct-", dir="/run")
    sock = os.path.join(base, "c.sock")
    conf = os.path.join(base, "config.toml")
    with open(conf, "w") as f:
        f.write('version = 2\nroot = "%s/root"\nstate = "%s/state"\n'
                '[grpc]\n  address = "%s"\n'
                '[plugins."io.containerd.grpc.v1.cri"]\n  disable_cgroup = true\n'
                'disabled_plugins = ["io.containerd.grpc.v1.cri"]\n'
                % (base, base, sock))
    log = open(os.path.join(base, "containerd.log"), "w")
    daemon = subprocess.Popen(["containerd", "--config", conf], stdout=log,
                              stderr=log)
    for _ in range(100):
        if os.path.exists(sock):
            break
        time.sleep(0.1)
    name = "docker.io/library/ward-test:latest"
    archive = str(tmp_path / "image.tar")
    oci_archive(rootfs_template, archive, name)
    c = ["ctr", "--address", sock, "--namespace", "wardtest"]
    p = sh(c + ["image", "import", archive])
    if p.returncode != 0:
        daemon.kill()
        pytest.skip("ctr image import failed here: " + p.stderr.strip()[-200:])

    def run(*args, **kw):
        return sh(c + list(args), stdin=subprocess.DEVNULL, **kw)
    run.image = name
    yield run
    for cid in run("containers", "ls", "-q").stdout.split():
        run("task", "kill", "-s", "KILL", cid)
        time.sleep(0.2)
        run("task", "rm", "-f", cid)
        run("containers", "rm", cid)
    run("image", "rm", name)
    daemon.terminate()
    daemon.wait(timeout=30)
    subprocess.run(["umount", "-R", base], capture_output=True)
    shutil.rmtree(base, ignore_errors=True)
    # the shim keeps its own dirs under /run/containerd whatever the config
    shutil.rmtree("/run/containerd/runc/wardtest", ignore_errors=True)
    if not had_run_containerd:
        shutil.rmtree("/run/containerd", ignore_errors=True)


def test_containerd_shim_runs_ward(ctr):
    p = ctr("run", "--rm", "--runc-binary", WARD, ctr.image, "c1", "sh", "-c",
            "echo hello-ctr; exit 4")
    assert p.stdout.strip() == "hello-ctr", p.stderr
    assert p.returncode == 4
    p = ctr("run", "-d", "--runc-binary", WARD, ctr.image, "c2", "sleep", "1000")
    assert p.returncode == 0, p.stderr
    # the shim ran ward: its state file (with ward's own keys) is there
    with open("/run/containerd/runc/wardtest/c2/state.json") as f:
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
