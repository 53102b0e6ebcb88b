# SPDX-License-Identifier: GPL-2.0-or-later
"""process.scheduler, process.ioPriority, process.execCPUAffinity and the
LSM labels, in real containers: what the kernel reports inside, and the
errors for what this host cannot do."""
import os

import pytest

from conftest import assert_nothing_left, requires, run_container




def refused(ward, bundle):
    bundle.write()
    cid = ward.new_id()
    p = ward("create", "--bundle", bundle.path, cid)
    assert p.returncode != 0
    line = p.stderr.strip()
    assert "\n" not in line
    assert_nothing_left(ward, cid)
    return line


def refused_at_run(ward, bundle):
    bundle.write()
    cid = ward.new_id()
    p = ward("run", "--bundle", bundle.path, cid)
    assert p.returncode != 0
    line = p.stderr.strip()
    assert "\n" not in line
    assert_nothing_left(ward, cid)
    return line


def sched_policy(text):
    for l in text.splitlines():
        if l.startswith("policy"):
            return int(l.split(":")[1])
    return None


def test_scheduler_batch_with_nice(ward, bundle):
    bundle.config["process"]["scheduler"] = {"policy": "SCHED_BATCH", "nice": 5}
    p = run_container(ward, bundle, "sh", "-c",
                      "cat /proc/self/sched; cut -d' ' -f19 /proc/self/stat")
    assert p.returncode == 0, p.stderr
    assert sched_policy(p.stdout) == 3
    assert p.stdout.splitlines()[-1] == "5"


def test_scheduler_fifo_without_cap_sys_nice(ward, bundle):
    # The container has no CAP_SYS_NICE: ward must set the policy while it
    # still holds its own privileges, before the capability drop.
    assert "CAP_SYS_NICE" not in bundle.config["process"]["capabilities"]["bounding"]
    bundle.config["process"]["scheduler"] = {"policy": "SCHED_FIFO", "priority": 10}
    # With cgroup v1 real-time group scheduling a new cgroup gets no
    # real-time budget and the kernel refuses SCHED_FIFO in it, for every
    # runtime: ward must say so instead of a bare EPERM.
    if os.path.exists("/sys/fs/cgroup/cpu/cpu.rt_runtime_us"):
        line = refused_at_run(ward, bundle)
        assert line == ("ward: process.scheduler: sched_setattr SCHED_FIFO (a "
                        "cgroup v1 cpu controller gives a new cgroup no "
                        "real-time budget: set linux.resources.cpu."
                        "realtimeRuntime): Operation not permitted"), line
        return
    p = run_container(ward, bundle, "cat", "/proc/self/sched")
    assert p.returncode == 0, p.stderr
    assert sched_policy(p.stdout) == 1


def test_io_priority(ward, bundle):
    bundle.config["process"]["ioPriority"] = {"class": "IOPRIO_CLASS_BE",
                                              "priority": 5}
    p = run_container(ward, bundle, "ionice")
    assert p.returncode == 0, p.stderr
    assert p.stdout.strip() == "best-effort: prio 5"


def cpus(text):
    for l in text.splitlines():
        if l.startswith("Cpus_allowed_list:"):
            return l.split(":", 1)[1].strip()
    return None


def test_exec_cpu_affinity_final(ward, bundle):
    requires("2cpus")
    bundle.config["process"]["execCPUAffinity"] = {"initial": "0", "final": "1"}
    p = run_container(ward, bundle, "cat", "/proc/self/status")
    assert p.returncode == 0, p.stderr
    assert cpus(p.stdout) == "1"


def test_exec_cpu_affinity_initial_only_ends_on_all_cpus(ward, bundle):
    # initial only narrows ward's own set-up work; the process gets every
    # CPU back (runc resets too).
    n = os.cpu_count()
    bundle.config["process"]["execCPUAffinity"] = {"initial": "0"}
    p = run_container(ward, bundle, "cat", "/proc/self/status")
    assert p.returncode == 0, p.stderr
    assert cpus(p.stdout) == ("0-%d" % (n - 1) if n > 1 else "0")


@pytest.mark.parametrize("how", ["create", "run"])
def test_exec_cpu_affinity_initial_on_a_missing_cpu(ward, bundle, how):
    # The init fails at its first step, before it reports JOINED; ward may
    # have sent GO already (no user namespace: it does not wait), and the
    # user must still get the init's own error, not a broken pipe.
    bundle.config["process"]["execCPUAffinity"] = {
        "initial": str(os.cpu_count() + 1)}
    for _ in range(5):
        line = (refused if how == "create" else refused_at_run)(ward, bundle)
        assert line.startswith("ward: process.execCPUAffinity.initial: "
                               "sched_setaffinity %d: Invalid argument"
                               % (os.cpu_count() + 1)), line


def test_scheduler_priority_needs_realtime_policy(ward, bundle):
    bundle.config["process"]["scheduler"] = {"policy": "SCHED_OTHER",
                                             "priority": 5}
    line = refused(ward, bundle)
    assert line.endswith("process.scheduler.priority: only SCHED_FIFO and "
                         "SCHED_RR take a priority")


@pytest.mark.parametrize("field,value,message", [
    ("apparmorProfile", "ward-default",
     "process.apparmorProfile: AppArmor is not enabled on this host"),
    ("selinuxLabel", "system_u:system_r:container_t:s0:c1,c2",
     "process.selinuxLabel: SELinux is not enabled on this host"),
    ("mountLabel", "system_u:object_r:container_file_t:s0:c1,c2",
     "linux.mountLabel: SELinux is not enabled on this host"),
])
def test_lsm_label_without_lsm_is_an_error(ward, bundle, field, value, message):
    # A naive runtime ignores the label and runs the container unconfined.
    requires("no-apparmor" if field == "apparmorProfile" else "no-selinux")
    if field == "mountLabel":
        bundle.config["linux"][field] = value
    else:
        bundle.config["process"][field] = value
    line = refused(ward, bundle)
    assert line.endswith(message), line
