# SPDX-License-Identifier: GPL-2.0-or-later
"""Network namespaces the network tests make (never the host's interfaces),
containers wired by ward-net, and the send-and-watch step every attack uses."""
import contextlib
import json
import os
import shutil
import subprocess
import sys
import uuid

import pytest

from conftest import REPO, WARD, requires
from leak_guard import own, own_path

HERE = os.path.dirname(os.path.abspath(__file__))
FRAMES = os.path.join(HERE, "net_frames.py")
PY = sys.executable or "python3"


def _ward_net():
    if os.environ.get("WARD_NET_BIN"):
        return os.environ["WARD_NET_BIN"]
    for d in (os.path.dirname(WARD), os.path.join(os.path.dirname(WARD), "build"),
              os.path.join(REPO, "build")):
        p = os.path.join(d, "ward-net")
        if os.access(p, os.X_OK):
            return os.path.abspath(p)
    return os.path.join(REPO, "build", "ward-net")


WARD_NET = _ward_net()


def sh(cmd, check=False, timeout=60, **kw):
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout,
                       **kw)
    if check and p.returncode != 0:
        raise AssertionError("%s failed (%d): %s%s" % (
            " ".join(cmd), p.returncode, p.stdout, p.stderr))
    return p


def require_tools():
    """conftest.requires() for what it knows; the network's own needs
    here."""
    requires("root")
    for tool in ("ip", "nsenter", "nft"):
        if shutil.which(tool) is None:
            pytest.skip("%s is not installed" % tool)
    if not os.access(WARD_NET, os.X_OK):
        pytest.skip("ward-net is not built (%s); run make" % WARD_NET)


class NetNS:
    """A named network namespace (/run/netns/NAME) the test owns."""

    def __init__(self, tag):
        self.name = own("%s-%s" % (tag, uuid.uuid4().hex[:8]))
        sh(["ip", "netns", "add", self.name], check=True)
        self.path = "/run/netns/" + self.name
        with self.deleted_on_error():
            self.ip("link", "set", "lo", "up")

    @contextlib.contextmanager
    def deleted_on_error(self):
        """Setting the namespace up failed (or skipped): delete it, as the
        caller never got it to delete."""
        try:
            yield self
        except BaseException:
            self.delete()
            raise

    def ip(self, *args, check=True):
        return sh(["ip", "-n", self.name] + list(args), check=check)

    def run(self, *cmd, check=False, **kw):
        return sh(["ip", "netns", "exec", self.name] + list(cmd), check=check,
                  **kw)

    def prefix(self):
        return ["ip", "netns", "exec", self.name]

    def sysctl(self, key, value=None):
        path = "/proc/sys/net/" + key.replace(".", "/")
        if value is None:
            return self.run("cat", path, check=True).stdout.strip()
        self.run("sh", "-c", "echo %s > %s" % (value, path), check=True)

    def links(self, prefix="ward"):
        out = self.ip("-o", "link", "show").stdout
        names = [l.split(":")[1].strip().split("@")[0] for l in out.splitlines()]
        return [n for n in names if n.startswith(prefix)]

    def tables(self):
        return self.run("nft", "list", "tables", check=True).stdout

    def mac(self, dev):
        return self.run("cat", "/sys/class/net/%s/address" % dev,
                        check=True).stdout.strip()

    def delete(self):
        sh(["ip", "netns", "delete", self.name])


def make_bridge_ns(tag, bridge="wbr0"):
    ns = NetNS(tag)
    with ns.deleted_on_error():
        ns.ip("link", "add", bridge, "type", "bridge")
        ns.ip("addr", "add", "192.0.2.1/24", "dev", bridge)
        ns.ip("addr", "add", "2001:db8::1/64", "dev", bridge, "nodad")
        ns.ip("link", "set", bridge, "up")
    return ns


def netns_pair(tag1, tag2):
    """Two NetNS; the first deleted if the second cannot be made."""
    a = NetNS(tag1)
    with a.deleted_on_error():
        return a, NetNS(tag2)


def hook_for(ns):
    """ward-net run in NS: the hook, not ward, enters the test's "host"
    network namespace (ward and the container are unaffected)."""
    return {"path": shutil.which("nsenter"),
            "args": ["nsenter", "--net=" + ns.path, WARD_NET]}


class Ctr:
    def __init__(self, cid, pid, ann):
        self.cid, self.pid, self.ann = cid, pid, ann

    def inside(self, *cmd, check=False, **kw):
        """Run a host tool in the container's network namespace, as root:
        for the network, that is inside the container."""
        return sh(["nsenter", "-n", "-t", str(self.pid)] + list(cmd),
                  check=check, **kw)

    def mac(self, dev="eth0"):
        # Not /sys/class/net: nsenter -n keeps the host's sysfs mount.
        out = self.inside("ip", "-o", "link", "show", "dev", dev,
                          check=True).stdout
        return out.split("link/ether ")[1].split()[0]


def start_container(ward, bundle, ns, ann, hooks=True, args=("sleep", "1000")):
    bundle.set_args(*args)
    bundle.config["annotations"] = dict(ann)
    if hooks:
        h = hook_for(ns)
        bundle.config["hooks"] = {"createRuntime": [h], "poststop": [h]}
    bundle.write()
    cid = ward.new_id("wn")
    p = ward("run", "-d", "--bundle", bundle.path, cid)
    return cid, p


def table_names(text, cid):
    return [l for l in text.splitlines() if ("ward-" + cid) in l]


