# SPDX-License-Identifier: GPL-2.0-or-later
"""The runtime-spec's MAY/MUST rules and runc's behaviour on this host, where
ward used to differ (issue 9, items 4-6)."""
import json
import os
import stat

import pytest

from conftest import assert_nothing_left, status_of


def json_log(path):
    """Every line of a --log-format json file, decoded (fails on a bad one)."""
    with open(path, "rb") as f:
        return [json.loads(l.decode("utf-8")) for l in f.read().splitlines()]


def warnings_in(stderr):
    return [l for l in stderr.splitlines() if l.startswith("ward: warning: ")]


def hook_script(tmp_path, name, body):
    path = tmp_path / name
    path.write_text("#!/bin/sh\n" + body + "\n")
    path.chmod(0o755)
    return str(path)


# ---- 9.4: deprecated kernel memory fields -------------------------------

@pytest.mark.parametrize("field", ["kernel", "kernelTCP"])
def test_kernel_memory_warns_and_runs(ward, bundle, tmp_path, field):
    """runc 1.1 accepts memory.kernel/kernelTCP with a warning. Where the
    kernel has no such knob, ward does the same: the container runs, one
    warning on stderr, one level=warning line in --log."""
    mem = "/sys/fs/cgroup/memory"
    if field == "kernelTCP" and os.path.exists(mem + "/memory.kmem.tcp.limit_in_bytes"):
        pytest.skip("this host still has memory.kmem.tcp.limit_in_bytes: "
                    "kernelTCP is applied, not ignored")
    bundle.config["linux"]["resources"]["memory"] = {field: 64 << 20}
    bundle.set_args("true").write()
    log = str(tmp_path / "log.json")
    cid = ward.new_id()
    p = ward("--log", log, "--log-format", "json", "run", "--bundle",
             bundle.path, cid)
    assert p.returncode == 0, p.stderr
    w = warnings_in(p.stderr)
    assert len(w) == 1 and ("memory." + field) in w[0], p.stderr
    levels = [(e["level"], e["msg"]) for e in json_log(log)]
    assert [l for l, m in levels if l == "warning"] == ["warning"], levels
    assert ("memory." + field) in levels[0][1]


@pytest.mark.parametrize("resources,needle", [
    ({"blockIO": {"leafWeight": 300}}, "blockIO.leafWeight"),
    ({"network": {"classID": 0x100001}}, "network.classID"),
    ({"network": {"priorities": [{"name": "lo", "priority": 2}]}},
     "network.priorities"),
])
def test_knob_without_controller_is_refused_like_runc(ward, bundle, resources,
                                                      needle):
    """runc 1.1.5 on this host refuses these (ENOENT on the knob or 'cannot
    set net_cls limit'); ward refuses them too, in one line, leaving nothing.
    Skips where the host does have the knob."""
    if needle.startswith("blockIO") and any(
            os.path.exists(os.path.join(b, "blkio.leaf_weight"))
            for b in ("/sys/fs/cgroup/blkio", "/sys/fs/cgroup/blkio/ward")):
        pytest.skip("this host has CFQ's blkio.leaf_weight")
    if needle.startswith("network") and (os.path.isdir("/sys/fs/cgroup/net_cls")
                                         or os.path.isdir("/sys/fs/cgroup/net_prio")):
        pytest.skip("net_cls/net_prio are mounted on this host")
    bundle.config["linux"]["resources"].update(resources)
    bundle.set_args("true").write()
    cid = ward.new_id()
    p = ward("run", "--bundle", bundle.path, cid)
    assert p.returncode == 1
    lines = p.stderr.splitlines()
    assert len(lines) == 1 and needle in lines[0], p.stderr
    assert_nothing_left(ward, cid, bundle)


@pytest.mark.parametrize("where,key", [("linux", "mountLabel"),
                                       ("process", "selinuxLabel")])
