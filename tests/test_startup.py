# SPDX-License-Identifier: GPL-2.0-or-later
"""What every ward invocation pays before it does anything: the libraries
it loads and the copy of itself it re-executes from (issue 15)."""
import os
import shutil
import subprocess

import pytest

from conftest import WARD, init_pid


def loaded_libraries(*args, wrap=lambda *cmd: list(cmd), ok=False):
    """Shared objects ld.so maps for `ward ARGS` (LD_DEBUG=files), the
    command line put through WRAP; OK: the command must succeed."""
    p = subprocess.run(wrap("env", "LD_DEBUG=files", WARD, *args),
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 0 or not ok, p.stderr[-2000:]
    return {line.split("file=", 1)[1].split()[0]
            for line in p.stderr.splitlines() if "file=" in line}


def test_commands_without_mounts_do_not_load_libmount(tmp_path):
    # libmount pulls in libblkid, libselinux (whose constructor probes
    # selinuxfs) and pcre2: ~1 ms of CPU for `state`, which never mounts.
    libs = loaded_libraries("--root", str(tmp_path), "state", "no-such-id")
    assert "libc.so.6" in libs  # the probe sees what is loaded
    assert not {"libmount.so.1", "libselinux.so.1", "libblkid.so.1"} & libs


def v2_view(*cmd):
    """CMD in a private mount namespace whose /sys/fs/cgroup is a pure
    cgroup2 mount (how most hosts look; this one is hybrid)."""
    return ["unshare", "-m", "--propagation", "private", "sh", "-c",
            'mount -t cgroup2 none /sys/fs/cgroup && exec "$@"', "sh"] + list(cmd)


LAZY = {"libmount.so.1", "libblkid.so.1", "libselinux.so.1", "libcriu.so.2",
        "libprotobuf-c.so.1", "libseccomp.so.2"}


def test_run_loads_no_lazy_library(ward, bundle):
    # On a cgroup2 host `run` of a config without seccomp needs none of
    # them: the layout comes from statfs, mount options from libmount's
    # table copied at build time.
    bundle.write()
    libs = loaded_libraries("--root", ward.root, "run", "--bundle",
                            bundle.path, ward.new_id(), wrap=v2_view, ok=True)
    assert "libc.so.6" in libs
    assert not LAZY & libs, LAZY & libs


def test_seccomp_loads_libseccomp_and_nothing_else(ward, bundle):
    bundle.config["linux"]["seccomp"] = {
        "defaultAction": "SCMP_ACT_ALLOW",
        "syscalls": [{"names": ["kexec_load"], "action": "SCMP_ACT_ERRNO"}]}
    bundle.write()
    libs = loaded_libraries("--root", ward.root, "run", "--bundle",
                            bundle.path, ward.new_id(), wrap=v2_view, ok=True)
    assert LAZY & libs == {"libseccomp.so.2"}


def test_init_maps_only_host_libraries(ward, bundle):
    # A library ward loads lazily must be in place before any namespace is
    # made: the init (ward code until it execs) must never find one through
    # the container's mounts.  Every shared object it maps is the host's
    # file of that name, and it maps no lazily loaded one it did not have
    # before (on this hybrid host the layout detection loads libmount).
    bundle.set_args("sleep", "10").write()
    cid = ward.new_id()
    assert ward("create", "--bundle", bundle.path, cid).returncode == 0
    pid = init_pid(ward, cid)
    with open("/proc/%d/maps" % pid) as f:
        maps = [line.split() for line in f if ".so" in line]
    assert maps
    for m in maps:
        mapped = os.stat("/proc/%d/map_files/%s" % (pid, m[0]))
        host = os.stat(m[-1])
        assert (mapped.st_dev, mapped.st_ino) == (host.st_dev, host.st_ino), m


def test_unprivileged_copy_holds_the_loaded_image_only(tmp_path):
    # Without the right to make a detached mount (here: in a user
    # namespace), ward re-executes from a sealed memfd copy of itself: only
    # the loaded image, not the debug info (1.3 MB for a -g build, ~3 ms).
    out = subprocess.run(["readelf", "-SW", WARD], capture_output=True,
                         text=True).stdout
    p = subprocess.run(
        ["strace", "-f", "-e", "trace=open_tree,memfd_create,sendfile,execveat",
         "unshare", "-Ur", WARD, "--root", str(tmp_path / "root"), "run",
         "--bundle", str(tmp_path / "none"), "x"],
        capture_output=True, text=True, timeout=60)
    trace = p.stderr
    assert "open_tree(" in trace and "EPERM" in trace.split("open_tree(")[1]
    assert 'memfd_create("ward"' in trace
    assert "execveat(" in trace
    dyn = subprocess.run(["readelf", "-d", WARD], capture_output=True,
                         text=True).stdout
    # a sanitizer build copies all of itself: its reports need the symbols
    if ".debug_info" in out and "libasan" not in dyn:
        copied = sum(int(line.rsplit("=", 1)[1].split()[0])
                     for line in trace.splitlines()
                     if line.startswith("sendfile") or " sendfile(" in line
                     and "=" in line)
        assert 0 < copied < os.path.getsize(WARD) / 2


def test_root_runs_from_a_readonly_mount_without_a_copy(ward, bundle):
    bundle.set_args("sleep", "10").write()
    cid = ward.new_id()
    assert ward("create", "--bundle", bundle.path, cid).returncode == 0
    pid = init_pid(ward, cid)
    exe = "/proc/%d/exe" % pid
    assert os.readlink(exe) == "/"
    assert os.statvfs(exe).f_flag & os.ST_RDONLY
    assert os.stat(exe).st_ino == os.stat(WARD).st_ino  # the file, uncopied


def test_needs_only_libc_and_is_smaller_than_crun(tmp_path):
    # yajl and libcap are linked in, the rest is loaded on use; `make
    # install` strips, and the result is no bigger than crun's binary.
    out = subprocess.run(["readelf", "-d", WARD], capture_output=True,
                         text=True).stdout
    if "libasan" in out:
        pytest.skip("%s is a sanitizer build (make asan): it needs the "
                    "sanitizer runtimes and is not the installed size" % WARD)
    needed = {line.split("[", 1)[1].rstrip("]") for line in out.splitlines()
              if "(NEEDED)" in line}
    assert needed == {"libc.so.6"}
    crun = shutil.which("crun")
    if crun is None:
        pytest.skip("crun not installed: no size to compare with")
    sizes = []
    for name, path in (("ward", WARD), ("crun", crun)):
        dst = str(tmp_path / name)
        subprocess.run(["strip", "-o", dst, path], check=True)
        sizes.append(os.path.getsize(dst))
    assert sizes[0] <= sizes[1], sizes
