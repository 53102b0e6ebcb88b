# SPDX-License-Identifier: GPL-2.0-or-later
"""What every ward invocation pays before it does anything: the libraries
it loads and the copy of itself it re-executes from (issue 15)."""
import os
import subprocess

import pytest

from conftest import WARD, init_pid


def loaded_libraries(*args):
    """Shared objects ld.so maps for `ward ARGS` (LD_DEBUG=files)."""
    env = dict(os.environ, LD_DEBUG="files")
    p = subprocess.run([WARD] + list(args), capture_output=True, text=True,
                       env=env, timeout=60)
    return {line.split("file=", 1)[1].split()[0]
            for line in p.stderr.splitlines() if "file=" in line}


def test_commands_without_mounts_do_not_load_libmount(tmp_path):
    # libmount pulls in libblkid, libselinux (whose constructor probes
    # selinuxfs) and pcre2: ~1 ms of CPU for `state`, which never mounts.
    libs = loaded_libraries("--root", str(tmp_path), "state", "no-such-id")
    assert "libyajl.so.2" in libs  # the probe sees what is loaded
    assert not {"libmount.so.1", "libselinux.so.1", "libblkid.so.1"} & libs


def test_init_has_libmount_from_the_host_before_entering(ward, bundle):
    # Loaded on first use, but a command that puts a process into a
    # container loads it before any namespace exists: the init (ward code
    # until it execs) must never look it up through the container's mounts.
    bundle.set_args("sleep", "10").write()
    cid = ward.new_id()
    assert ward("create", "--bundle", bundle.path, cid).returncode == 0
    pid = init_pid(ward, cid)
    with open("/proc/%d/maps" % pid) as f:
        maps = [line.split() for line in f if "libmount.so" in line]
    assert maps, "libmount not mapped in the init"
    for m in maps:
        # the file mapped is the host's file of that name, not one that
        # merely has the same path somewhere else
        mapped = os.stat("/proc/%d/map_files/%s" % (pid, m[0]))
        host = os.stat(m[-1])
        assert (mapped.st_dev, mapped.st_ino) == (host.st_dev, host.st_ino), m


def test_memfd_copy_holds_the_loaded_image_only(ward, bundle):
    # The re-exec from a sealed memfd (CVE-2019-5736) copied the whole file
    # each time, debug info included: 1.3 MB for a -g build, ~3 ms.
    out = subprocess.run(["readelf", "-SW", WARD], capture_output=True,
                         text=True).stdout
    if ".debug_info" not in out:
        pytest.skip("%s has no debug info: the copy is the whole file "
                    "either way" % WARD)
    bundle.set_args("sleep", "10").write()
    cid = ward.new_id()
    assert ward("create", "--bundle", bundle.path, cid).returncode == 0
    pid = init_pid(ward, cid)
    assert os.readlink("/proc/%d/exe" % pid).startswith("/memfd:ward")
    copy = os.stat("/proc/%d/exe" % pid).st_size
    assert copy < os.path.getsize(WARD) / 2
