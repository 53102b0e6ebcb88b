# SPDX-License-Identifier: GPL-2.0-or-later
"""Checkpoint and restore with a real CRIU: Debian 13's 4.1.1, unpacked
privately by tests/criu/fetch.sh (Debian 12's 3.17.1 cannot dump on this
kernel; its error line is tested too)."""
import json
import os
import socket
import subprocess
import threading
import time

import pytest

from client_helpers import containerd_client, podman_client
from test_idmap import annotate, host, iw, registry  # noqa: F401 (fixtures)
from conftest import (REPO, WARD, assert_nothing_left, init_pid, mounts_with,
                      status_of, wait_for)

# The count lives in the container's /dev/shm (a tmpfs CRIU saves and
# restores): a file on the rootfs that changes after the dump would make
# CRIU refuse the restore (its size no longer matches).
COUNTER = ("i=0; while true; do i=$((i+1)); echo $i > /dev/shm/count; "
           "sleep 0.1; done")
CRIU_DIR = os.path.join(REPO, "build", "criu")


@pytest.fixture(scope="session")
def criu():
    """The private CRIU wrapper (fetched once, kept under build/criu)."""
    p = subprocess.run(["sh", os.path.join(REPO, "tests", "criu", "fetch.sh"),
                        CRIU_DIR], capture_output=True, text=True, timeout=600)
    if p.returncode != 0:
        pytest.skip("private CRIU 4.1 could not be fetched: " +
                    p.stderr.strip()[-300:])
    return p.stdout.strip()


def criu_mem_track(criu):
    p = subprocess.run([criu, "check", "--feature", "mem_dirty_track"],
                       capture_output=True, text=True)
    return p.returncode == 0


def counter_bundle(bundle, *extra_mounts):
    bundle.set_args("sh", "-c", COUNTER)
    bundle.config["mounts"] += list(extra_mounts)
    return bundle.write()


def number(text):
    """The counter as read: the shell truncates the file before it writes,
    so a read in between sees nothing (-1)."""
    try:
        return int(text.strip())
    except ValueError:
        return -1


def count(ward, cid):
    try:
        with open("/proc/%d/root/dev/shm/count" % init_pid(ward, cid)) as f:
            return int(f.read().strip() or 0)
    except (OSError, ValueError):
        return 0


def detached(ward, *args, stdout=None):
    """ward ARGS with the container's stdio on plain files, as a shell
    redirection gives them.  (Python's temporary files are opened
    O_NOFOLLOW, which CRIU keeps and then cannot reopen through
    /proc/self/fd.)  Returns (returncode, stderr)."""
    err_path = ward.root + ".err"
    with open(ward.root + ".out", "a") as out, open(err_path, "w") as err:
        # CRIU reopens them for the restored tree, which may run as an
        # unprivileged host id (isolated idmap).
        os.chmod(out.name, 0o666)
        os.chmod(err_path, 0o666)
        p = subprocess.run(ward.prefix() + [WARD, "--root", ward.root] +
                           list(args), env=ward.env(),
                           stdin=subprocess.DEVNULL,
                           stdout=stdout if stdout is not None else out,
                           stderr=err, timeout=120)
    with open(err_path) as f:
        return p.returncode, f.read()


def start_counter(ward, bundle, cid, stdout=None):
    rc, err = detached(ward, "run", "-d", "--bundle", bundle.path, cid,
                       stdout=stdout)
    assert rc == 0, err
    assert wait_for(lambda: count(ward, cid) >= 3)


def restore(ward, criu, *args):
    return detached(ward, "--criu", criu, "restore", *args)


def in_cgroup_of(pid, cid):
    with open("/proc/%d/cgroup" % pid) as f:
        return all(cid in l.split(":", 2)[2] for l in f if l.strip())


