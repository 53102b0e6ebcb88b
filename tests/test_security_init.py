# SPDX-License-Identifier: GPL-2.0-or-later
"""The init and exec'd processes hold no fd that names a host object, and
process.oomScoreAdj works in a user namespace (issue 10, items 1 and 6)."""
import os

import pytest

from conftest import status_of
from test_idmap import annotate, host, iw  # noqa: F401 (fixtures)

CAPS = ["CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FOWNER", "CAP_SETGID",
        "CAP_SETUID", "CAP_KILL", "CAP_SYS_PTRACE", "CAP_SYS_CHROOT"]
UP = "../" * 40


def ptrace_capable(bundle):
    bundle.config["process"]["capabilities"] = {
        k: list(CAPS) for k in ("bounding", "effective", "permitted")}


@pytest.fixture
def host_dir(tmp_path):
    """A host directory with a marker file: the caller's cwd, and the
    target of an fd the caller leaks into ward (a shell's fd 251)."""
    d = tmp_path / "caller"
    d.mkdir()
    (d / "hostmarker").write_text("host secret\n")
    fd = os.open(str(d), os.O_RDONLY | os.O_DIRECTORY)
    os.dup2(fd, 251, inheritable=True)
    os.close(fd)
    yield d
    os.close(251)


def probe(ward, cid, host_dir):
    """From inside the container, every fd of pid 1: its target, and
    whether the host marker is reachable through it."""
    marker = UP + str(host_dir).lstrip("/") + "/hostmarker"
    script = ("for f in /proc/1/fd/*; do n=${f##*/}; "
              "echo \"fd $n $(readlink $f)\"; "
              "for p in hostmarker ../hostmarker %s; do "
              "cat $f/$p 2>/dev/null && echo \"ESCAPE $n $p\"; done; "
              "done; true" % marker)
    p = ward("exec", cid, "sh", "-c", script)
    assert p.returncode == 0, p.stderr
    fds = [l.split()[1] for l in p.stdout.splitlines() if l.startswith("fd ")]
    assert "0" in fds, p.stdout  # the probe did see pid 1's fds
    assert "ESCAPE" not in p.stdout and "host secret" not in p.stdout, \
        p.stdout
    assert str(host_dir) not in p.stdout, p.stdout
    assert "251" not in fds, p.stdout
    return fds


def test_no_host_fd_in_init_created_and_running(ward, bundle, host_dir):
    ptrace_capable(bundle)
    bundle.set_args("sleep", "100")
    bundle.write()
    cid = ward.new_id()
    ward("create", "--bundle", bundle.path, cid, check=True,
         cwd=str(host_dir), pass_fds=(251,))
    assert status_of(ward, cid) == "created"
    fds = probe(ward, cid, host_dir)
    # stdio and the exec fifo: nothing else waits in the init for `start`.
    assert len(fds) == 4, fds
    ward("start", cid, check=True)
    assert status_of(ward, cid) == "running"
    fds = probe(ward, cid, host_dir)
    assert sorted(fds) == ["0", "1", "2"], fds


def test_exec_process_gets_no_caller_fd(ward, bundle, host_dir):
    ptrace_capable(bundle)
    bundle.set_args("sleep", "100")
    bundle.write()
    cid = ward.new_id()
    ward("run", "-d", "--bundle", bundle.path, cid, check=True)
    p = ward("exec", cid, "sh", "-c", "ls /proc/self/fd; readlink /proc/self/cwd",
             cwd=str(host_dir), pass_fds=(251,))
    assert p.returncode == 0, p.stderr
    assert "251" not in p.stdout.split() and str(host_dir) not in p.stdout


def test_preserve_fds_still_passed(ward, bundle, tmp_path):
    """--preserve-fds keeps the caller's fds 3.. on purpose."""
    out = tmp_path / "through-3"

    def fd3():
        os.dup2(os.open(str(out), os.O_WRONLY | os.O_CREAT, 0o644), 3)
    bundle.set_args("sh", "-c", "echo through-3 >&3")
    bundle.write()
    p = ward("run", "--preserve-fds", "1", "--bundle", bundle.path,
             ward.new_id(), preexec_fn=fd3, pass_fds=(3,))
    assert p.returncode == 0, p.stderr
    assert out.read_text() == "through-3\n"


# ---- process.oomScoreAdj in a user namespace --------------------------------

def oom_run(iw, bundle):  # noqa: F811
    bundle.config["process"]["oomScoreAdj"] = 500
    bundle.set_args("cat", "/proc/self/oom_score_adj")
    bundle.write()
    return iw("run", "--bundle", bundle.path, iw.new_id())


def test_oom_score_adj_with_isolated_idmap(iw, bundle):  # noqa: F811
    annotate(bundle, isolated="true")
    p = oom_run(iw, bundle)
    assert p.returncode == 0, p.stderr
    assert p.stdout.strip() == "500"


def test_oom_score_adj_with_explicit_maps(iw, bundle):  # noqa: F811
    bundle.config["linux"]["namespaces"].append({"type": "user"})
    bundle.config["linux"]["uidMappings"] = [
        {"containerID": 0, "hostID": 3000000, "size": 65536}]
    bundle.config["linux"]["gidMappings"] = [
        {"containerID": 0, "hostID": 3000000, "size": 65536}]
    p = oom_run(iw, bundle)
    assert p.returncode == 0, p.stderr
    assert p.stdout.strip() == "500"
