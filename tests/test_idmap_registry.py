# SPDX-License-Identifier: GPL-2.0-or-later
"""The idmap registry under damage, contention and lost containers (issue
10.7, 10.8, 12.4).

Like test_idmap.py, every test runs ward in a private mount namespace whose
/run/ward-idmap is a tmpfs of its own and whose /etc/subuid is a fake, so
the host's registry is never read or damaged.  The fake pool starts at
800000000: whether a range is in use is asked of the whole host (/proc), and
other users of ward on this host allocate far below that."""
import json
import os
import signal
import subprocess
import time

import pytest

from conftest import wait_for
from leak_guard import remove_cgroup
from test_idmap import (Host, NsWard, annotate, create, fails, host,  # noqa
                        init_map, registry, state_ids, traversable)

B = 800000000
K = 65536
FIRST = B + K
POOL = "root:%d:100000000\n" % B
REG = "/run/ward-idmap"


@pytest.fixture
def rw(tmp_path, host):  # noqa: F811
    traversable(tmp_path)
    host.shadow(POOL)
    w = NsWard(str(tmp_path / "state"), host)
    w.orphans = []
    yield w
    # Processes whose state a test removed: nothing else would stop them.
    for pid in w.orphans:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    w.cleanup()


def in_ns(host, script, check=True):
    return subprocess.run(host.prefix() + ["sh", "-ec", script], check=check,
                          capture_output=True, text=True, timeout=30)


def drop_by_hand(w, cid, kill=True):
    """What an operator's `rm -rf` of a state root does: the state goes, the
    cgroup too, the process stays unless KILL."""
    pid = json.loads(w("state", cid, check=True).stdout)["pid"]
    w.orphans.append(pid)
    if kill:
        os.kill(pid, signal.SIGKILL)
        assert wait_for(lambda: not os.path.exists("/proc/%d" % pid)
                        or open("/proc/%d/stat" % pid).read().split(") ")[1]
                        .startswith("Z"))
    # the cgroup too when killed; else at teardown (Ward.cleanup), also
    # when the test fails before it removes it
    w.drop_state(cid)
    if kill:
        assert remove_cgroup("/ward/" + cid) == []
    return pid


def sleeper(bundle):
    annotate(bundle, isolated="true")
    bundle.set_args("sleep", "300")
    return bundle


# ---- 10.7: a registry that does not validate is never written over ---------

BAD = [
    ("[]", "(top level): must be an object"),
    ("{}", "allocations: required"),
    ("[1,2,3]", "(top level): must be an object"),
    ('{"allocations": [{"key": "k", "uid": {"base": 18446744073709551615, '
     '"size": 1}, "gid": {"base": 1, "size": 1}}]}',
     "allocations[0].uid.base: must be a whole number from 0 to 4294967296"),
    ('{"allocations": [{"container": {"root": "/r", "id": "a"}, "uid": '
     '{"base": 800065536, "size": 65536}, "gid": {"base": 800065536, '
     '"size": 65536}}, {"container": {"root": "/r", "id": "a"}, "uid": '
     '{"base": 800065536, "size": 65536}, "gid": {"base": 800065536, '
     '"size": 65536}}]}',
     "allocations[1]: container a in /r is given twice"),
]


@pytest.mark.parametrize("text,why", BAD, ids=[
    "array", "empty-object", "numbers", "base-above-2^63", "duplicate"])
def test_invalid_old_registry_is_refused_and_kept(rw, host, bundle, text,
                                                  why):
    f = REG + "/allocations.json"
    with open(os.path.join(host.tmp, "bad.json"), "w") as out:
        out.write(text)
    in_ns(host, "cp %s/bad.json %s" % (host.tmp, f))
    annotate(bundle, isolated="true")
    p = create(rw, bundle, check=False)
    fails(p, "%s: %s" % (f, why))
    assert "left untouched, a copy in %s.invalid" % f in p.stderr
    assert state_ids(rw) == []
    fails(rw("idmap", "list"), f)
    assert in_ns(host, "cat " + f).stdout == text
    assert in_ns(host, "cat %s.invalid" % f).stdout == text


def test_invalid_entry_file_is_refused_and_kept(rw, host, bundle):
    annotate(bundle, isolated="true")
    a = create(rw, bundle)
    name = in_ns(host, "ls %s/entries" % REG).stdout.split()
    assert len(name) == 1
    f = "%s/entries/%s" % (REG, name[0])
    in_ns(host, "printf '[1,2,3]' > " + f)
    fails(rw("idmap", "list"), "%s: entry: must be an object (not a "
                               "valid idmap registry file: left untouched, a "
                               "copy in %s.invalid" % (f, f))
    # Its own container cannot be released over it either; nothing written.
    fails(rw("delete", a), f)
    assert in_ns(host, "cat " + f).stdout == "[1,2,3]"
    in_ns(host, "rm %s %s.invalid" % (f, f))
    rw("delete", a, check=True)


