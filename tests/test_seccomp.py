# SPDX-License-Identifier: GPL-2.0-or-later
"""linux.seccomp in real containers: every action, argument comparisons,
architecture filtering, the podman-shaped default profile, the compiled-BPF
cache, SCMP_ACT_NOTIFY with an agent, and the errors for bad profiles."""
import copy
import glob
import json
import os
import subprocess
import sys
import time

import pytest

from conftest import Ward, assert_nothing_left, HERE, requires, run_container

PODMAN_PROFILE = os.path.join(HERE, "data", "podman-seccomp.json")
LISTENER = os.path.join(HERE, "seccomp_listener.py")
SIGSYS = 31


def podman_profile():
    with open(PODMAN_PROFILE) as f:
        return json.load(f)


def allow_all_but(*rules):
    return {"defaultAction": "SCMP_ACT_ALLOW", "syscalls": list(rules)}


def rule(names, action, **kw):
    r = {"names": list(names), "action": action}
    r.update(kw)
    return r


def run_with(ward, bundle, profile, *args):
    bundle.config["linux"]["seccomp"] = profile
    # The root is read-only: give the tests a writable /tmp.
    if not any(m["destination"] == "/tmp" for m in bundle.config["mounts"]):
        bundle.config["mounts"].append(
            {"destination": "/tmp", "type": "tmpfs", "source": "tmpfs",
             "options": ["nosuid", "nodev", "mode=1777"]})
    return run_container(ward, bundle, *args)


def status_fields(text):
    return dict(l.split(":\t", 1) for l in text.splitlines() if ":\t" in l)




# ---- actions ---------------------------------------------------------------

def test_errno_returned(ward, bundle):
    p = run_with(ward, bundle,
                 allow_all_but(rule(["mkdir", "mkdirat"], "SCMP_ACT_ERRNO",
                                    errnoRet=38)),
                 "mkdir", "/tmp/x")
    assert p.returncode == 1
    assert "can't create directory '/tmp/x': Function not implemented" in p.stderr


def test_errno_defaults_to_eperm(ward, bundle):
    p = run_with(ward, bundle,
                 allow_all_but(rule(["mkdir", "mkdirat"], "SCMP_ACT_ERRNO")),
                 "mkdir", "/tmp/x")
    assert p.returncode == 1
    assert "Operation not permitted" in p.stderr


@pytest.mark.parametrize("action", ["SCMP_ACT_KILL", "SCMP_ACT_KILL_PROCESS",
                                    "SCMP_ACT_KILL_THREAD", "SCMP_ACT_TRAP"])
def test_kill_and_trap_actions_kill(ward, bundle, action):
    # The shell survives: only its mkdir child makes the filtered call.
    p = run_with(ward, bundle,
                 allow_all_but(rule(["mkdir", "mkdirat"], action)),
                 "sh", "-c", "mkdir /tmp/x; echo status=$?")
    assert p.returncode == 0
    assert "status=%d" % (128 + SIGSYS) in p.stdout
    p = run_with(ward, bundle, allow_all_but(rule(["mkdir", "mkdirat"], action)),
                 "mkdir", "/tmp/x")
    assert p.returncode == 128 + SIGSYS


def test_log_action_allows(ward, bundle):
    p = run_with(ward, bundle,
                 allow_all_but(rule(["mkdir", "mkdirat"], "SCMP_ACT_LOG")),
                 "sh", "-c", "mkdir /tmp/x && test -d /tmp/x && echo made")
    assert p.returncode == 0 and "made" in p.stdout


def test_default_errno_ret(ward, bundle):
    prof = podman_profile()
    prof["defaultErrnoRet"] = 95  # EOPNOTSUPP
    p = run_with(ward, bundle, prof, "unshare", "-U", "true")
    assert p.returncode == 1
    assert "Operation not supported" in p.stderr


def test_status_shows_filter_and_nnp(ward, bundle):
    p = run_with(ward, bundle, allow_all_but(rule(["mkdir"], "SCMP_ACT_ERRNO")),
                 "cat", "/proc/self/status")
    assert p.returncode == 0
    st = status_fields(p.stdout)
    assert st["Seccomp"].strip() == "2"
    assert st["Seccomp_filters"].strip() == "1"
    assert st["NoNewPrivs"].strip() == "1"


