# SPDX-License-Identifier: GPL-2.0-or-later
"""The init's last steps, as runc's conformance suite sees them (issue 9):
nothing but execve runs under the container's seccomp filter (for the init
and for `ward exec`), `ward start` and `ward exec -d` wait for the exec and
report its failure, and a container without a mount namespace of its own
(none in the config, or one joined by path) runs."""
import json
import os
import shutil
import subprocess

import pytest

from conftest import Ward, status_of, wait_for

UNSHARE = shutil.which("unshare") or "/usr/bin/unshare"

# What busybox `mkdir DIR` calls (strace of busybox-static), plus execve.
MKDIR_ONLY = ["execve", "arch_prctl", "brk", "exit_group", "getrandom",
              "getuid", "mkdir", "mkdirat", "mprotect", "prctl", "prlimit64",
              "readlink", "rseq", "set_robust_list", "set_tid_address"]


def allow_only(names):
    return {"defaultAction": "SCMP_ACT_ERRNO",
            "syscalls": [{"names": names, "action": "SCMP_ACT_ALLOW"}]}


def deny_only(name):
    return {"defaultAction": "SCMP_ACT_ALLOW",
            "syscalls": [{"names": [name], "action": "SCMP_ACT_ERRNO"}]}


def with_out_dir(bundle, tmp_path):
    """A host directory bound read-write at /out: what the process makes
    there proves it ran."""
    out = tmp_path / "out"
    out.mkdir(exist_ok=True)
    bundle.config["mounts"].append(
        {"destination": "/out", "type": "bind", "source": str(out),
         "options": ["rbind", "rw"]})
    return out


def test_allowlist_of_mkdir_and_execve_runs(ward, bundle, tmp_path):
    out = with_out_dir(bundle, tmp_path)
    bundle.config["linux"]["seccomp"] = allow_only(MKDIR_ONLY)
    bundle.set_args("mkdir", "/out/made")
    bundle.write()
    p = ward("run", "--bundle", bundle.path, ward.new_id())
    assert p.returncode == 0, p.stderr
    assert (out / "made").is_dir()


@pytest.mark.parametrize("nnp", [True, False], ids=["nnp", "no-nnp"])
@pytest.mark.parametrize("denied", ["close_range", "sendmsg", "write"])
def test_profile_denying_one_call_reaches_execve(ward, bundle, tmp_path,
                                                 denied, nnp):
    out = with_out_dir(bundle, tmp_path)
    bundle.config["process"]["noNewPrivileges"] = nnp
    bundle.config["linux"]["seccomp"] = deny_only(denied)
    bundle.set_args("mkdir", "/out/made")
    bundle.write()
    p = ward("run", "--bundle", bundle.path, ward.new_id())
    assert p.returncode == 0, p.stderr
    assert (out / "made").is_dir()


@pytest.mark.parametrize("denied", ["close_range", "sendmsg", "write"])
def test_exec_under_profile_denying_one_call(ward, bundle, tmp_path, denied):
    out = with_out_dir(bundle, tmp_path)
    bundle.config["linux"]["seccomp"] = deny_only(denied)
    bundle.set_args("sleep", "100")
    bundle.write()
    cid = ward.new_id()
    ward("run", "-d", "--bundle", bundle.path, cid, check=True)
    p = ward("exec", cid, "mkdir", "/out/by-exec")
    assert p.returncode == 0, p.stderr
    assert (out / "by-exec").is_dir()
    p = ward("exec", "-d", cid, "mkdir", "/out/by-exec-d")
    assert p.returncode == 0, p.stderr
    assert wait_for(lambda: (out / "by-exec-d").is_dir())


# ---- start tells the truth ---------------------------------------------------

def one_line(p, text):
    assert p.returncode == 1, (p.stdout, p.stderr)
    lines = p.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("ward: "), p.stderr
    assert text in lines[0], p.stderr


def test_start_reports_failing_start_container_hook(ward, bundle):
    bundle.config["hooks"] = {"startContainer": [{"path": "/bin/false"}]}
    bundle.set_args("true")
    bundle.write()
    cid = ward.new_id()
    ward("create", "--bundle", bundle.path, cid, check=True)
    p = ward("start", cid)
    one_line(p, "hooks.startContainer")
    assert wait_for(lambda: status_of(ward, cid) == "stopped", timeout=5)