def test_selinux_label_without_selinux_is_refused_like_runc(ward, bundle, where,
                                                            key):
    """runc 1.1.5 with SELinux disabled: 'selinux label is specified in
    config, but selinux is disabled' (selinuxLabel) and EINVAL from the
    context= mount option (mountLabel). ward refuses both up front."""
    if os.path.exists("/sys/fs/selinux/enforce"):
        pytest.skip("SELinux is enabled on this host")
    bundle.config[where][key] = "system_u:object_r:container_file_t:s0:c1,c2"
    bundle.set_args("true").write()
    cid = ward.new_id()
    p = ward("run", "--bundle", bundle.path, cid)
    assert p.returncode == 1
    lines = p.stderr.splitlines()
    assert len(lines) == 1 and key in lines[0] and "SELinux" in lines[0]
    assert_nothing_left(ward, cid, bundle)


# ---- 9.4: poststart / poststop failures ---------------------------------

def test_failing_poststart_warns_and_start_succeeds(ward, bundle, tmp_path):
    """runtime-spec: 'If any poststart hook fails, the runtime MUST log a
    warning, but the remaining hooks and lifecycle continue as if the hook
    had succeeded.'"""
    mark = tmp_path / "second-ran"
    bundle.config["hooks"] = {"poststart": [
        {"path": "/bin/false"},
        {"path": hook_script(tmp_path, "second", "touch %s" % mark)},
    ]}
    bundle.set_args("sleep", "30").write()
    log = str(tmp_path / "log.json")
    cid = ward.new_id()
    ward("create", "--bundle", bundle.path, cid, check=True)
    p = ward("--log", log, "--log-format", "json", "start", cid)
    assert p.returncode == 0, p.stderr
    assert mark.exists()
    w = warnings_in(p.stderr)
    assert len(w) == 1 and "hooks.poststart[0]" in w[0], p.stderr
    assert status_of(ward, cid) == "running"
    assert [e["level"] for e in json_log(log)] == ["warning"]


def test_failing_poststop_runs_the_rest_and_delete_succeeds(ward, bundle,
                                                            tmp_path):
    marks = [tmp_path / "a", tmp_path / "b"]
    bundle.config["hooks"] = {"poststop": [
        {"path": hook_script(tmp_path, "h0", "touch %s; exit 3" % marks[0])},
        {"path": "/bin/false"},
        {"path": hook_script(tmp_path, "h2", "touch %s" % marks[1])},
    ]}
    bundle.set_args("true").write()
    log = str(tmp_path / "log.txt")
    cid = ward.new_id()
    ward("create", "--bundle", bundle.path, cid, check=True)
    p = ward("--log", log, "delete", cid)
    assert p.returncode == 0, p.stderr
    assert all(m.exists() for m in marks)
    w = warnings_in(p.stderr)
    assert len(w) == 2, p.stderr
    assert "hooks.poststop[0]" in w[0] and "exit status 3" in w[0]
    assert "hooks.poststop[1]" in w[1]
    with open(log) as f:
        assert [l for l in f if "level=warning" in l] != []
    assert_nothing_left(ward, cid, bundle)


def state_writing_hooks(bundle, tmp_path, kinds):
    """A hook of each kind that saves the state it reads; where each file
    lands.  startContainer runs in the container: it writes into the
    rootfs."""
    outs = {k: str(tmp_path / ("%s.json" % k)) for k in kinds}
    outs["startContainer"] = os.path.join(bundle.rootfs, "start.json")
    hooks = {}
    for k in kinds:
        inside = "/start.json" if k == "startContainer" else outs[k]
        hooks[k] = [{"path": "/bin/sh", "args": ["sh", "-c", "cat > %s" % inside]}]
    bundle.config["hooks"] = hooks
    bundle.config["root"]["readonly"] = False
    return outs


def test_state_on_stdin_for_each_hook(ward, bundle, tmp_path):
    """runtime-spec v1.2 runtime.md: prestart, createRuntime and
    createContainer are run during the create operation (lifecycle steps
    before 'created' is reached), so the state they read says 'creating'.
    runc does the same. (runtime-tools' prestart validation accepts
    'creating' too; where it would not, we follow the spec.) startContainer:
    'created'; poststart: 'running'; poststop: 'stopped'."""
    kinds = ["prestart", "createRuntime", "createContainer", "startContainer",
             "poststart", "poststop"]
    outs = state_writing_hooks(bundle, tmp_path, kinds)
    bundle.set_args("true").write()
    cid = ward.new_id()
    # run deletes the container when it exits: poststop has run too.
    ward("run", "--bundle", bundle.path, cid, check=True)
    want = {"prestart": "creating", "createRuntime": "creating",
            "createContainer": "creating", "startContainer": "created",
            "poststart": "running", "poststop": "stopped"}
    got = {}
    for k in kinds:
        with open(outs[k]) as f:
            st = json.load(f)
        assert st["id"] == cid
        got[k] = st["status"]
    assert got == want