def test_without_no_new_privileges(ward, bundle):
    # seccomp(2) without no_new_privs needs CAP_SYS_ADMIN: ward must load the
    # filter before it drops capabilities and switches to uid 1000.  A
    # runtime that loads it last would fail with EACCES here.
    bundle.config["process"]["noNewPrivileges"] = False
    bundle.config["process"]["user"] = {"uid": 1000, "gid": 1000}
    p = run_with(ward, bundle,
                 allow_all_but(rule(["mkdir", "mkdirat"], "SCMP_ACT_ERRNO",
                                    errnoRet=38)),
                 "sh", "-c", "grep -e NoNewPrivs -e '^Seccomp:' /proc/self/status;"
                 " mkdir /tmp/x")
    assert p.returncode == 1, p.stderr
    st = status_fields(p.stdout)
    assert st["NoNewPrivs"].strip() == "0"
    assert st["Seccomp"].strip() == "2"
    assert "Function not implemented" in p.stderr


# ---- arguments -------------------------------------------------------------

def test_args_comparisons(ward, bundle):
    prof = allow_all_but(
        # ioprio_set(IOPRIO_WHO_PROCESS, *, class IDLE): both args must match.
        rule(["ioprio_set"], "SCMP_ACT_ERRNO", errnoRet=13, args=[
            {"index": 0, "value": 1, "op": "SCMP_CMP_EQ"},
            {"index": 2, "value": 3 << 13, "op": "SCMP_CMP_EQ"}]),
        # chmod with the setuid bit: (mode & 04000) == 04000.
        rule(["chmod"], "SCMP_ACT_ERRNO", errnoRet=1, args=[
            {"index": 1, "value": 0o4000, "valueTwo": 0o4000,
             "op": "SCMP_CMP_MASKED_EQ"}]),
        rule(["fchmodat"], "SCMP_ACT_ERRNO", errnoRet=1, args=[
            {"index": 2, "value": 0o4000, "valueTwo": 0o4000,
             "op": "SCMP_CMP_MASKED_EQ"}]),
    )
    p = run_with(ward, bundle, prof, "sh", "-c",
                 "ionice -c 2 -n 3 true; echo be=$?; "
                 "ionice -c 3 true; echo idle=$?; "
                 "touch /tmp/f; chmod 0755 /tmp/f; echo plain=$?; "
                 "chmod 4755 /tmp/f; echo setuid=$?; stat -c %a /tmp/f")
    assert p.returncode == 0, p.stderr
    out = p.stdout.split()
    assert out[:4] == ["be=0", "idle=1", "plain=0", "setuid=1"]
    assert out[4] == "755"
    assert "Permission denied" in p.stderr


INT80_SRC = r"""
#include <stdio.h>
#include <unistd.h>
int main(void) {
  long ret;
  /* i386 getpid (20) through the 32-bit syscall entry */
  __asm__ volatile("int $0x80" : "=a"(ret) : "a"(20L) : "memory");
  printf("%s\n", ret == getpid() ? "int80-ok" : "int80-mismatch");
  return 0;
}
"""


def build_int80(bundle, tmp_path):
    requires("x86_64", "cc")
    src = tmp_path / "int80.c"
    src.write_text(INT80_SRC)
    dst = os.path.join(bundle.rootfs, "bin", "int80")
    r = subprocess.run(["cc", "-static", "-O2", "-o", dst, str(src)],
                       capture_output=True, text=True)
    if r.returncode != 0:
        pytest.skip("cannot build a static helper: " + r.stderr.strip())
    r = subprocess.run([dst], capture_output=True, text=True)
    if "int80-ok" not in r.stdout:
        pytest.skip("the kernel has no IA32 emulation")


def test_architectures_filter_32bit_entry(ward, bundle, tmp_path):
    build_int80(bundle, tmp_path)
    mkdir_rule = rule(["mkdir"], "SCMP_ACT_ERRNO")
    # x86 not listed: a 32-bit syscall is a foreign architecture -> killed.
    prof = allow_all_but(mkdir_rule)
    prof["architectures"] = ["SCMP_ARCH_X86_64"]
    p = run_with(ward, bundle, prof, "/bin/int80")
    assert p.returncode == 128 + SIGSYS
    prof["architectures"] = ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86"]
    p = run_with(ward, bundle, prof, "/bin/int80")
    assert p.returncode == 0 and "int80-ok" in p.stdout


# ---- the podman default profile and the BPF cache -------------------------

def test_podman_profile(ward, bundle):
    prof = podman_profile()
    n = sum(len(r["names"]) for r in prof["syscalls"])
    assert n >= 300
    p = run_with(ward, bundle, prof, "sh", "-c",
                 "ls / >/dev/null && echo shell-ok; "
                 "unshare -U true; echo unshare=$?")
    assert p.returncode == 0, p.stderr
    assert "shell-ok" in p.stdout and "unshare=1" in p.stdout
    assert "Operation not permitted" in p.stderr
    # Control: without the profile the same call is allowed.
    del bundle.config["linux"]["seccomp"]
    p = run_container(ward, bundle, "unshare", "-U", "true")
    assert p.returncode == 0, p.stderr


