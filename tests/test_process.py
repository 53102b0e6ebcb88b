# SPDX-License-Identifier: GPL-2.0-or-later
"""process.*, hostname, sysctl, namespaces: what the container sees."""
import os
import subprocess
import time

import leak_guard
from conftest import WARD, run_container


def status_field(text, name):
    for line in text.splitlines():
        if line.startswith(name + ":"):
            return line.split(":", 1)[1].strip()
    raise KeyError(name)


def test_capabilities_and_no_new_privs(ward, bundle):
    p = run_container(ward, bundle, "cat", "/proc/self/status")
    assert p.returncode == 0, p.stderr
    # the default set: 0xa80425fb (runc's default list)
    assert status_field(p.stdout, "CapEff") == "00000000a80425fb"
    assert status_field(p.stdout, "CapBnd") == "00000000a80425fb"
    assert status_field(p.stdout, "NoNewPrivs") == "1"


def test_empty_capabilities_and_privs_allowed(ward, bundle):
    bundle.config["process"]["capabilities"] = {"bounding": ["CAP_KILL"]}
    bundle.config["process"]["noNewPrivileges"] = False
    p = run_container(ward, bundle, "cat", "/proc/self/status")
    # root execs with its bounding set as effective (kernel rule, as in runc)
    assert status_field(p.stdout, "CapEff") == "0000000000000020"
    assert status_field(p.stdout, "CapBnd") == "0000000000000020"
    assert status_field(p.stdout, "NoNewPrivs") == "0"


def test_ambient_capability_for_non_root(ward, bundle):
    caps = ["CAP_NET_BIND_SERVICE"]
    bundle.config["process"]["capabilities"] = {
        k: caps for k in ("bounding", "effective", "permitted", "inheritable",
                          "ambient")}
    bundle.config["process"]["user"] = {"uid": 1000, "gid": 1000}
    p = run_container(ward, bundle, "cat", "/proc/self/status")
    assert status_field(p.stdout, "CapAmb") == "0000000000000400"
    assert status_field(p.stdout, "CapEff") == "0000000000000400"


def test_user_groups_umask(ward, bundle):
    bundle.config["root"]["readonly"] = False
    bundle.config["process"]["user"] = {"uid": 1000, "gid": 1001,
                                        "additionalGids": [5, 7], "umask": 0o077}
    p = run_container(ward, bundle, "sh", "-c",
                      "id -u; id -g; id -G; umask; touch /tmp/f; stat -c %a /tmp/f")
    assert p.returncode == 0, p.stderr
    lines = p.stdout.split("\n")
    assert lines[0] == "1000"
    assert lines[1] == "1001"
    assert set(lines[2].split()) == {"1001", "5", "7"}
    assert lines[3] == "0077"
    assert lines[4] == "600"


def test_env_cwd_and_missing_cwd_created(ward, bundle):
    bundle.config["process"]["env"].append("FOO=bar baz")
    bundle.config["process"]["cwd"] = "/work/dir"
    p = run_container(ward, bundle, "sh", "-c", "echo $FOO; pwd")
    assert p.stdout == "bar baz\n/work/dir\n"


def test_hostname_domainname(ward, bundle):
    bundle.config["hostname"] = "boxy"
    bundle.config["domainname"] = "example.test"
    p = run_container(ward, bundle, "sh", "-c",
                      "hostname; cat /proc/sys/kernel/domainname")
    assert p.stdout == "boxy\nexample.test\n"


def test_rlimits(ward, bundle):
    bundle.config["process"]["rlimits"] = [
        {"type": "RLIMIT_NOFILE", "soft": 512, "hard": 1000},
        {"type": "RLIMIT_NPROC", "soft": 300, "hard": 400},
    ]
    p = run_container(ward, bundle, "sh", "-c", "ulimit -n; ulimit -Hn; ulimit -u")
    assert p.stdout.split() == ["512", "1000", "300"]


def test_rlimit_above_hard_limit_fails_cleanly(ward, bundle):
    # CAP_SYS_RESOURCE is missing on this host: raising above the hard
    # limit must fail with a line naming the field, and leave nothing.
    import resource
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    if hard == resource.RLIM_INFINITY:
        import pytest
        pytest.skip("RLIMIT_NOFILE hard limit is unlimited here")
    bundle.config["process"]["rlimits"] = [
        {"type": "RLIMIT_NOFILE", "soft": hard * 4, "hard": hard * 4}]
    bundle.set_args("true").write()
    cid = ward.new_id()
    p = ward("run", "--bundle", bundle.path, cid)
    if p.returncode == 0:
        import pytest
        pytest.skip("this machine can raise rlimits (has CAP_SYS_RESOURCE)")
    assert p.stderr.count("\n") == 1
    assert "process.rlimits[0]" in p.stderr
    from conftest import assert_nothing_left
    assert_nothing_left(ward, cid, bundle)


