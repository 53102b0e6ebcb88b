# SPDX-License-Identifier: GPL-2.0-or-later
"""Crash consistency (issue 10.5): ward killed at any moment of create, run,
run -d or delete leaves nothing that `delete --force` does not remove.

Each case starts the command, kills it (SIGKILL, or SIGTERM which create
must answer by undoing what it made and exiting 1) after a delay swept
across the command's whole run, then checks what a user would: while the
remains exist, `list` and `state` show the container; after
`delete --force` there is no state dir (or half-made one), no cgroup in any
hierarchy, no idmap registry entry, no mount and no process.

The bounded sweep (about a minute) runs in `make check`; `make stress`
(WARD_STRESS=1) sweeps every few hundred microseconds instead.  Runs in the
private mount namespace of test_idmap.py so that half the cases hold an
isolated idmap allocation in a registry no other test sees."""
import json
import os
import random
import signal
import subprocess
import tempfile
import time

import pytest

from conftest import WARD, mounts_with, processes_with, wait_for
from test_idmap import POOL, Host, NsWard, annotate, traversable

STRESS = os.environ.get("WARD_STRESS") == "1"
CASES_PER_OP = 40       # bounded sweep: points per operation (about a minute)
STRESS_STEP = 0.0003    # long sweep: seconds between kill points


@pytest.fixture
def host(tmp_path):
    if os.geteuid() != 0:
        pytest.skip("needs root (containers, cgroups, a private mount namespace)")
    h = Host(tmp_path)
    yield h
    h.close()


@pytest.fixture
def cw(tmp_path, host):
    traversable(tmp_path)
    host.shadow(POOL)
    w = NsWard(str(tmp_path / "state"), host)
    yield w
    w.cleanup()


def spawn(w, *args):
    """Start ward ARGS in the test's mount namespace; nsenter execs ward, so
    the pid is ward's own.  stderr goes to a file: a container keeps ward's
    stdio open, so a pipe would never reach EOF."""
    cmd = w.host.prefix() + [WARD, "--root", w.root] + list(args)
    env = dict(os.environ, PATH=w.host.path)
    err = tempfile.TemporaryFile("w+")
    p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL,
                         stdout=subprocess.DEVNULL, stderr=err, env=env,
                         start_new_session=True)
    p.err = err
    return p


def stderr_of(p):
    p.err.seek(0)
    text = p.err.read()
    p.err.close()
    return text


def remains(w, cid, pid=None):
    """Entries of the state root that belong to CID: its dir, or what the
    ward with PID half-made or half-removed (.new.PID, .del.PID)."""
    if not os.path.isdir(w.root):
        return []
    side = (".new.%s" % pid, ".del.%s" % pid)
    return [n for n in os.listdir(w.root) if n == cid or n in side]


def cgroups_of(cid):
    found = []
    for base, dirs, _ in os.walk("/sys/fs/cgroup"):
        if cid in os.path.basename(base):
            found.append(base)
        if base.count("/") > 5:
            dirs[:] = []
    return found


def registry_entries(w, cid):
    p = w("idmap", "list", "--format", "json", check=True)
    return [e for e in json.loads(p.stdout) if e.get("container") == cid]


def processes_in(rootfs):
    """Host pids whose root directory is ROOTFS (a container's processes)."""
    found = []
    for pid in os.listdir("/proc"):
        if pid.isdigit():
            try:
                if os.readlink("/proc/%s/root" % pid) == rootfs:
                    found.append(int(pid))
            except OSError:
                pass
    return found


def assert_clean(w, cid, bundle, when, pid=None):
    left = remains(w, cid, pid)
    assert left == [], "%s: state left %s" % (when, left)
    assert w("state", cid).returncode != 0, when
    assert cid not in w("list", "-q").stdout.split(), when
    assert cgroups_of(cid) == [], "%s: cgroups left %s" % (when, cgroups_of(cid))
    assert registry_entries(w, cid) == [], "%s: idmap entry left" % when
    assert mounts_with(bundle.rootfs) == [], "%s: mounts left" % when
    # A doomed init exits once its socket to the killed ward closes.
    assert wait_for(lambda: processes_with(cid) == [] and
                    processes_in(bundle.rootfs) == [], timeout=10), \
        "%s: processes left %s %s" % (when, processes_with(cid),
                                      processes_in(bundle.rootfs))


