# SPDX-License-Identifier: GPL-2.0-or-later
"""mounts[], /dev, pivot_root: what the container sees and what the host
never sees."""
import os

from conftest import mounts_with, run_container


def add_mount(bundle, **m):
    bundle.config["mounts"].append(m)


def test_bind_readonly_and_missing_destination_created(ward, bundle, tmp_path):
    src = tmp_path / "data"
    src.mkdir()
    (src / "hello").write_text("from host\n")
    add_mount(bundle, destination="/deep/new/data", type="bind",
              source=str(src), options=["rbind", "ro", "nosuid"])
    p = run_container(ward, bundle, "sh", "-c",
                      "cat /deep/new/data/hello; touch /deep/new/data/x 2>/dev/null"
                      " && echo rw || echo ro")
    assert p.stdout == "from host\nro\n"
    assert not (src / "x").exists()


def test_bind_file_and_relative_source(ward, bundle):
    with open(os.path.join(bundle.path, "greeting"), "w") as f:
        f.write("hi\n")
    add_mount(bundle, destination="/etc/greeting", type="bind",
              source="greeting", options=["bind"])
    p = run_container(ward, bundle, "cat", "/etc/greeting")
    assert p.stdout == "hi\n"


def test_tmpfs_options(ward, bundle):
    add_mount(bundle, destination="/scratch", type="tmpfs", source="tmpfs",
              options=["nosuid", "nodev", "mode=1777", "size=1m"])
    p = run_container(ward, bundle, "sh", "-c",
                      "stat -c %a /scratch; grep ' /scratch ' /proc/mounts")
    lines = p.stdout.splitlines()
    assert lines[0] == "1777"
    assert "size=1024k" in lines[1] and "nosuid" in lines[1] and "nodev" in lines[1]


def test_tmpcopyup(ward, bundle):
    add_mount(bundle, destination="/etc", type="tmpfs", source="tmpfs",
              options=["tmpcopyup", "mode=755"])
    p = run_container(ward, bundle, "sh", "-c",
                      "grep ' /etc ' /proc/mounts | cut -d' ' -f3; head -1 /etc/passwd;"
                      " echo new > /etc/new && cat /etc/new")
    assert p.stdout.splitlines() == ["tmpfs", "root:x:0:0:root:/root:/bin/sh", "new"]
    assert not os.path.exists(os.path.join(bundle.rootfs, "etc", "new"))


def test_symlink_destination_stays_inside_rootfs(ward, bundle, tmp_path):
    """An image symlink pointing at a host path must not redirect the mount
    (CVE-2021-30465 family): it resolves inside the rootfs."""
    host_target = tmp_path / "host-target"
    host_target.mkdir()
    os.symlink(str(host_target), os.path.join(bundle.rootfs, "evil"))
    add_mount(bundle, destination="/evil", type="tmpfs", source="tmpfs")
    p = run_container(ward, bundle, "sh", "-c", "grep -c tmpfs /proc/mounts")
    assert p.returncode == 0, p.stderr
    assert mounts_with(str(host_target)) == []
    # it landed on <rootfs><host_target> instead, inside the rootfs
    assert os.path.isdir(bundle.rootfs + str(host_target))


def test_recursive_readonly(ward, bundle, tmp_path):
    src = tmp_path / "tree"
    src.mkdir()
    add_mount(bundle, destination="/tree", type="bind", source=str(src),
              options=["rbind", "rro"])
    p = run_container(ward, bundle, "sh", "-c",
                      "touch /tree/x 2>/dev/null && echo rw || echo ro")
    assert p.stdout.strip() == "ro"


def test_default_devices(ward, bundle):
    p = run_container(ward, bundle, "sh", "-c",
                      "for d in null zero full random urandom tty; do "
                      "stat -c '%n %t:%T %a' /dev/$d; done; "
                      "echo x > /dev/null && echo null-ok; readlink /dev/ptmx; readlink /dev/fd")
    lines = p.stdout.splitlines()
    assert lines[:6] == ["/dev/null 1:3 666", "/dev/zero 1:5 666",
                         "/dev/full 1:7 666", "/dev/random 1:8 666",
                         "/dev/urandom 1:9 666", "/dev/tty 5:0 666"]
    assert lines[6:] == ["null-ok", "pts/ptmx", "/proc/self/fd"]


