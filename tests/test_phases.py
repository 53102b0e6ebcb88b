# SPDX-License-Identifier: GPL-2.0-or-later
"""create, start and delete as phases (issues 11.5, 15, 10.5): --debug
times each phase into stderr and --log; a create in progress is listed as
`creating`; SIGTERM or SIGINT during create undoes it and exits 1."""
import json
import os
import signal
import subprocess
import tempfile
import time

import pytest

from conftest import WARD, assert_nothing_left, processes_with, wait_for

CREATE_PHASES = ["record", "idmap", "cgroup", "seccomp", "namespaces", "fifo",
                 "clone", "joined", "userns", "cgroup-enter", "mounts", "init", "done"]


def debug_lines(text, op):
    """{phase: microseconds} from "ward: debug: OP: PHASE N us" lines."""
    out = {}
    for line in text.splitlines():
        pre = "ward: debug: %s: " % op
        if line.startswith(pre):
            name, us, unit = line[len(pre):].split()[:3]
            assert unit == "us", line
            out[name] = int(us)
    return out


def test_debug_times_every_phase_to_stderr_and_log(ward, bundle, tmp_path):
    bundle.set_args("true").write()
    cid = ward.new_id()
    log = tmp_path / "log.json"
    g = ["--debug", "--log", str(log), "--log-format", "json"]
    p = ward(*g, "create", "--bundle", bundle.path, cid)
    assert p.returncode == 0, p.stderr
    create = debug_lines(p.stderr, "create")
    assert list(create) == CREATE_PHASES + ["total"], p.stderr
    assert create["total"] >= max(v for k, v in create.items() if k != "total")
    p = ward(*g, "start", cid)
    assert p.returncode == 0, p.stderr
    start = debug_lines(p.stderr, "start")
    assert list(start) == ["check", "release", "exec", "poststart", "total"]
    wait_for(lambda: json.loads(ward("state", cid).stdout)["status"] ==
             "stopped")
    p = ward(*g, "delete", cid)
    assert p.returncode == 0, p.stderr
    delete = debug_lines(p.stderr, "delete")
    assert list(delete) == ["lock", "kill", "poststop", "cgroup", "idmap",
                            "state", "total"], p.stderr
    # The same lines, one JSON object each, in --log.
    logged = [json.loads(l) for l in log.read_text().splitlines()]
    msgs = [e["msg"] for e in logged if e["level"] == "debug"]
    assert "create: total" in " ".join(msgs)
    assert len(msgs) == len(create) + len(start) + len(delete), msgs
    assert_nothing_left(ward, cid, bundle)


def test_without_debug_no_timing(ward, bundle):
    bundle.set_args("true").write()
    cid = ward.new_id()
    p = ward("run", "--bundle", bundle.path, cid)
    assert p.returncode == 0, p.stderr
    assert "debug" not in p.stderr


def slow_create(ward, bundle, seconds):
    """A create that spends SECONDS in its createRuntime hook (the `init`
    phase, after every resource exists)."""
    bundle.config["hooks"] = {"createRuntime": [
        {"path": "/bin/sleep", "args": ["sleep", str(seconds)]}]}
    bundle.set_args("true").write()
    cid = ward.new_id()
    err = tempfile.TemporaryFile("w+")
    p = subprocess.Popen([WARD, "--root", ward.root, "create", "--bundle",
                          bundle.path, cid], stdin=subprocess.DEVNULL,
                         stdout=subprocess.DEVNULL, stderr=err)
    p.err = err
    return cid, p


def listed_status(ward, cid):
    p = ward("list", "--format", "json")
    for c in json.loads(p.stdout or "[]"):
        if c["id"] == cid:
            return c["status"]
    return None


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_signal_during_create_undoes_it(ward, bundle, sig):
    cid, p = slow_create(ward, bundle, 1)
    # Listed while it is made, as creating (not created: the init exists
    # and the fifo too, but create has not finished).
    assert wait_for(lambda: listed_status(ward, cid) == "creating",
                    timeout=20), listed_status(ward, cid)
    p.send_signal(sig)
    p.wait(timeout=30)
    p.err.seek(0)
    err = p.err.read()
    assert p.returncode == 1, err
    assert "interrupted by %s" % sig.name in err, err
    assert len(err.strip().splitlines()) == 1, err
    # Undone by ward itself: nothing to delete.
    assert_nothing_left(ward, cid, bundle)
    assert wait_for(lambda: processes_with(cid) == [])


def test_killed_create_listed_stopped_then_deleted(ward, bundle):
    cid, p = slow_create(ward, bundle, 5)
    assert wait_for(lambda: listed_status(ward, cid) == "creating",
                    timeout=20)
    p.kill()
    p.wait(timeout=30)
    # Its init exits once the socket to the killed ward closes.
    assert wait_for(lambda: listed_status(ward, cid) == "stopped",
                    timeout=20), listed_status(ward, cid)
    d = ward("delete", "--force", cid)
    assert d.returncode == 0, d.stderr
    assert_nothing_left(ward, cid, bundle)
    assert wait_for(lambda: processes_with(cid) == [])


def test_run_hooks_start_with_no_signal_blocked_or_ignored(ward, bundle,
                                                           tmp_path):
    """`ward run` holds the signals it forwards from before start; the
    poststart hooks it runs must not inherit that (nor an ignored
    SIGPIPE from writing the state to an earlier hook)."""
    out = [tmp_path / ("hook%d" % i) for i in range(2)]
    bundle.config["hooks"] = {"poststart": [
        {"path": "/bin/sh",
         "args": ["sh", "-c", "grep -E '^Sig(Blk|Ign)' /proc/self/status > %s"
                  % o]} for o in out]}
    bundle.set_args("true").write()
    cid = ward.new_id()
    p = ward("run", "--bundle", bundle.path, cid)
    assert p.returncode == 0, p.stderr
    for o in out:
        fields = dict(l.split(":") for l in o.read_text().splitlines())
        assert int(fields["SigBlk"], 16) == 0, fields
        assert not int(fields["SigIgn"], 16) & (1 << (signal.SIGPIPE - 1)), \
            fields
    assert_nothing_left(ward, cid, bundle)