def test_checkpoint_and_restore_continue_counting(ward, bundle, criu, tmp_path):
    counter_bundle(bundle)
    cid = ward.new_id("ck")
    start_counter(ward, bundle, cid)
    assert wait_for(lambda: count(ward, cid) >= 20)
    old_pid = init_pid(ward, cid)
    before = count(ward, cid)
    images = str(tmp_path / "images")
    p = ward("--criu", criu, "checkpoint", "--image-path", images, cid)
    assert p.returncode == 0, p.stderr
    # As with runc, a checkpoint without --leave-running ends the container.
    assert ward("state", cid).returncode != 0
    assert wait_for(lambda: not os.path.exists("/proc/%d" % old_pid))

    rc, err = restore(ward, criu, "-d", "--bundle", bundle.path,
                      "--image-path", images, cid)
    assert rc == 0, err
    assert status_of(ward, cid) == "running"
    pid = init_pid(ward, cid)
    assert pid > 0 and in_cgroup_of(pid, cid)
    # It goes on from where it was: a restart would count 1, 2, 3 ...
    assert wait_for(lambda: count(ward, cid) > before + 5)
    assert count(ward, cid) < before + 200

    # A restored container behaves like a started one.
    ps = ward("ps", cid)
    assert ps.returncode == 0 and "sh -c" in ps.stdout, ps.stderr
    assert wait_for(lambda: number(ward("exec", cid, "cat",
                                        "/dev/shm/count").stdout) > before)
    assert ward("pause", cid).returncode == 0
    assert status_of(ward, cid) == "paused"
    assert ward("resume", cid).returncode == 0
    assert ward("kill", cid, "KILL").returncode == 0
    assert wait_for(lambda: status_of(ward, cid) == "stopped")
    assert ward("delete", cid).returncode == 0
    assert_nothing_left(ward, cid, bundle)


def test_leave_running_and_restore_under_new_id(ward, bundle, criu, tmp_path):
    counter_bundle(bundle)
    cid = ward.new_id("ck")
    start_counter(ward, bundle, cid)
    images = str(tmp_path / "images")
    p = ward("--criu", criu, "checkpoint", "--leave-running",
             "--image-path", images, cid)
    assert p.returncode == 0, p.stderr
    after = count(ward, cid)
    assert status_of(ward, cid) == "running"
    assert wait_for(lambda: count(ward, cid) > after + 20), "stopped counting"
    reached = count(ward, cid)

    # The original still runs: the copy gets its own cgroup, pid and state.
    new = ward.new_id("ck2")
    rc, err = restore(ward, criu, "--detach", "--bundle", bundle.path,
                      "--image-path", images, "--pid-file",
                      str(tmp_path / "pid"), new)
    assert rc == 0, err
    pid = init_pid(ward, new)
    assert open(str(tmp_path / "pid")).read().strip() == str(pid)
    assert pid != init_pid(ward, cid)
    assert in_cgroup_of(pid, new)
    assert status_of(ward, cid) == status_of(ward, new) == "running"
    # The copy counts on from the dump's value, behind the original.
    assert wait_for(lambda: count(ward, new) > after)
    assert count(ward, new) < reached
    for c in (cid, new):
        assert ward("delete", "--force", c).returncode == 0
        assert_nothing_left(ward, c, bundle)


def test_restore_in_foreground_returns_exit_status(ward, bundle, criu, tmp_path):
    bundle.set_args("sh", "-c", "while [ ! -e /tmp/go ]; do sleep 0.1; done; "
                    "exit 7")
    bundle.write()
    cid = ward.new_id("ck")
    rc, err = detached(ward, "run", "-d", "--bundle", bundle.path, cid)
    assert rc == 0, err
    images = str(tmp_path / "images")
    p = ward("--criu", criu, "checkpoint", "--image-path", images, cid)
    assert p.returncode == 0, p.stderr
    open(os.path.join(bundle.rootfs, "tmp", "go"), "w").close()
    rc, err = restore(ward, criu, "--bundle", bundle.path,
                      "--image-path", images, cid)
    assert rc == 7, err
    assert status_of(ward, cid) == "stopped"
    assert ward("delete", cid).returncode == 0
    assert_nothing_left(ward, cid, bundle)