def test_oom_score_adj(ward, bundle):
    bundle.config["process"]["oomScoreAdj"] = 500
    p = run_container(ward, bundle, "cat", "/proc/self/oom_score_adj")
    assert p.stdout.strip() == "500"


def test_sysctl(ward, bundle):
    bundle.config["linux"]["sysctl"] = {"net.ipv4.ip_forward": "1",
                                        "kernel.shmmni": "1234"}
    p = run_container(ward, bundle, "sh", "-c",
                      "cat /proc/sys/net/ipv4/ip_forward /proc/sys/kernel/shmmni")
    assert p.stdout.split() == ["1", "1234"]
    with open("/proc/sys/kernel/shmmni") as f:
        assert f.read().strip() != "1234"


def test_pid_namespace_and_readonly_root(ward, bundle):
    p = run_container(ward, bundle, "sh", "-c",
                      "echo $$; touch /x 2>/dev/null && echo writable || echo ro")
    assert p.stdout.split() == ["1", "ro"]


def test_writable_root(ward, bundle):
    bundle.config["root"]["readonly"] = False
    p = run_container(ward, bundle, "sh", "-c", "touch /x && echo ok")
    assert p.stdout.strip() == "ok"
    assert os.path.exists(os.path.join(bundle.rootfs, "x"))


def test_masked_and_readonly_paths(ward, bundle):
    os.makedirs(os.path.join(bundle.rootfs, "home", "secret"))
    bundle.config["linux"]["maskedPaths"] = ["/proc/keys", "/home",
                                             "/nonexistent"]
    p = run_container(ward, bundle, "sh", "-c",
                      "wc -c < /proc/keys; ls /home | wc -l; "
                      "touch /home/x 2>/dev/null || echo ro-tmpfs; "
                      "echo 1 > /proc/sys/kernel/shmmni 2>/dev/null || echo ro-sys")
    assert p.stdout.split() == ["0", "0", "ro-tmpfs", "ro-sys"]


def test_join_network_namespace_by_path(ward, bundle, tmp_path):
    name = leak_guard.own("wardtest%d" % os.getpid())
    subprocess.run(["ip", "netns", "add", name], check=True)
    try:
        subprocess.run(["ip", "-n", name, "link", "add", "wdummy0", "type",
                        "veth", "peer", "name", "wdummy1"], check=True)
        ns = bundle.config["linux"]["namespaces"]
        for n in ns:
            if n["type"] == "network":
                n["path"] = "/run/netns/" + name
        p = run_container(ward, bundle, "cat", "/proc/net/dev")
        assert p.returncode == 0, p.stderr
        assert "wdummy0" in p.stdout
    finally:
        subprocess.run(["ip", "netns", "del", name])


def test_new_network_namespace_has_only_lo(ward, bundle):
    p = run_container(ward, bundle, "cat", "/proc/net/dev")
    ifaces = [l.split(":")[0].strip() for l in p.stdout.splitlines()[2:]]
    assert ifaces == ["lo"]


def test_time_namespace_offsets(ward, bundle):
    bundle.config["linux"]["namespaces"].append({"type": "time"})
    bundle.config["linux"]["timeOffsets"] = {
        "boottime": {"secs": 86400 * 365, "nanosecs": 0}}
    p = run_container(ward, bundle, "cat", "/proc/uptime")
    assert p.returncode == 0, p.stderr
    assert float(p.stdout.split()[0]) > 86400 * 365


def test_exec_fifo_blocks_until_start(ward, bundle, tmp_path):
    marker = os.path.join(bundle.rootfs, "tmp", "ran")
    bundle.config["root"]["readonly"] = False
    bundle.set_args("touch", "/tmp/ran").write()
    cid = ward.new_id()
    ward("create", "--bundle", bundle.path, cid, check=True)
    time.sleep(0.3)
    assert not os.path.exists(marker)
    ward("start", cid, check=True)
    for _ in range(50):
        if os.path.exists(marker):
            break
        time.sleep(0.05)
    assert os.path.exists(marker)
