# SPDX-License-Identifier: GPL-2.0-or-later
"""Isolated idmaps for a Kubernetes pod (issue 12): containerd's
pod_annotations give the sandbox (pause) container and every app container
ward.idmap.isolated; the app containers join the sandbox's network, ipc and
uts namespaces by /proc/PID/ns/... path.  An app container joins the
sandbox's user namespace instead of allocating a range of its own.

Runs in test_idmap.py's private host (fake subuid, private registry)."""
import json
import os

from test_idmap import (B, FIRST, K, annotate, assert_host_clean, create,  # noqa: F401
                        fails, host, init_map, iw, map_lines, registry)

JOINED = ("network", "ipc", "uts")


def sandbox(w, bundle):
    annotate(bundle, isolated="true")
    bundle.set_args("sleep", "300")
    cid = create(w, bundle)
    w("start", cid, check=True)
    pid = json.loads(w("state", cid, check=True).stdout)["pid"]
    return cid, pid


def join(bundle, pid, kinds=JOINED, proc=None):
    proc = proc or {"network": "net"}
    for n in bundle.config["linux"]["namespaces"]:
        if n["type"] in kinds:
            n["path"] = "/proc/%d/ns/%s" % (pid, proc.get(n["type"],
                                                           n["type"]))


def test_app_container_joins_the_sandbox_user_namespace(iw, make_bundle):
    sb, sb_pid = sandbox(iw, make_bundle())
    sb_map = init_map(iw, sb)
    assert sb_map == [["0", str(FIRST), str(K)]]

    app_bundle = make_bundle()
    annotate(app_bundle, isolated="true")
    join(app_bundle, sb_pid)
    app_bundle.set_args("sleep", "300")
    app = create(iw, app_bundle)
    iw("start", app, check=True)
    assert init_map(iw, app) == sb_map
    assert init_map(iw, app, "gid_map") == init_map(iw, sb, "gid_map")
    app_pid = json.loads(iw("state", app, check=True).stdout)["pid"]
    for ns in ("user", "net", "ipc", "uts"):
        assert (open_ns(app_pid, ns) == open_ns(sb_pid, ns)), ns
    # Its own mount and pid namespaces, created inside the pod's user
    # namespace: /proc is mounted, the rootfs is owned by the pod's root.
    assert open_ns(app_pid, "mnt") != open_ns(sb_pid, "mnt")
    assert open_ns(app_pid, "pid") != open_ns(sb_pid, "pid")
    p = iw("exec", app, "sh", "-c", "cat /proc/self/uid_map "
           "/proc/self/gid_map; stat -c %u:%g / /bin/busybox; id -u")
    assert p.returncode == 0, p.stderr
    lines = p.stdout.strip().splitlines()
    assert map_lines("\n".join(lines[:2])) == sb_map * 2
    assert lines[2:5] == ["0:0", "0:0", "0"]

    # One range for the pair: the sandbox's.
    reg = registry(iw)
    assert [(e["container"], e["kind"]) for e in reg] == [(sb, "isolated")]

    iw("delete", "--force", app, check=True)
    assert [e["container"] for e in registry(iw)] == [sb]
    iw("delete", "--force", sb, check=True)
    assert_host_clean(iw)


def open_ns(pid, ns):
    st = os.stat("/proc/%d/ns/%s" % (pid, ns))
    return (st.st_dev, st.st_ino)


def test_setns_error_reaches_the_user(iw, make_bundle):
    """A container with a user namespace of its own (OCI maps, no
    annotation) cannot join a network namespace owned by the sandbox's:
    the init's setns error is shown, not a broken pipe."""
    sb, sb_pid = sandbox(iw, make_bundle())
    app_bundle = make_bundle()
    cfg = app_bundle.config["linux"]
    cfg["namespaces"].append({"type": "user"})
    cfg["uidMappings"] = [{"containerID": 0, "hostID": 3000000, "size": K}]
    cfg["gidMappings"] = [{"containerID": 0, "hostID": 3000000, "size": K}]
    join(app_bundle, sb_pid, kinds=("network",))
    p = create(iw, app_bundle, check=False)
    fails(p, "join network namespace /proc/%d/ns/net: Operation not "
             "permitted" % sb_pid)
    assert [e["container"] for e in registry(iw)] == [sb]
    iw("delete", "--force", sb, check=True)
    assert_host_clean(iw)


def test_namespace_path_of_another_kind(iw, make_bundle):
    sb, sb_pid = sandbox(iw, make_bundle())
    app_bundle = make_bundle()
    annotate(app_bundle, isolated="true")
    join(app_bundle, sb_pid, kinds=("network",), proc={"network": "ipc"})
    fails(create(iw, app_bundle, check=False),
          "linux.namespaces: network namespace path /proc/%d/ns/ipc: is a "
          "ipc namespace" % sb_pid)
    iw("delete", "--force", sb, check=True)
    assert_host_clean(iw)


def test_foreign_namespace_not_by_proc_path(iw, make_bundle, tmp_path):
    """The maps of a namespace bind-mounted elsewhere cannot be read: one
    line says so, nothing is left."""
    sb, sb_pid = sandbox(iw, make_bundle())
    target = tmp_path / "netns"
    target.write_text("")
    iw.host.sh("mount --bind /proc/%d/ns/net %s" % (sb_pid, target))
    app_bundle = make_bundle()
    annotate(app_bundle, isolated="true")
    for n in app_bundle.config["linux"]["namespaces"]:
        if n["type"] == "network":
            n["path"] = str(target)
    fails(create(iw, app_bundle, check=False),
          "ward.idmap.isolated: the network namespace %s belongs to another "
          "user namespace, which ward joins only when the path has the form "
          "/proc/PID/ns/net" % target)
    iw.host.sh("umount %s" % target)
    iw("delete", "--force", sb, check=True)
    assert_host_clean(iw)
