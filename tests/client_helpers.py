# SPDX-License-Identifier: GPL-2.0-or-later
"""The real clients with private storage, shared by test_clients.py and
test_idmap_clients.py: a podman with its own storage and runroot, and a
containerd daemon of its own, each optionally run inside a private mount
namespace (PREFIX, an nsenter command line)."""
import contextlib
import hashlib
import io
import json
import os
import shutil
import subprocess
import tarfile
import tempfile
import time
import uuid

import pytest

from conftest import WARD, requires
from leak_guard import cgroup_mounts, own, own_path


def sh(cmd, **kw):
    kw.setdefault("timeout", 120)
    return subprocess.run(cmd, capture_output=True, text=True, **kw)


@contextlib.contextmanager
def podman_client(tmp_path, rootfs, driver="vfs", prefix=()):
    """Yields run(*args) for `podman ARGS` with ward as the runtime and the
    image localhost/ward-test made from ROOTFS."""
    requires("podman")
    conf = tmp_path / "containers.conf"
    runroot = tempfile.mkdtemp(prefix="wpm-", dir="/run")  # podman: < 50 chars
    # tmp_dir: podman's default /run/libpod is shared by every podman on
    # the host, and `system reset` below would remove it under the others.
    # runtime_supports_json: podman passes --log-format=json only to
    # runtimes it knows; the ulimits fit this host's hard limits.
    conf.write_text(
        '[engine]\nruntime = "ward"\nruntime_supports_json = ["ward"]\n'
        'tmp_dir = "%s/tmp"\n'
        '[engine.runtimes]\nward = ["%s"]\n'
        '[containers]\ndefault_ulimits = ["nofile=20000:20000", '
        '"nproc=32768:32768"]\n'
        # never touch the host's network: no bridge, no firewall rules
        'netns = "none"\n' % (runroot, WARD))
    env = dict(os.environ, CONTAINERS_CONF=str(conf))
    base = list(prefix) + [
        "podman", "--root", str(tmp_path / "storage"), "--runroot", runroot,
        "--storage-driver", driver]
    own_path(runroot)

    def run(*args, **kw):
        return sh(base + list(args), env=env, stdin=subprocess.DEVNULL, **kw)
    run.storage = str(tmp_path / "storage")
    run.runroot = runroot
    try:
        tar = tmp_path / "rootfs.tar"
        with tarfile.open(str(tar), "w") as t:
            t.add(rootfs, arcname=".")
        p = sh(base + ["import", "-q", str(tar),
                       "localhost/ward-test:latest"], env=env)
        if p.returncode != 0:
            pytest.skip("podman import failed here: " + p.stderr.strip()[-200:])
        yield run
    finally:
        podman_forget(run)


def podman_own(run):
    """Name RUN's containers and their network namespaces as this
    session's (tests/leak_guard.py): podman makes both."""
    p = run("ps", "-a", "-q", "--no-trunc")
    for cid in p.stdout.split():
        own(cid)
        i = run("inspect", "--format", "{{.NetworkSettings.SandboxKey}}", cid)
        if i.returncode == 0 and i.stdout.strip():
            own(os.path.basename(i.stdout.strip()))


def podman_forget(run):
    """Remove RUN's containers, images and storage; its runroot."""
    podman_own(run)
    run("rm", "-a", "-f", "-t", "0")
    run("system", "reset", "-f")
    shutil.rmtree(run.runroot, ignore_errors=True)


def oci_archive(rootfs, path, name):
    """An OCI image archive (what `ctr image import` reads) of ROOTFS."""
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


@contextlib.contextmanager
def containerd_client(tmp_path, rootfs, namespace="wardtest", prefix=()):
    """Yields run(*args) for `ctr ARGS` against a containerd daemon of its
    own (state under /run/wct-*), with the image run.image made from
    ROOTFS.  The containerd namespace is NAMESPACE-<random>: the shim keeps
    its state in /run/containerd/runc/NAMESPACE and the containers' cgroups
    are /NAMESPACE/ID, which teardown removes; a name shared with other
    runs on the host would have one run's teardown remove the others'."""
    requires("containerd")
    prefix = list(prefix)
    namespace = own("%s-%s" % (namespace, uuid.uuid4().hex[:8]))
    had_run_containerd = os.path.exists("/run/containerd")
    base = own_path(tempfile.mkdtemp(prefix="wct-", dir="/run"))
    sock = os.path.join(base, "c.sock")
    conf = os.path.join(base, "config.toml")
    with open(conf, "w") as f:
        f.write('version = 2\nroot = "%s/root"\nstate = "%s/state"\n'
                '[grpc]\n  address = "%s"\n'
                '[plugins."io.containerd.grpc.v1.cri"]\n  disable_cgroup = true\n'
                'disabled_plugins = ["io.containerd.grpc.v1.cri"]\n'
                % (base, base, sock))
    c = prefix + ["ctr", "--address", sock, "--namespace", namespace]

    def run(*args, **kw):
        kw.setdefault("stdin", subprocess.DEVNULL)
        return sh(c + list(args), **kw)
    name = "docker.io/library/ward-test:latest"
    run.image = name
    run.base = base
    run.namespace = namespace
    run.args = ["--address", sock, "--namespace", namespace]
    run.state_root = own_path("/run/containerd/runc/" + namespace)
    log = open(os.path.join(base, "containerd.log"), "w")
    daemon = subprocess.Popen(prefix + ["containerd", "--config", conf],
                              stdout=log, stderr=log)
    try:
        for _ in range(100):
            if os.path.exists(sock):
                break
            time.sleep(0.1)
        archive = str(tmp_path / "image.tar")
        oci_archive(rootfs, archive, name)
        p = run("image", "import", archive)
        if p.returncode != 0:
            pytest.skip("ctr image import failed here: " + p.stderr.strip()[-200:])
        yield run
    finally:
        for cid in run("containers", "ls", "-q").stdout.split():
            run("task", "kill", "-s", "KILL", cid)
            time.sleep(0.2)
            run("task", "rm", "-f", cid)
            run("containers", "rm", cid)
        run("image", "rm", name)
        daemon.terminate()
        try:
            daemon.wait(timeout=30)
        except subprocess.TimeoutExpired:
            daemon.kill()
            daemon.wait()
        log.close()
        subprocess.run(prefix + ["umount", "-R", base], capture_output=True)
        shutil.rmtree(base, ignore_errors=True)
        # the shim keeps its own dirs under /run/containerd whatever the config
        shutil.rmtree(run.state_root, ignore_errors=True)
        if not had_run_containerd:
            # only when empty: another run's containerd may use it now
            for d in ("runc", "fifo", "s", ""):
                try:
                    os.rmdir(os.path.join("/run/containerd", d))
                except OSError:
                    pass
        remove_cgroup_parent("/" + namespace)


def remove_cgroup_parent(rel):
    """rmdir REL in every cgroup hierarchy: the parent of the containers'
    cgroups, which ward (as runc) leaves; rmdir refuses one still in use."""
    for mnt in cgroup_mounts():
        try:
            os.rmdir(mnt + rel)
        except OSError:
            pass
