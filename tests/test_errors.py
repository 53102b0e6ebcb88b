# SPDX-License-Identifier: GPL-2.0-or-later
"""Bad input: one clear line, exit 1, and nothing left behind."""
import json
import os

import pytest

from conftest import assert_nothing_left, processes_with


def one_line(p):
    assert p.returncode == 1, (p.stdout, p.stderr)
    lines = p.stderr.splitlines()
    assert len(lines) == 1, p.stderr
    assert lines[0].startswith("ward: ")
    return lines[0][len("ward: "):]


def create(ward, bundle, cid=None):
    bundle.write()
    cid = cid or ward.new_id()
    return cid, ward("create", "--bundle", bundle.path, cid)


@pytest.mark.parametrize("mutate,message", [
    (lambda c: c["linux"].update(uidMappings=[
        {"containerID": 0, "hostID": 100000, "size": 0}]) or
     c["linux"]["namespaces"].append({"type": "user"}),
     "config.json: linux.uidMappings[0].size: must be > 0"),
    (lambda c: c["linux"]["namespaces"].append({"type": "foo"}),
     'config.json: linux.namespaces[5].type: unknown namespace type "foo"'),
    (lambda c: c["mounts"].append({"destination": "relative/dir",
                                   "type": "tmpfs", "source": "tmpfs"}),
     "config.json: mounts[7].destination: must be an absolute path"),
    (lambda c: c["process"].update(args=[]),
     "config.json: process.args: must not be empty"),
    (lambda c: c["process"].update(rlimits=[{"type": "RLIMIT_FOO", "soft": 1, "hard": 1}]),
     'config.json: process.rlimits[0].type: unknown rlimit "RLIMIT_FOO"'),
    (lambda c: c.update(root={"path": "nonexistent"}),
     None),
])
def test_bad_config(ward, bundle, mutate, message):
    mutate(bundle.config)
    cid, p = create(ward, bundle)
    msg = one_line(p)
    if message:
        assert msg == message
    else:
        assert msg.startswith("rootfs ") and "No such file or directory" in msg
    assert_nothing_left(ward, cid, bundle)


def test_invalid_json(ward, bundle):
    with open(os.path.join(bundle.path, "config.json"), "w") as f:
        f.write("{not json")
    cid = ward.new_id()
    p = ward("create", "--bundle", bundle.path, cid)
    assert one_line(p).startswith("config.json: invalid JSON")
    assert_nothing_left(ward, cid, bundle)


def test_missing_bundle_and_config(ward, bundle, tmp_path):
    cid = ward.new_id()
    p = ward("create", "--bundle", str(tmp_path / "nope"), cid)
    assert one_line(p) == "bundle %s: No such file or directory" % (tmp_path / "nope")
    p = ward("create", "--bundle", bundle.path, cid)  # no config.json written
    assert one_line(p) == "open %s/config.json: No such file or directory" % bundle.path
    assert_nothing_left(ward, cid, bundle)


@pytest.mark.parametrize("cid,message", [
    ("../x", 'invalid container id "../x": only [A-Za-z0-9_+.-] allowed'),
    ("", 'invalid container id "": must not be empty'),
    ("a" * 1025, "invalid container id: 1025 characters, at most 255 allowed"),
    ("a" * 256, "invalid container id: 256 characters, at most 255 allowed"),
    ("a/b", 'invalid container id "a/b": only [A-Za-z0-9_+.-] allowed'),
])
def test_invalid_id(ward, bundle, cid, message):
    bundle.write()
    p = ward("create", "--bundle", bundle.path, cid)
    assert one_line(p) == message
    assert not os.path.exists(ward.root) or os.listdir(ward.root) == []


def test_duplicate_id(ward, bundle):
    bundle.set_args("sleep", "10")
    cid, p = create(ward, bundle)
    assert p.returncode == 0, p.stderr
    p = ward("create", "--bundle", bundle.path, cid)
    assert one_line(p) == 'container "%s" already exists' % cid
    # the first one is untouched
    assert json.loads(ward("state", cid).stdout)["status"] == "created"


def test_bad_signal(ward, bundle):
    bundle.set_args("sleep", "10")
    cid, p = create(ward, bundle)
    p = ward("kill", cid, "SIGNOPE")
    assert one_line(p) == 'invalid signal "SIGNOPE"'


def test_failure_inside_init_leaves_nothing(ward, bundle, tmp_path):
    """A mount that fails in the init: the init, its mounts, the state and
    the cgroup are all gone afterwards."""
    bundle.config["mounts"].append({"destination": "/data", "type": "bind",
                                    "source": str(tmp_path / "missing"),
                                    "options": ["rbind"]})
    bundle.set_args("sleep", "4242")
    cid, p = create(ward, bundle)
    msg = one_line(p)
    assert "missing" in msg and "No such file or directory" in msg
    assert_nothing_left(ward, cid, bundle)
    assert processes_with("sleep 4242") == []


def test_missing_executable(ward, bundle):
    bundle.set_args("no-such-binary")
    cid, p = create(ward, bundle)
    assert one_line(p) == 'exec: "no-such-binary": executable file not found in $PATH'
    assert_nothing_left(ward, cid, bundle)


def test_terminal_needs_console_socket_when_detached(ward, bundle):
    bundle.config["process"]["terminal"] = True
    cid, p = create(ward, bundle)
    assert "--console-socket" in one_line(p)
    assert_nothing_left(ward, cid, bundle)


def test_unknown_command_and_option(ward):
    assert one_line(ward("frobnicate")) == 'unknown command "frobnicate" (see ward --help)'
    assert one_line(ward("--bogus", "list")) == "unknown global option --bogus"