def assert_listed_while_left(w, cid):
    """A killed create's remains are visible: list shows it, state says
    what it is (creating/stopped, or created/running if it got that far)."""
    if cid not in remains(w, cid):
        return "nothing"
    assert cid in w("list", "-q").stdout.split(), "hidden from list"
    p = w("state", cid)
    assert p.returncode == 0, p.stderr
    status = json.loads(p.stdout)["status"]
    assert status in ("creating", "stopped", "created", "running")
    return status


def timed(w, *args):
    t = time.monotonic()
    p = spawn(w, *args)
    p.wait(timeout=60)
    return time.monotonic() - t, p


def delays(full):
    if STRESS:
        n = int(full * 1.2 / STRESS_STEP) + 1
        return [i * STRESS_STEP for i in range(n)]
    # Evenly over the run, each point jittered so that repeated runs cover
    # the gaps between them.
    step = full * 1.2 / CASES_PER_OP
    return [max(0.0, i * step + random.uniform(-step / 2, step / 2))
            for i in range(CASES_PER_OP)]


def make_bundles(make_bundle):
    plain = make_bundle()
    plain.set_args("sleep", "1000").write()
    iso = annotate(make_bundle(), isolated="true")
    iso.set_args("sleep", "1000").write()
    short = make_bundle()
    short.set_args("true").write()
    return plain, iso, short


OPS = ["create", "run", "run-d", "delete"]


def command(op, bundle, cid):
    if op == "create":
        return ["create", "--bundle", bundle.path, cid]
    if op == "run":
        return ["run", "--bundle", bundle.path, cid]
    if op == "run-d":
        return ["run", "-d", "--bundle", bundle.path, cid]
    return ["delete", "--force", cid]


@pytest.mark.parametrize("op", OPS)
def test_killed_anywhere_leaves_nothing_after_delete_force(cw, make_bundle, op):
    plain, iso, short = make_bundles(make_bundle)

    def bundle_for(i):
        if op == "run":
            if i % 2:
                b = annotate(short, isolated="true")
                return b.write()
            short.config.get("annotations", {}).pop("ward.idmap.isolated",
                                                    None)
            return short.write()
        return iso if i % 2 else plain

    def prepare(i):
        cid = cw.new_id("crash")
        b = bundle_for(i)
        if op == "delete":
            cw("create", "--bundle", b.path, cid, check=True)
            if i % 4 >= 2:
                cw("start", cid, check=True)
        return cid, b

    # Calibrate: how long the command takes unkilled here and now.
    cid, b = prepare(1)
    full, p = timed(cw, *command(op, b, cid))
    assert p.returncode == 0, stderr_of(p)
    cw("delete", "--force", cid, check=True)
    assert_clean(cw, cid, b, "%s calibration" % op)

    seen = {}  # what the kills found, printed with -s: did the sweep cover
    for i, d in enumerate(delays(full)):
        cid, b = prepare(i)
        sig = signal.SIGTERM if i % 3 == 2 else signal.SIGKILL
        p = spawn(cw, *command(op, b, cid))
        time.sleep(d)
        p.send_signal(sig)
        p.wait(timeout=60)
        err = stderr_of(p)
        when = "%s killed by %s after %.1f ms (rc %d, %s)" % (
            op, sig.name, d * 1000, p.returncode, err.strip())
        if op == "create" and sig == signal.SIGTERM and p.returncode == 1:
            # Caught: undone by ward itself, before any delete.
            assert_clean(cw, cid, b, when + ", before delete", p.pid)
            continue
        if op == "create" and p.returncode == -signal.SIGTERM:
            # Not caught: before ward's handler was in place (nothing made
            # yet) or after create was complete and the handler given back
            # (a slow exit, as under ASan, widens that window).
            left = remains(cw, cid, p.pid)
            assert left == [] or json.loads(cw("state", cid).stdout)[
                "status"] == "created", "%s: %s" % (when, left)
        status = assert_listed_while_left(cw, cid)
        seen[status] = seen.get(status, 0) + 1
        rm = cw("delete", "--force", cid)
        assert rm.returncode == 0, "%s: delete --force: %s" % (when, rm.stderr)
        assert_clean(cw, cid, b, when, p.pid)
    print("%s: calibrated %.1f ms; state after the kill: %s" % (op, full * 1000,
                                                               seen))