class CacheWard(Ward):
    """Ward in a private mount namespace whose /run/ward-cache is a fresh
    tmpfs: the host-wide cache other tests (and helpers) use is never
    touched, and each test sees only its own entries."""

    def __init__(self, root, holder):
        super().__init__(root)
        self.holder = holder
        self.cache = "/proc/%d/root/run/ward-cache/seccomp" % holder.pid

    def prefix(self):
        return ["nsenter", "--mount=/proc/%d/ns/mnt" % self.holder.pid, "--"]


@pytest.fixture
def cache_ward(tmp_path):
    requires("root")
    holder = subprocess.Popen(["unshare", "-m", "--propagation", "private",
                               "sleep", "infinity"])
    mine = os.stat("/proc/self/ns/mnt").st_ino
    for _ in range(200):
        if os.stat("/proc/%d/ns/mnt" % holder.pid).st_ino != mine:
            break
        time.sleep(0.01)
    w = CacheWard(str(tmp_path / "state"), holder)
    subprocess.run(w.prefix() + [
        "sh", "-ec", "mkdir -p /run/ward-cache && mount -t tmpfs -o mode=0700 "
        "ward-cache-test /run/ward-cache"], check=True, timeout=30)
    yield w
    w.cleanup()
    holder.kill()
    holder.wait()


def test_cache_reused_by_second_container(cache_ward, make_bundle):
    ward = cache_ward
    cache = ward.cache
    prof = podman_profile()
    for i in range(2):
        b = make_bundle()
        p = run_with(ward, b, copy.deepcopy(prof), "sh", "-c",
                     "unshare -U true; echo unshare=$?")
        assert p.returncode == 0 and "unshare=1" in p.stdout, p.stderr
        entries = os.listdir(cache)
        assert len(entries) == 1, entries  # the second start reused it
        st = os.stat(os.path.join(cache, entries[0]))
        assert st.st_mode & 0o777 == 0o600 and st.st_uid == 0
    assert os.stat(cache).st_mode & 0o777 == 0o700
    # Another profile gets its own entry.
    b = make_bundle()
    run_with(ward, b, allow_all_but(rule(["mkdir"], "SCMP_ACT_ERRNO")), "true")
    assert len(os.listdir(cache)) == 2
    # Host-wide, never in the caller's --root (issue 9.5).
    assert "seccomp-cache" not in os.listdir(ward.root)


def test_cache_entry_not_ours_or_damaged_is_ignored(cache_ward, make_bundle):
    # An entry writable by others (here: rewritten to allow everything) or a
    # damaged one must never become a filter: ward recompiles instead.
    ward = cache_ward
    cache = ward.cache
    prof = allow_all_but(rule(["mkdir", "mkdirat"], "SCMP_ACT_ERRNO", errnoRet=38))
    run_with(ward, make_bundle(), copy.deepcopy(prof), "true")
    (entry,) = glob.glob(os.path.join(cache, "*.bpf"))
    with open(entry, "r+b") as f:
        data = bytearray(f.read())
        data[-8:] = b"\x06\x00\x00\x00\x00\x00\xff\x7f"  # RET ALLOW
        f.seek(0)
        f.write(data)
    os.chmod(entry, 0o620)
    p = run_with(ward, make_bundle(), copy.deepcopy(prof), "mkdir", "/tmp/x")
    assert p.returncode == 1 and "Function not implemented" in p.stderr
    assert os.stat(entry).st_mode & 0o777 == 0o600  # rewritten by ward
    with open(entry, "r+b") as f:
        f.truncate(os.path.getsize(entry) - 3)
    p = run_with(ward, make_bundle(), copy.deepcopy(prof), "mkdir", "/tmp/x")
    assert p.returncode == 1 and "Function not implemented" in p.stderr


# ---- SCMP_ACT_NOTIFY -------------------------------------------------------