def test_same_id_again_keeps_a_running_containers_range(rw, bundle):
    a = create(rw, sleeper(bundle))
    rw("start", a, check=True)
    assert init_map(rw, a) == [["0", str(FIRST), str(K)]]
    pid = drop_by_hand(rw, a, kill=False)
    fails(create(rw, bundle, cid=a, check=False),
          "container %s in %s: the ids recorded for an earlier container of "
          "that name (uids %d-%d) are still used by pid %d"
          % (a, rw.root, FIRST, FIRST + K - 1, pid))
    assert [(e["container"], e["state"], e["uid"]["base"])
            for e in registry(rw)] == [(a, "no-state", FIRST)]
    # A new container does not get the running one's ids either.
    b = create(rw, bundle)
    assert init_map(rw, b)[0][1] == str(FIRST + K)
    rw("delete", "--force", b, check=True)
    # Once it is gone, the id is free again.
    os.kill(pid, signal.SIGKILL)
    assert wait_for(lambda: not os.path.exists("/proc/%d" % pid)
                    or open("/proc/%d/stat" % pid).read().split(") ")[1]
                    .startswith("Z"))
    assert remove_cgroup("/ward/" + a) == []
    assert create(rw, bundle, cid=a) == a
    assert init_map(rw, a)[0][1] == str(FIRST)
    rw("delete", "--force", a, check=True)
    assert registry(rw) == []


# ---- 12.4: ranges of containers that are gone are reclaimed ----------------

def test_next_allocation_reclaims_gone_never_live(rw, bundle):
    gone = create(rw, sleeper(bundle))
    live = create(rw, bundle)
    rw("start", gone, check=True)
    rw("start", live, check=True)
    assert init_map(rw, live)[0][1] == str(FIRST + K)
    drop_by_hand(rw, gone, kill=True)
    live_pid = drop_by_hand(rw, live, kill=False)
    assert sorted(e["state"] for e in registry(rw)) == ["no-state"] * 2
    c = create(rw, bundle)
    assert init_map(rw, c)[0][1] == str(FIRST)
    d = create(rw, bundle)
    assert init_map(rw, d)[0][1] == str(FIRST + 2 * K)
    assert sorted(e["container"] for e in registry(rw)) == sorted(
        [live, c, d])
    fails(rw("idmap", "release", live),
          "idmap release: container %s in %s: its ids are still used by "
          "pid %d" % (live, rw.root, live_pid))
    os.kill(live_pid, signal.SIGKILL)
    assert wait_for(lambda: rw("idmap", "release", live).returncode == 0), \
        rw("idmap", "release", live).stderr
    assert remove_cgroup("/ward/" + live) == []
    for cid in (c, d):
        rw("delete", "--force", cid, check=True)
    assert registry(rw) == []


# ---- 10.8: what does not need the registry does not wait for it ------------

def test_delete_without_idmap_needs_no_registry(rw, host, bundle,
                                                make_bundle):
    iso = create(rw, annotate(make_bundle(), isolated="true"))
    plain = create(rw, bundle)
    in_ns(host, "printf '{}' > %s/allocations.json" % REG)
    holder = subprocess.Popen(host.prefix() + [
        "flock", REG + "/lock", "sleep", "60"], start_new_session=True)
    try:
        assert wait_for(lambda: in_ns(
            host, "flock -n %s/lock true" % REG, check=False).returncode != 0)
        t = time.monotonic()
        rw("delete", plain, check=True, timeout=5)
        assert time.monotonic() - t < 3
        assert plain not in state_ids(rw)
        # What needs the registry waits a bounded time, then names who holds
        # the lock.
        t = time.monotonic()
        p = create(rw, annotate(make_bundle(), isolated="true"), check=False)
        took = time.monotonic() - t
        flock_pid = [int(x) for x in subprocess.run(
            ["pgrep", "-P", str(holder.pid)], capture_output=True,
            text=True).stdout.split()] + [holder.pid]
        fails(p, "%s/lock: held by pid " % REG)
        assert any("held by pid %d " % x in p.stderr for x in flock_pid), \
            p.stderr
        assert "for over 10 s" in p.stderr
        assert 9 <= took < 20
    finally:
        os.killpg(holder.pid, signal.SIGKILL)
        holder.wait()
    # The old file does not validate: the isolated container's own entry is
    # released all the same, and the old file is left as it was.
    rw("delete", iso, check=True)
    assert in_ns(host, "cat %s/allocations.json" % REG).stdout == "{}"
    in_ns(host, "rm %s/allocations.json" % REG)
    assert registry(rw) == []