def test_linux_devices(ward, bundle):
    bundle.config["linux"]["devices"] = [
        {"path": "/dev/fuse", "type": "c", "major": 10, "minor": 229,
         "fileMode": 0o600, "uid": 0, "gid": 0}]
    p = run_container(ward, bundle, "stat", "-c", "%F %t:%T %a", "/dev/fuse")
    assert p.stdout.strip() == "character special file a:e5 600"


def test_devpts_newinstance(ward, bundle):
    p = run_container(ward, bundle, "sh", "-c",
                      "grep ' /dev/pts ' /proc/mounts")
    assert "ptmxmode=666" in p.stdout and "mode=620" in p.stdout and "gid=5" in p.stdout


def test_no_pivot(ward, bundle):
    bundle.set_args("sh", "-c", "ls /; cat /proc/self/mountinfo | head -1").write()
    cid = ward.new_id()
    p = ward("run", "--no-pivot", "--bundle", bundle.path, cid)
    assert p.returncode == 0, p.stderr
    assert "bin" in p.stdout.split()


def test_cgroup_mount_visible(ward, bundle):
    p = run_container(ward, bundle, "sh", "-c", "ls /sys/fs/cgroup | wc -l")
    assert int(p.stdout) > 0


def test_host_mount_table_untouched(ward, bundle):
    before = open("/proc/self/mountinfo").read().count("\n")
    run_container(ward, bundle, "true")
    after = open("/proc/self/mountinfo").read().count("\n")
    assert before == after
    assert mounts_with(bundle.rootfs) == []


def test_rootfs_below_private_dir_in_user_namespace(ward, bundle, tmp_path):
    """The container's root (host uid 200000 here) cannot search the 0700
    directories above the bundle; ward opens the rootfs before switching."""
    os.chmod(str(tmp_path), 0o700)
    os.chmod(os.path.dirname(str(tmp_path)), 0o700)
    bundle.config["linux"]["namespaces"].append({"type": "user"})
    bundle.config["linux"]["uidMappings"] = [
        {"containerID": 0, "hostID": 200000, "size": 65536}]
    bundle.config["linux"]["gidMappings"] = [
        {"containerID": 0, "hostID": 200000, "size": 65536}]
    bundle.config["mounts"] = [m for m in bundle.config["mounts"]
                               if m["type"] not in ("sysfs", "cgroup")]
    p = run_container(ward, bundle, "sh", "-c",
                      "cat /proc/self/uid_map; stat -c %u /bin/busybox")
    assert p.returncode == 0, p.stderr
    assert p.stdout.split() == ["0", "200000", "65536", "0"]


def test_rootfs_below_dir_owned_by_container_root(ward, bundle, tmp_path):
    """podman's layout with --uidmap: a storage dir owned by the container's
    root (host 200000), mode 0700, below a 0700 dir owned by host root.
    Only a process that is host root for the first and holds capabilities
    over mapped ids for the second gets through."""
    import shutil
    os.chmod(str(tmp_path), 0o700)
    owned = tmp_path / "owned"
    owned.mkdir()
    shutil.copytree(bundle.rootfs, str(owned / "rootfs"), symlinks=True)
    os.chown(str(owned), 200000, 200000)
    os.chmod(str(owned), 0o700)
    bundle.config["root"]["path"] = str(owned / "rootfs")
    bundle.config["linux"]["namespaces"].append({"type": "user"})
    bundle.config["linux"]["uidMappings"] = [
        {"containerID": 0, "hostID": 200000, "size": 65536}]
    bundle.config["linux"]["gidMappings"] = [
        {"containerID": 0, "hostID": 200000, "size": 65536}]
    bundle.config["mounts"] = [m for m in bundle.config["mounts"]
                               if m["type"] not in ("sysfs", "cgroup")]
    # (ward once opened the rootfs before the maps existed: a race that
    # podman's --uidmap test caught now and then; this layout pins the rule)
    for _ in range(5):
        p = run_container(ward, bundle, "cat", "/proc/self/uid_map")
        assert p.returncode == 0, p.stderr
        assert p.stdout.split() == ["0", "200000", "65536"]