def test_bind_mount_and_masked_paths_survive(ward, bundle, criu, tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    (data / "hello").write_text("from the host\n")
    counter_bundle(bundle, {"destination": "/data", "type": "bind",
                            "source": str(data), "options": ["rbind", "rw"]})
    cid = ward.new_id("ck")
    start_counter(ward, bundle, cid)
    images = str(tmp_path / "images")
    p = ward("--criu", criu, "checkpoint", "--image-path", images, cid)
    assert p.returncode == 0, p.stderr
    rc, err = restore(ward, criu, "-d", "--bundle", bundle.path,
             "--image-path", images, cid)
    assert rc == 0, err
    ex = ward("exec", cid, "sh", "-c",
              "cat /data/hello; echo new > /data/back; "
              "cat /proc/timer_list | wc -c; ls /sys/firmware | wc -l")
    assert ex.returncode == 0, ex.stderr
    assert ex.stdout.split("\n")[:3] == ["from the host", "0", "0"]
    assert (data / "back").read_text() == "new\n"
    assert ward("delete", "--force", cid).returncode == 0
    assert_nothing_left(ward, cid, bundle)


def test_pre_dump_then_dump(ward, bundle, criu, tmp_path):
    counter_bundle(bundle)
    cid = ward.new_id("ck")
    start_counter(ward, bundle, cid)
    pre = str(tmp_path / "pre")
    p = ward("--criu", criu, "checkpoint", "--pre-dump", "--image-path", pre,
             cid)
    if not criu_mem_track(criu):
        # This kernel has no soft-dirty bits: one line, nothing disturbed.
        assert p.returncode == 1
        assert p.stderr.count("\n") == 1 and "--pre-dump" in p.stderr
        assert "soft-dirty" in p.stderr
        assert status_of(ward, cid) == "running"
        pytest.skip("CRIU cannot track memory on this kernel "
                    "(`criu check --feature mem_dirty_track` fails); "
                    "checked that --pre-dump says so in one line")
    assert p.returncode == 0, p.stderr
    assert status_of(ward, cid) == "running"
    final = str(tmp_path / "final")
    p = ward("--criu", criu, "checkpoint", "--parent-path", "../pre",
             "--image-path", final, cid)
    assert p.returncode == 0, p.stderr
    at_dump = count(ward, cid)
    rc, err = restore(ward, criu, "-d", "--bundle", bundle.path,
             "--image-path", final, cid)
    assert rc == 0, err
    assert wait_for(lambda: count(ward, cid) > at_dump)
    assert ward("delete", "--force", cid).returncode == 0


def test_failed_checkpoint_loses_nothing(ward, bundle, criu, tmp_path):
    """A stdout that is one end of a host socketpair: CRIU will not dump
    half of a connection without --ext-unix-sk."""
    counter_bundle(bundle)
    cid = ward.new_id("ck")
    a, b = socket.socketpair()
    try:
        start_counter(ward, bundle, cid, stdout=a)
        images = tmp_path / "images"
        p = ward("--criu", criu, "checkpoint", "--image-path", str(images), cid)
        assert p.returncode == 1
        assert p.stderr.count("\n") == 1, p.stderr
        log = str(images / "dump.log")
        assert log in p.stderr and "Error (" in p.stderr, p.stderr
        # Still running, not frozen, still counting.
        assert status_of(ward, cid) == "running"
        c = count(ward, cid)
        assert wait_for(lambda: count(ward, cid) > c + 2)
        # Nothing there that looks restorable.
        for f in ("inventory.img", "ward-checkpoint.json", "ward-state.json"):
            assert not (images / f).exists(), f
        new = ward.new_id("ck2")
        rc, err = restore(ward, criu, "-d", "--bundle", bundle.path,
                          "--image-path", str(images), new)
        assert rc == 1 and "not a complete ward checkpoint" in err, err
        assert_nothing_left(ward, new)
    finally:
        a.close()
        b.close()


def test_restore_from_missing_image_dir(ward, bundle, criu, tmp_path):
    counter_bundle(bundle)
    cid = ward.new_id("ck")
    rc, err = restore(ward, criu, "-d", "--bundle", bundle.path,
                      "--image-path", str(tmp_path / "nope"), cid)
    assert rc == 1
    assert err.count("\n") == 1 and "nope" in err, err
    assert_nothing_left(ward, cid, bundle)


def test_failed_restore_leaves_nothing(ward, bundle, make_bundle, criu,
                                       tmp_path):
    """CRIU itself fails: the restoring bundle's rootfs lacks the files the
    dumped processes had open (busybox)."""
    counter_bundle(bundle)
    cid = ward.new_id("ck")
    start_counter(ward, bundle, cid)
    images = str(tmp_path / "images")
    assert ward("--criu", criu, "checkpoint", "--image-path", images,
                cid).returncode == 0
    empty = make_bundle()
    for f in os.listdir(os.path.join(empty.rootfs, "bin")):
        os.unlink(os.path.join(empty.rootfs, "bin", f))
    counter_bundle(empty)
    new = ward.new_id("ck2")
    rc, err = restore(ward, criu, "-d", "--bundle", empty.path,
                      "--image-path", images, new)
    assert rc == 1
    assert err.count("\n") == 1, err
    assert os.path.join(images, "restore.log") in err and "Error (" in err
    # No state, cgroup (so no process in it) or mount of the attempt.
    assert_nothing_left(ward, new, empty)
    assert mounts_with(os.path.join(ward.root, new)) == []


def test_debian12_criu_is_one_line(ward, bundle, tmp_path):
    old = "/usr/sbin/criu"
    if not os.path.exists(old):
        pytest.skip("Debian's criu package is not installed (%s)" % old)
    v = subprocess.run([old, "--version"], capture_output=True, text=True)
    if "3.17" not in v.stdout:
        pytest.skip("%s is not 3.17: %s" % (old, v.stdout.strip()))
    if subprocess.run([old, "check"], capture_output=True).returncode == 0:
        pytest.skip("CRIU 3.17 works on this kernel")
    counter_bundle(bundle)
    cid = ward.new_id("ck")
    start_counter(ward, bundle, cid)
    p = ward("--criu", old, "checkpoint", "--image-path",
             str(tmp_path / "images"), cid)
    assert p.returncode == 1
    assert p.stderr == ("ward: CRIU 3.17.1 (%s) cannot work on this host: its "
                        "kernel check fails (run `%s check` to see why)\n"
                        % (old, old)), p.stderr
    assert status_of(ward, cid) == "running"
    # Clients probe `checkpoint --help` and read `features`: both say no.
    h = ward("--criu", old, "checkpoint", "--help", root=False)
    assert h.returncode == 1 and h.stderr.count("\n") == 1
    f = json.loads(ward("--criu", old, "features", root=False).stdout)
    assert f["annotations"]["org.opencontainers.runc.checkpoint.enabled"] == "false"


def test_features_and_help_say_yes_with_a_working_criu(ward, criu):
    h = ward("--criu", criu, "checkpoint", "--help", root=False)
    assert h.returncode == 0 and h.stdout.startswith("usage: ward checkpoint")
    f = json.loads(ward("--criu", criu, "features", root=False).stdout)
    assert f["annotations"]["org.opencontainers.runc.checkpoint.enabled"] == "true"
    p = ward("--criu", criu, "checkpoint", "--lazy-pages", "x")
    assert p.returncode == 1 and p.stderr.count("\n") == 1
    assert "--lazy-pages" in p.stderr
    p = ward("--criu", criu, "checkpoint", "--manage-cgroups-mode", "bogus", "x")
    assert p.returncode == 1 and "--manage-cgroups-mode" in p.stderr
    p = ward("checkpoint", "--no-such-flag", "x")
    assert p.returncode == 1 and p.stderr.count("\n") == 1


def console_server(path):
    """A console socket that keeps every master it is sent."""
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(path)
    server.listen(4)
    masters = []

    def accept():
        while True:
            try:
                conn, _ = server.accept()
            except OSError:
                return
            _, fds, _, _ = socket.recv_fds(conn, 1024, 1)
            masters.extend(fds)
            conn.close()
    threading.Thread(target=accept, daemon=True).start()
    return server, masters


def read_until(fd, text, timeout=10):
    out = b""
    end = time.monotonic() + timeout
    os.set_blocking(fd, False)
    while time.monotonic() < end and text.encode() not in out:
        try:
            out += os.read(fd, 4096)
        except BlockingIOError:
            time.sleep(0.05)
        except OSError:
            break
    return out.decode(errors="replace")


def test_terminal_through_console_socket(ward, bundle, criu, tmp_path):
    server, masters = console_server(str(tmp_path / "console.sock"))
    try:
        bundle.config["process"]["terminal"] = True
        bundle.set_args("sh", "-c", "i=0; while read line; do i=$((i+1)); "
                        "echo \"got $i: $line\"; done")
        bundle.write()
        cid = ward.new_id("ck")
        sock = str(tmp_path / "console.sock")
        rc, err = detached(ward, "run", "-d", "--bundle", bundle.path,
                           "--console-socket", sock, cid)
        assert rc == 0, err
        assert wait_for(lambda: len(masters) == 1)
        os.write(masters[0], b"one\n")
        assert "got 1: one" in read_until(masters[0], "got 1: one")
        images = str(tmp_path / "images")
        p = ward("--criu", criu, "checkpoint", "--image-path", images, cid)
        assert p.returncode == 0, p.stderr
        rc, err = restore(ward, criu, "-d", "--bundle", bundle.path,
                          "--image-path", images, "--console-socket", sock, cid)
        assert rc == 0, err
        assert wait_for(lambda: len(masters) == 2)
        # The shell kept its count across the checkpoint, on a new terminal.
        os.write(masters[1], b"two\n")
        assert "got 2: two" in read_until(masters[1], "got 2: two")
        ex = ward("exec", cid, "sh", "-c", "tty <&0 || readlink /proc/1/fd/0")
        assert "/dev/pts/" in ex.stdout or "/dev/console" in ex.stdout, ex.stderr
        assert ward("delete", "--force", cid).returncode == 0
        assert_nothing_left(ward, cid, bundle)
    finally:
        server.close()
        for m in masters:
            os.close(m)


def test_isolated_idmap_restored_into_its_range(iw, bundle, criu, tmp_path):
    annotate(bundle, isolated="true")
    counter_bundle(bundle)
    cid = iw.new_id("ck")
    start_counter(iw, bundle, cid)
    before = [e for e in registry(iw) if e["container"] == cid]
    assert len(before) == 1
    maps = open("/proc/%d/uid_map" % init_pid(iw, cid)).read().split()
    images = str(tmp_path / "images")
    p = iw("--criu", criu, "checkpoint", "--image-path", images, cid)
    assert p.returncode == 0, p.stderr
    # The container is gone, and so is its allocation (as on delete).
    assert [e for e in registry(iw) if e["container"] == cid] == []
    rc, err = restore(iw, criu, "-d", "--bundle", bundle.path,
                      "--image-path", images, cid)
    assert rc == 0, err
    pid = init_pid(iw, cid)
    assert open("/proc/%d/uid_map" % pid).read().split() == maps
    after = [e for e in registry(iw) if e["container"] == cid]
    assert len(after) == 1 and after[0]["uid"] == before[0]["uid"], after
    c = count(iw, cid)
    assert wait_for(lambda: count(iw, cid) > c + 2)
    ex = iw("exec", cid, "sh", "-c", "id -u; stat -c %u /bin/busybox")
    assert ex.returncode == 0 and ex.stdout.split() == ["0", "0"], ex.stderr
    assert iw("delete", "--force", cid).returncode == 0
    assert [e for e in registry(iw) if e["container"] == cid] == []


# ---- clients -----------------------------------------------------------------

@pytest.fixture
def criu_on_path(criu, monkeypatch):
    """Clients call ward without --criu, and podman asks CRIU itself: the
    private wrapper is `criu` on PATH for them (requested before them)."""
    monkeypatch.setenv("PATH", os.path.dirname(criu) + ":" +
                       os.environ.get("PATH", ""))
    return criu


def podman_count(podman, name):
    """The counter's value, -1 while podman cannot exec there (it may be
    between states on a loaded machine)."""
    p = podman("exec", name, "cat", "/dev/shm/count")
    return number(p.stdout) if p.returncode == 0 else -1


@pytest.fixture
def podman(criu_on_path, tmp_path, rootfs_template):
    with podman_client(tmp_path, rootfs_template) as run:
        yield run


def test_podman_checkpoint_and_restore(podman, tmp_path):
    p = podman("run", "-d", "--name", "ck", "localhost/ward-test", "sh", "-c",
               COUNTER)
    assert p.returncode == 0, p.stderr
    assert wait_for(lambda: podman_count(podman, "ck") >= 10, timeout=60)
    last = podman_count(podman, "ck")
    p = podman("container", "checkpoint", "ck")
    assert p.returncode == 0, p.stderr
    state = json.loads(podman("inspect", "ck").stdout)[0]["State"]
    assert state["Status"] == "exited", state
    p = podman("container", "restore", "ck")
    assert p.returncode == 0, p.stderr
    assert json.loads(podman("inspect", "ck").stdout)[0]["State"]["Status"] \
        == "running"
    # From where it was (a restart would count from 1).
    assert wait_for(lambda: podman_count(podman, "ck") >= last, timeout=60)
    n = podman_count(podman, "ck")
    assert wait_for(lambda: podman_count(podman, "ck") > n, timeout=60)

    # Exported with --leave-running, imported as a second container.
    archive = str(tmp_path / "ck.tar.gz")
    before = podman_count(podman, "ck")
    assert before > 0
    p = podman("container", "checkpoint", "--leave-running", "-e", archive, "ck")
    assert p.returncode == 0, p.stderr
    assert json.loads(podman("inspect", "ck").stdout)[0]["State"]["Status"] \
        == "running"
    p = podman("container", "restore", "-i", archive, "-n", "ck2")
    assert p.returncode == 0, p.stderr
    assert wait_for(lambda: podman_count(podman, "ck2") >= before, timeout=60)
    assert wait_for(lambda: podman_count(podman, "ck2") > before + 2,
                    timeout=60)
    for name in ("ck", "ck2"):
        assert podman("rm", "-f", "-t", "0", name).returncode == 0


@pytest.fixture
def ctrd(criu_on_path, tmp_path, rootfs_template):
    """containerd with the private CRIU on its PATH, in a namespace of its
    own name (test_clients' is removed by its teardown)."""
    with containerd_client(tmp_path, rootfs_template,
                           namespace="wardckpt") as run:
        yield run


def ctr_count(ctrd, cid, n=[0]):
    n[0] += 1
    p = ctrd("task", "exec", "--exec-id", "c%d" % n[0], cid, "cat",
             "/dev/shm/count")
    return number(p.stdout) if p.returncode == 0 else -1


def test_containerd_task_checkpoint_and_restore(ctrd, tmp_path):
    p = ctrd("run", "-d", "--runc-binary", WARD, ctrd.image, "k1", "sh", "-c",
             COUNTER)
    assert p.returncode == 0, p.stderr
    assert wait_for(lambda: ctr_count(ctrd, "k1") >= 10, timeout=60)
    # The client pauses the task first: ward has CRIU freeze through the
    # cgroup, as runc does, and the task runs on afterwards.
    images = str(tmp_path / "images")
    p = ctrd("task", "checkpoint", "--image-path", images, "k1")
    assert p.returncode == 0, p.stderr
    assert os.path.exists(os.path.join(images, "ward-checkpoint.json"))
    assert os.path.exists(os.path.join(images, "inventory.img"))
    assert "RUNNING" in ctrd("task", "ls").stdout
    n = ctr_count(ctrd, "k1")
    assert wait_for(lambda: ctr_count(ctrd, "k1") > n, timeout=60)

    # ctr 1.6 restores container checkpoints (the task's, with its spec):
    # the restored task counts on from the dump.
    p = ctrd("containers", "checkpoint", "--task", "--image", "k1",
             "wardckpt/k1:1")
    assert p.returncode == 0, p.stderr
    at = ctr_count(ctrd, "k1")
    assert ctrd("task", "kill", "-s", "KILL", "k1").returncode == 0
    assert wait_for(lambda: "STOPPED" in ctrd("task", "ls").stdout)
    assert ctrd("task", "rm", "k1").returncode == 0
    assert ctrd("containers", "rm", "k1").returncode == 0
    p = ctrd("containers", "restore", "--live", "k1", "wardckpt/k1:1")
    assert p.returncode == 0, p.stderr
    assert "RUNNING" in ctrd("task", "ls").stdout
    assert wait_for(lambda: ctr_count(ctrd, "k1") > 0, timeout=60)
    n = ctr_count(ctrd, "k1")
    assert n <= at + 20, "counted on from %d, not from the dump (%d)" % (n, at)
    assert wait_for(lambda: ctr_count(ctrd, "k1") > n, timeout=60)
    assert ctrd("task", "kill", "-s", "KILL", "k1").returncode == 0


def test_isolated_idmap_moves_to_a_new_range_when_taken(
        iw, bundle, make_bundle, criu, tmp_path):
    """The freed range is handed to another container before the restore:
    the checkpoint moves to a new range (CRIU keeps everything inside the
    namespace in its own ids; only the namespace's maps name host ids)."""
    annotate(bundle, isolated="true")
    counter_bundle(bundle)
    cid = iw.new_id("ck")
    start_counter(iw, bundle, cid)
    base = [e for e in registry(iw) if e["container"] == cid][0]["uid"]
    before = count(iw, cid)
    images = str(tmp_path / "images")
    p = iw("--criu", criu, "checkpoint", "--image-path", images, cid)
    assert p.returncode == 0, p.stderr
    # First fit hands the freed range to the next isolated container.
    other = make_bundle()
    annotate(other, isolated="true")
    counter_bundle(other)
    taker = iw.new_id("tk")
    start_counter(iw, other, taker)
    assert [e for e in registry(iw) if e["container"] == taker][0]["uid"] \
        == base
    rc, err = restore(iw, criu, "-d", "--bundle", bundle.path,
                      "--image-path", images, cid)
    assert rc == 0, err
    entry = [e for e in registry(iw) if e["container"] == cid]
    assert len(entry) == 1 and entry[0]["uid"] != base, entry
    pid = init_pid(iw, cid)
    with open("/proc/%d/uid_map" % pid) as f:
        assert f.read().split()[:2] == ["0", str(entry[0]["uid"]["base"])]
    # Its memory, its tmpfs and its rootfs are all still its own.
    assert wait_for(lambda: count(iw, cid) > before + 3)
    ex = iw("exec", cid, "sh", "-c", "id -u; stat -c %u /bin/busybox "
            "/dev/shm/count")
    assert ex.returncode == 0 and ex.stdout.split() == ["0", "0", "0"], \
        ex.stdout + ex.stderr
    assert status_of(iw, taker) == "running"
    assert iw("delete", "--force", cid).returncode == 0
    assert [e for e in registry(iw) if e["container"] == cid] == []