@pytest.mark.parametrize("with_runtime_hooks", [False, True])
def test_hooks_in_the_container_see_the_host_pid(ward, bundle, tmp_path,
                                                 with_runtime_hooks):
    """createContainer and startContainer run inside, yet their state names
    the init's pid as the host sees it, as poststart's does: the init learns
    it from ward, with or without the prestart/createRuntime stop before
    pivot_root."""
    kinds = ["createContainer", "startContainer", "poststart"]
    if with_runtime_hooks:
        kinds.append("createRuntime")
    outs = state_writing_hooks(bundle, tmp_path, kinds)
    bundle.set_args("true").write()
    ward("run", "--bundle", bundle.path, ward.new_id(), check=True)
    pids = {k: json.load(open(outs[k]))["pid"] for k in kinds}
    assert pids["poststart"] > 0 and len(set(pids.values())) == 1, pids


# ---- 9.4: rootfsPropagation ---------------------------------------------

@pytest.mark.parametrize("prop", ["unbindable", "runbindable"])
def test_rootfs_propagation_unbindable(ward, bundle, prop):
    bundle.config["linux"]["rootfsPropagation"] = prop
    bundle.set_args("cat", "/proc/self/mountinfo").write()
    cid = ward.new_id()
    p = ward("run", "--bundle", bundle.path, cid)
    assert p.returncode == 0, p.stderr
    root = [l for l in p.stdout.splitlines() if l.split()[4] == "/"]
    assert len(root) == 1 and " unbindable " in root[0], p.stdout


# ---- 9.5: nothing left in --root ----------------------------------------

def test_root_is_empty_after_last_delete(ward, bundle):
    """--root is the client's directory: only per-container directories,
    and nothing once every container is deleted (seccomp profile included,
    whose compiled filter used to be cached under ROOT/seccomp-cache)."""
    bundle.config["linux"]["seccomp"] = {
        "defaultAction": "SCMP_ACT_ALLOW",
        "syscalls": [{"names": ["kexec_load"], "action": "SCMP_ACT_ERRNO"}]}
    bundle.set_args("true").write()
    ids = [ward.new_id() for _ in range(2)]
    for cid in ids:
        ward("create", "--bundle", bundle.path, cid, check=True)
    assert sorted(os.listdir(ward.root)) == sorted(ids)
    for cid in ids:
        ward("delete", "--force", cid, check=True)
    assert os.listdir(ward.root) == []


# ---- 9.6: one line for every bad flag -----------------------------------

COMMANDS = ["create", "run", "start", "exec", "state", "kill", "delete",
            "list", "ps", "pause", "resume", "update", "events", "spec",
            "features"]

# A flag that takes a value, per command that has one.
VALUE_FLAGS = {"create": "--bundle", "run": "--pid-file", "exec": "--process",
               "list": "--format", "ps": "--format", "update": "--resources",
               "events": "--interval", "spec": "--bundle"}


@pytest.mark.parametrize("cmd", COMMANDS)
@pytest.mark.parametrize("flag", ["--no-such-flag", "-Z"])
def test_unknown_flag_is_one_line(ward, cmd, flag):
    p = ward(cmd, flag, "x")
    assert p.returncode == 1
    lines = p.stderr.splitlines()
    assert len(lines) == 1, p.stderr
    assert lines[0].startswith("ward: %s: unknown option %s" % (cmd, flag))


@pytest.mark.parametrize("cmd", sorted(VALUE_FLAGS))
def test_missing_value_is_one_line(ward, cmd):
    flag = VALUE_FLAGS[cmd]
    p = ward(cmd, flag)
    assert p.returncode == 1
    lines = p.stderr.splitlines()
    assert len(lines) == 1, p.stderr
    assert lines[0].startswith("ward: %s: option %s needs a value" % (cmd, flag))