@pytest.fixture
def agent(tmp_path):
    sock = str(tmp_path / "agent.sock")
    out = str(tmp_path / "agent-state.json")
    proc = subprocess.Popen([sys.executable, LISTENER, sock, out],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    for _ in range(100):
        if os.path.exists(sock):
            break
        time.sleep(0.05)
    yield sock, out, proc
    if proc.poll() is None:
        proc.kill()
    proc.wait()


def test_notify_answered_by_agent(ward, bundle, agent):
    sock, out, proc = agent
    prof = allow_all_but(rule(["mkdir", "mkdirat"], "SCMP_ACT_NOTIFY"))
    prof["listenerPath"] = sock
    prof["listenerMetadata"] = "bar"
    p = run_with(ward, bundle, prof, "sh", "-c",
                 "mkdir /tmp/foo; echo rc=$?; ls /tmp")
    assert p.returncode == 0, p.stderr
    # The agent made foo-bar (its metadata as suffix) and reported success.
    assert p.stdout.split() == ["rc=0", "foo-bar"]
    assert proc.wait(timeout=30) == 0, proc.stderr.read()
    with open(out) as f:
        state = json.load(f)
    assert state["fds"] == ["seccompFd"] and state["_received_fds"] == 1
    assert state["metadata"] == "bar"
    assert state["state"]["id"] == ward.ids[-1]
    # The filter is the init's last step before execve, after `start`
    # released it: the listener exists only then, the container "created".
    assert state["state"]["status"] == "created"
    assert state["state"]["bundle"] == bundle.path
    assert state["pid"] == state["state"]["pid"] > 0


def test_notify_agent_unreachable(ward, bundle, tmp_path):
    prof = allow_all_but(rule(["mkdir"], "SCMP_ACT_NOTIFY"))
    prof["listenerPath"] = str(tmp_path / "nobody.sock")
    bundle.config["linux"]["seccomp"] = prof
    bundle.write()
    cid = ward.new_id()
    p = ward("run", "--bundle", bundle.path, cid)
    assert p.returncode != 0
    line = p.stderr.strip()
    assert line.startswith("ward: ") and "\n" not in line
    assert "seccomp agent: connect %s: No such file or directory" % (
        prof["listenerPath"]) in line
    assert_nothing_left(ward, cid)


# ---- bad profiles: one line naming the JSON path, nothing left behind -----

BAD = [
    ({"defaultAction": "SCMP_ACT_FOO"},
     'linux.seccomp.defaultAction: unknown action "SCMP_ACT_FOO"'),
    (allow_all_but(rule(["read"], "SCMP_ACT_ERRNO"), rule(["getpid"], "SCMP_ACT_ERRNO"),
                   rule(["getppid"], "SCMP_ACT_ERRNO"), rule(["mkdir"], "SCMP_ACT_FOO")),
     'linux.seccomp.syscalls[3].action: unknown action "SCMP_ACT_FOO"'),
    (allow_all_but(rule(["mkdir"], "SCMP_ACT_ERRNO", args=[
        {"index": 0, "value": 1, "op": "SCMP_CMP_LIKE"}])),
     'linux.seccomp.syscalls[0].args[0].op: unknown operator "SCMP_CMP_LIKE"'),
    (dict(allow_all_but(), architectures=["SCMP_ARCH_PDP11"]),
     'linux.seccomp.architectures[0]: unknown architecture "SCMP_ARCH_PDP11"'),
    (dict(allow_all_but(), flags=["SECCOMP_FILTER_FLAG_FAST"]),
     'linux.seccomp.flags[0]: unknown flag "SECCOMP_FILTER_FLAG_FAST"'),
    (allow_all_but(rule(["mkdir"], "SCMP_ACT_ALLOW", errnoRet=1)),
     'linux.seccomp.syscalls[0].errnoRet: not supported with action "SCMP_ACT_ALLOW"'),
    (allow_all_but(rule(["mkdir"], "SCMP_ACT_NOTIFY")),
     "linux.seccomp.listenerPath: required when SCMP_ACT_NOTIFY is used"),
    (dict(allow_all_but(rule(["write"], "SCMP_ACT_NOTIFY")), listenerPath="/run/a.sock"),
     'linux.seccomp.syscalls[0].names[0]: SCMP_ACT_NOTIFY cannot be used for "write"'),
    (allow_all_but(rule([], "SCMP_ACT_ERRNO")),
     "linux.seccomp.syscalls[0].names: must contain at least one name"),
]


@pytest.mark.parametrize("profile,message", BAD, ids=[m.split(":")[0] for _, m in BAD])
def test_bad_profile(ward, bundle, profile, message):
    bundle.config["linux"]["seccomp"] = profile
    bundle.write()
    cid = ward.new_id()
    p = ward("create", "--bundle", bundle.path, cid)
    assert p.returncode != 0
    assert p.stderr.strip() == "ward: config.json: " + message
    assert_nothing_left(ward, cid)


def test_unknown_syscall_names_are_skipped(ward, bundle):
    # Names this libseccomp/kernel does not know are skipped, as runc does,
    # so one profile serves old and new hosts.
    p = run_with(ward, bundle,
                 allow_all_but(rule(["no_such_syscall", "mkdir", "mkdirat"],
                                    "SCMP_ACT_ERRNO", errnoRet=38)),
                 "mkdir", "/tmp/x")
    assert p.returncode == 1 and "Function not implemented" in p.stderr