def watch(listen_prefix, iface, sender, frames, markers, seconds=1.5):
    """Start a sniffer on IFACE (through LISTEN_PREFIX), send FRAMES from the
    SENDER container's eth0; return the set of MARKERS (bytes) seen.  The
    first frame should be a legitimate control: the sniffer waits for the
    rest only SECONDS after the first arrives."""
    p = subprocess.Popen(listen_prefix + [PY, FRAMES, "sniff", iface,
                                          str(seconds)] +
                         [m.hex() for m in markers],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True)
    try:
        line = p.stdout.readline().strip()
        assert line == "ready", "sniffer: %r %s" % (line, p.stderr.read())
        sender.inside(PY, FRAMES, "send", "eth0", *[f.hex() for f in frames],
                      check=True)
        out, err = p.communicate(timeout=seconds + 40)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    seen = set()
    for l in out.splitlines():
        if l.startswith("seen "):
            seen.add(bytes.fromhex(l[5:]))
    return seen


def udp_seen(ns, addr, port, sender, frame, marker, seconds=3):
    """Does a UDP socket on ADDR:PORT in NS receive FRAME's datagram?"""
    p = subprocess.Popen(ns.prefix() + [PY, FRAMES, "udp-listen", addr,
                                        str(port), str(seconds), marker.hex()],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True)
    try:
        line = p.stdout.readline().strip()
        assert line == "ready", "listener: %r %s" % (line, p.stderr.read())
        sender.inside(PY, FRAMES, "send", "eth0", frame.hex(), check=True)
        p.communicate(timeout=seconds + 40)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    return p.returncode == 0


def marker():
    return b"WN" + uuid.uuid4().bytes[:10]


def state_json(cid, pid, ann, status="creating"):
    s = {"ociVersion": "1.2.0", "id": cid, "status": status,
         "bundle": "/", "annotations": ann}
    if pid:
        s["pid"] = pid
    return json.dumps(s)


CNI_DIR = "/usr/lib/cni"


def require_cni():
    for p in ("bridge", "host-local"):
        if not os.access(os.path.join(CNI_DIR, p), os.X_OK):
            pytest.skip("CNI plugin %s/%s missing (apt-get install "
                        "containernetworking-plugins)" % (CNI_DIR, p))


def cni_plugin_path(ptype):
    return WARD_NET if ptype == "ward-net" else os.path.join(CNI_DIR, ptype)


def cni_exec(ns, conf, command, cid, netns, ifname="eth0"):
    """One plugin, the way a CNI runtime calls it: env + config on stdin,
    run in the "host" network namespace NS."""
    env = dict(os.environ, CNI_COMMAND=command, CNI_CONTAINERID=cid,
               CNI_NETNS=netns, CNI_IFNAME=ifname, CNI_PATH=CNI_DIR)
    return sh(ns.prefix() + [cni_plugin_path(conf["type"])],
              input=json.dumps(conf), env=env)


def cni_chain(ns, conflist, command, cid, netns, prev=None):
    """Run a conflist's plugins as libcni does: ADD in order, each getting
    the previous result; DEL in reverse order; CHECK in order with the
    cached result.  Returns (last CompletedProcess, result dict or None)."""
    plugins = conflist["plugins"]
    order = list(reversed(plugins)) if command == "DEL" else plugins
    result = prev
    p = None
    for plugin in order:
        conf = dict(plugin, cniVersion=conflist["cniVersion"],
                    name=conflist["name"])
        if result is not None:
            conf["prevResult"] = result
        p = cni_exec(ns, conf, command, cid, netns)
        if p.returncode != 0:
            return p, None
        if command == "ADD":
            result = json.loads(p.stdout)
    return p, result if command == "ADD" else prev


class NetnsSender:
    """A sender for watch(): a netns made by `ip netns add`."""

    def __init__(self, ns):
        self.ns = ns

    def inside(self, *cmd, check=False, **kw):
        return self.ns.run(*cmd, check=check, **kw)


def podman_in(ns, tmp, rootfs_template, network_conf=""):
    """podman with private storage, driving ward, run inside NS (so the CNI
    plugins and the hooks it calls make their bridge and tables there).
    Returns (run, cleanup)."""
    import tarfile
    import tempfile
    from client_helpers import podman_forget
    requires("podman")
    runroot = tempfile.mkdtemp(prefix="wpm-", dir="/run")  # podman: < 50 chars
    own_path(runroot)
    conf = os.path.join(tmp, "containers.conf")
    # tmp_dir: podman's default /run/libpod is shared by every podman on
    # the host; `system reset` in one test removed it under the others,
    # whose podman then forgot its running containers (never deleted).
    with open(conf, "w") as f:
        f.write('[engine]\nruntime = "ward"\nruntime_supports_json = ["ward"]\n'
                'tmp_dir = "%s/tmp"\n'
                '[engine.runtimes]\nward = ["%s"]\n'
                '[containers]\ndefault_ulimits = ["nofile=20000:20000", '
                '"nproc=32768:32768"]\n%s' % (runroot, os.path.abspath(WARD),
                                            network_conf))
    env = dict(os.environ, CONTAINERS_CONF=conf)
    base = ["nsenter", "--net=" + ns.path, "podman",
                              "--root", os.path.join(tmp, "storage"),
                              "--runroot", runroot, "--storage-driver", "vfs"]

    def run(*args, timeout=120):
        return sh(base + list(args), env=env, stdin=subprocess.DEVNULL,
                  timeout=timeout)
    run.runroot = runroot

    def cleanup():
        podman_forget(run)

    try:
        tar = os.path.join(tmp, "rootfs.tar")
        with tarfile.open(tar, "w") as t:
            t.add(rootfs_template, arcname=".")
        p = run("import", "-q", tar, "localhost/ward-net-test:latest")
        if p.returncode != 0:
            pytest.skip("podman import failed here: " + p.stderr.strip()[-200:])
    except BaseException:
        cleanup()
        raise
    return run, cleanup