def secret_binary(bundle):
    """A copy of busybox only root may execute; the process is uid 1000
    without capabilities.  ward finds it at create (as root): only the
    execve fails, after `start`."""
    bundle.config["process"]["capabilities"] = {}
    path = os.path.join(bundle.rootfs, "secret")
    shutil.copy2(os.path.join(bundle.rootfs, "bin", "busybox"), path)
    os.chmod(path, 0o700)
    return "/secret"


def test_start_reports_failed_execve(ward, bundle, tmp_path):
    log = tmp_path / "ward.log"
    bundle.config["process"]["user"] = {"uid": 1000, "gid": 1000}
    bundle.set_args(secret_binary(bundle), "true")
    bundle.write()
    cid = ward.new_id()
    ward("create", "--bundle", bundle.path, cid, check=True)
    assert status_of(ward, cid) == "created"
    p = ward("--log", str(log), "start", cid)
    one_line(p, "exec /secret: Permission denied")
    assert "exec /secret: Permission denied" in log.read_text()
    assert status_of(ward, cid) == "stopped"


def test_run_reports_failed_execve(ward, bundle):
    bundle.config["process"]["user"] = {"uid": 1000, "gid": 1000}
    bundle.set_args(secret_binary(bundle), "true")
    bundle.write()
    for detach in ([], ["-d"]):
        p = ward("run", *detach, "--bundle", bundle.path, ward.new_id())
        one_line(p, "exec /secret: Permission denied")


def test_exec_detached_reports_failed_execve(ward, bundle):
    secret = secret_binary(bundle)
    bundle.set_args("sleep", "100")
    bundle.write()
    cid = ward.new_id()
    ward("run", "-d", "--bundle", bundle.path, cid, check=True)
    p = ward("exec", "-d", "--user", "1000:1000", cid, secret, "true")
    one_line(p, "exec /secret: Permission denied")
    p = ward("exec", "--user", "1000:1000", cid, secret, "true")
    one_line(p, "exec /secret: Permission denied")


# ---- no mount namespace of its own ------------------------------------------

class PrivateMountWard(Ward):
    """ward inside a private `unshare -m`: a container sharing that mount
    namespace reaches nothing of the host's."""

    def prefix(self):
        return [UNSHARE, "-m", "--propagation", "private"]


def in_private_mount_ns(ward, *args):
    return PrivateMountWard(ward.root)(*args)


def without_mount_ns(bundle):
    ns = bundle.config["linux"]["namespaces"]
    bundle.config["linux"]["namespaces"] = [n for n in ns
                                            if n["type"] != "mount"]


def test_no_mount_namespace_runs(ward, bundle):
    without_mount_ns(bundle)
    bundle.set_args("sh", "-c", "echo ran; ls /bin/busybox")
    bundle.write()
    cid = ward.new_id()
    p = in_private_mount_ns(ward, "run", "--bundle", bundle.path, cid)
    assert p.returncode == 0, p.stderr
    assert p.stdout.split() == ["ran", "/bin/busybox"]
    # create and start as separate commands too
    cid = ward.new_id()
    bundle.set_args("sh", "-c", "exit 3")
    bundle.write()
    p = in_private_mount_ns(ward, "create", "--bundle", bundle.path, cid)
    assert p.returncode == 0, p.stderr
    assert status_of(ward, cid) == "created"
    p = in_private_mount_ns(ward, "start", cid)
    assert p.returncode == 0, p.stderr
    assert wait_for(lambda: status_of(ward, cid) == "stopped")


def test_joined_mount_namespace_runs(ward, bundle):
    holder = subprocess.Popen([UNSHARE, "-m", "--propagation", "private",
                               "sleep", "infinity"])
    try:
        mine = os.stat("/proc/self/ns/mnt").st_ino
        assert wait_for(lambda: os.stat(
            "/proc/%d/ns/mnt" % holder.pid).st_ino != mine)
        without_mount_ns(bundle)
        bundle.config["linux"]["namespaces"].append(
            {"type": "mount", "path": "/proc/%d/ns/mnt" % holder.pid})
        bundle.set_args("sh", "-c", "echo joined")
        bundle.write()
        p = in_private_mount_ns(ward, "run", "--bundle", bundle.path,
                                ward.new_id())
        assert p.returncode == 0, p.stderr
        assert p.stdout.split() == ["joined"]
    finally:
        holder.kill()
        holder.wait()
