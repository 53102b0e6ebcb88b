# SPDX-License-Identifier: GPL-2.0-or-later
"""hooks/ward-net: veth set-up and Incus-style anti-spoofing.

Every rule is proved by an attack from inside a container (its network
namespace, as root) on a bridge that lives in a network namespace the test
made, once with filtering on (the attack must not arrive) and once with it
off (the same attack arrives, so the test can fail).  Only documentation
addresses are used."""
import json
import os
import subprocess
import time
import uuid

import pytest

import net_frames as nf
from conftest import REPO, Bundle, Ward, assert_nothing_left, init_pid, wait_for
from net_env import (FRAMES, PY, WARD_NET, Ctr, NetNS, NetnsSender,
                     cni_chain, cni_exec, make_bridge_ns, marker, netns_pair,
                     podman_in,
                     require_cni,
                     require_tools, sh, start_container, state_json,
                     table_names, udp_seen, watch)

BR = "wbr0"
BR_V4, BR_V6 = "192.0.2.1", "2001:db8::1"
A_MAC = "02:00:5e:00:0a:0a"
A_V4, A_V6 = "192.0.2.10", "2001:db8::10"
B_V4, B_V6 = "192.0.2.11", "2001:db8::11"


class Lan:
    pass


@pytest.fixture(scope="module", params=["filtering-on", "filtering-off"])
def lan(request, tmp_path_factory, rootfs_template):
    """Bridge wbr0 in a fresh netns; container A (the attacker, filtered or
    not) and container B (a neighbour, listening) on it."""
    require_tools()
    on = request.param == "filtering-on"
    tmp = tmp_path_factory.mktemp("lan")
    ward = Ward(str(tmp / "state"))
    ns = make_bridge_ns("wnlan")
    flag = "true" if on else "false"
    lan = Lan()
    lan.on, lan.ns, lan.ward = on, ns, ward
    try:
        ann_a = {"ward.net.mode": "bridged", "ward.net.bridge": BR,
                 "ward.net.hwaddr": A_MAC,
                 "ward.net.ipv4.address": A_V4 + "/24",
                 "ward.net.ipv4.gateway": BR_V4,
                 "ward.net.ipv6.address": A_V6 + "/64",
                 "ward.net.ipv6.gateway": BR_V6,
                 "ward.net.mac_filtering": flag,
                 "ward.net.ipv4_filtering": flag,
                 "ward.net.ipv6_filtering": flag}
        ann_b = {"ward.net.mode": "bridged", "ward.net.bridge": BR,
                 "ward.net.ipv4.address": B_V4 + "/24",
                 "ward.net.ipv6.address": B_V6 + "/64"}
        ctrs = []
        for i, ann in enumerate((ann_a, ann_b)):
            (tmp / ("b%d" % i)).mkdir()
            b = Bundle(str(tmp / ("b%d" % i)), rootfs_template)
            cid, p = start_container(ward, b, ns, ann)
            assert p.returncode == 0, p.stderr
            ctrs.append(Ctr(cid, init_pid(ward, cid), ann))
        lan.a, lan.b = ctrs
        lan.a.mac = A_MAC
        lan.br_mac = ns.mac(BR)
        # B listens to router advertisements as any host would.
        lan.b.inside("sh", "-c", "echo 1 > /proc/sys/net/ipv6/conf/eth0/accept_ra; "
                     "echo 0 > /proc/sys/net/ipv6/conf/all/forwarding", check=True)
        yield lan
    finally:
        ward.cleanup()
        ns.delete()


def attack(lan, frames_markers, where=None):
    """Send (frame, marker) pairs from A; sniff on the bridge (or WHERE:
    (prefix, iface)); return the markers seen."""
    prefix, iface = where or (lan.ns.prefix(), BR)
    return watch(prefix, iface, lan.a, [f for f, _ in frames_markers],
                 [m for _, m in frames_markers])


def udp_frame(src_mac, src, dst_mac, dst, m, dport=9):
    if ":" in src:
        return nf.eth(dst_mac, src_mac, nf.ETH_IP6,
                      nf.udp6(src, dst, 40000, dport, m))
    return nf.eth(dst_mac, src_mac, nf.ETH_IP,
                  nf.udp4(src, dst, 40000, dport, m))


def check(lan, control, attack_marker, seen):
    assert control in seen, "the legitimate control frame did not arrive"
    if lan.on:
        assert attack_marker not in seen, "the attack passed the filter"
    else:
        assert attack_marker in seen, \
            "without filtering the attack should arrive (else the test proves nothing)"


def test_changed_mac(lan):
    ok, bad = marker(), marker()
    seen = attack(lan, [
        (udp_frame(A_MAC, A_V4, lan.br_mac, BR_V4, ok), ok),
        (udp_frame("02:00:5e:00:be:ef", A_V4, lan.br_mac, BR_V4, bad), bad)])
    check(lan, ok, bad, seen)


def test_spoofed_ipv4_source(lan):
    ok, bad = marker(), marker()
    seen = attack(lan, [
        (udp_frame(A_MAC, A_V4, lan.br_mac, BR_V4, ok), ok),
        (udp_frame(A_MAC, B_V4, lan.br_mac, BR_V4, bad), bad)])
    check(lan, ok, bad, seen)


def test_arp_reply_claiming_another_ip(lan):
    ok, bad = marker(), marker()
    seen = attack(lan, [
        (nf.arp_reply(A_MAC, A_V4, lan.br_mac, BR_V4, ok), ok),
        (nf.arp_reply(A_MAC, B_V4, lan.br_mac, BR_V4, bad), bad)])
    check(lan, ok, bad, seen)


def test_spoofed_ipv6_source(lan):
    ok, bad = marker(), marker()
    seen = attack(lan, [
        (udp_frame(A_MAC, A_V6, lan.br_mac, BR_V6, ok), ok),
        (udp_frame(A_MAC, B_V6, lan.br_mac, BR_V6, bad), bad)])
    check(lan, ok, bad, seen)


def test_unsolicited_na_for_another_address(lan):
    ok, bad = marker(), marker()
    ll = nf.link_local(A_MAC)
    seen = attack(lan, [(nf.neighbour_advert(A_MAC, ll, A_V6, ok), ok),
                        (nf.neighbour_advert(A_MAC, ll, B_V6, bad), bad)])
    check(lan, ok, bad, seen)


def test_router_advert_reaches_no_neighbour(lan):
    def default_routes():
        return lan.b.inside("ip", "-6", "route", "show", "default",
                            check=True).stdout.strip()
    assert default_routes() == ""
    ok, bad = marker(), marker()
    seen = attack(lan, [
        (nf.neighbour_advert(A_MAC, nf.link_local(A_MAC), A_V6, ok), ok),
        (nf.router_advert(A_MAC, bad), bad)],
        where=(["nsenter", "-n", "-t", str(lan.b.pid)], "eth0"))
    check(lan, ok, bad, seen)
    if lan.on:
        time.sleep(0.5)
        assert default_routes() == "", "B took A as its router"
    else:
        assert wait_for(lambda: nf.link_local(A_MAC) in default_routes(), 5), \
            "without filtering B should take A as its router"


def test_qinq_frame(lan):
    ok, bad = marker(), marker()
    inner = udp_frame(A_MAC, A_V4, lan.br_mac, BR_V4, bad)
    seen = attack(lan, [
        (udp_frame(A_MAC, A_V4, lan.br_mac, BR_V4, ok), ok),
        (nf.qinq(lan.br_mac, A_MAC, inner), bad)])
    check(lan, ok, bad, seen)


def test_non_ip_ethertype(lan):
    ok, bad = marker(), marker()
    seen = attack(lan, [
        (udp_frame(A_MAC, A_V4, lan.br_mac, BR_V4, ok), ok),
        (nf.eth(nf.BROADCAST, A_MAC, 0x88B5, bad.ljust(46, b"\0")), bad)])
    check(lan, ok, bad, seen)


def test_legit_traffic_flows(lan):
    for dst in (BR_V4, BR_V6, B_V4, B_V6):
        # busybox ping in A's network namespace (not `ward exec`: this is
        # about the network, not about exec).
        p = lan.a.inside("busybox", "ping", "-c", "1", "-W", "3", dst)
        assert p.returncode == 0, "ping %s from A: %s%s" % (dst, p.stdout,
                                                             p.stderr)


def test_dhcp_allowed(lan):
    """busybox udhcpc's DISCOVER (0.0.0.0:68 -> 255.255.255.255:67) passes
    the IPv4 filter; the same source to another port does not."""
    chaddr = nf.mac(A_MAC) + b"\0" * 10
    bad = marker()
    p = subprocess.Popen(lan.ns.prefix() + [
        PY, FRAMES, "sniff", BR, "8", chaddr.hex()],
        stdout=subprocess.PIPE, text=True)
    try:
        assert p.stdout.readline().strip() == "ready"
        lan.ward("exec", lan.a.cid, "udhcpc", "-i", "eth0", "-n", "-q",
                 "-t", "2", "-T", "1", "-s", "/bin/true", timeout=30)
        out, _ = p.communicate(timeout=45)
    finally:
        if p.poll() is None:
            p.kill()
    assert "seen" in out, "udhcpc's DISCOVER did not reach the bridge"
    ok = marker()
    seen = attack(lan, [
        (udp_frame(A_MAC, A_V4, lan.br_mac, BR_V4, ok), ok),
        (nf.eth(nf.BROADCAST, A_MAC, nf.ETH_IP, nf.udp4(
            "0.0.0.0", "255.255.255.255", 68, 68, bad)), bad)])
    check(lan, ok, bad, seen)


# --- no address of a family + filtering: the family is closed -------------

def test_ip_filter_without_address_drops_family(tmp_path, rootfs_template):
    require_tools()
    ns = make_bridge_ns("wnnoaddr")
    ward = Ward(str(tmp_path / "state"))
    try:
        (tmp_path / "b").mkdir()
        b = Bundle(str(tmp_path / "b"), rootfs_template)
        ann = {"ward.net.mode": "bridged", "ward.net.bridge": BR,
               "ward.net.hwaddr": A_MAC, "ward.net.ipv4.address": A_V4 + "/24",
               "ward.net.ipv6_filtering": "true"}
        cid, p = start_container(ward, b, ns, ann)
        assert p.returncode == 0, p.stderr
        c = Ctr(cid, init_pid(ward, cid), ann)
        ok, bad = marker(), marker()
        seen = watch(ns.prefix(), BR, c, [
            udp_frame(A_MAC, A_V4, ns.mac(BR), BR_V4, ok),
            udp_frame(A_MAC, nf.link_local(A_MAC), "33:33:00:00:00:01",
                      "ff02::1", bad)], [ok, bad])
        assert ok in seen and bad not in seen
    finally:
        ward.cleanup()
        ns.delete()


# --- teardown ---------------------------------------------------------------

def test_delete_leaves_nothing(ward, bundle):
    require_tools()
    ns = make_bridge_ns("wndel")
    try:
        ann = {"ward.net.mode": "bridged", "ward.net.bridge": BR,
               "ward.net.name": "net0", "ward.net.mtu": "1400",
               "ward.net.ipv4.address": A_V4 + "/24",
               "ward.net.ipv6.address": A_V6 + "/64",
               "ward.net.ipv4_filtering": "true",
               "ward.net.ipv6_filtering": "true"}
        cid, p = start_container(ward, bundle, ns, ann)
        assert p.returncode == 0, p.stderr
        c = Ctr(cid, init_pid(ward, cid), ann)
        assert len(ns.links()) == 1
        assert "mtu 1400 " in ns.ip("link", "show", ns.links()[0]).stdout
        assert "mtu 1400 " in c.inside("ip", "link", "show", "net0",
                                       check=True).stdout
        assert table_names(ns.tables(), cid) == ["table bridge ward-%s" % cid]
        # Without hwaddr the MAC is derived from the id: locally administered.
        m = c.mac("net0")
        assert int(m[:2], 16) & 3 == 2
        assert ward("delete", "--force", cid).returncode == 0
        assert ns.links() == []
        assert table_names(ns.tables(), cid) == []
        assert_nothing_left(ward, cid, bundle)
        # The same id gets the same MAC (and link-local address) again.
        ward("run", "-d", "--bundle", bundle.path, cid, check=True)
        assert Ctr(cid, init_pid(ward, cid), ann).mac("net0") == m
        assert ward("delete", "--force", cid).returncode == 0
        assert ns.links() == [] and table_names(ns.tables(), cid) == []
        # Teardown again (a container already gone) is fine.
        for _ in range(2):
            p = sh(["nsenter", "--net=" + ns.path, WARD_NET, "teardown"],
                   input=state_json(cid, 0, ann, "stopped"))
            assert p.returncode == 0, p.stderr
    finally:
        ns.delete()


# --- bad input: one line naming the field, non-zero exit, nothing made ------

BAD = [
    ("ward.net.hwaddr", "02:00:zz:00:00:01"),
    ("ward.net.hwaddr", "01:00:5e:00:00:01"),
    ("ward.net.ipv4.address", "192.0.2.10"),
    ("ward.net.ipv6.address", "2001:db8::10/129"),
    ("ward.net.mode", "vxlan"),
    ("ward.net.bridge", "nosuchbr0"),
    ("ward.net.ipv4.address", "198.51.100.5/24"),
    ("ward.net.ipv6.address", "2001:db8:1::5/64"),
    ("ward.net.mtu", "100"),
    ("ward.net.ipv4_filtering", "maybe"),
    ("ward.net.ipv4.gateway", "198.51.100.1"),
    ("ward.net.name", "a/b"),
    ("ward.net.colour", "blue"),
]


@pytest.mark.parametrize("key,value", BAD)
def test_bad_input_direct(key, value):
    require_tools()
    ns = make_bridge_ns("wnbad")
    ctr = subprocess.Popen(["unshare", "-n", "sleep", "60"])
    try:
        time.sleep(0.2)
        ann = {"ward.net.mode": "bridged", "ward.net.bridge": BR,
               "ward.net.ipv4.address": A_V4 + "/24",
               "ward.net.ipv6.address": A_V6 + "/64"}
        ann[key] = value
        p = sh(["nsenter", "--net=" + ns.path, WARD_NET],
               input=state_json("wnbad", ctr.pid, ann))
        assert p.returncode != 0
        lines = p.stderr.splitlines()
        assert len(lines) == 1 and lines[0].startswith("ward-net: %s: " % key), \
            p.stderr
        assert ns.links() == []
        assert "ward-" not in ns.tables()
        inside = sh(["nsenter", "-n", "-t", str(ctr.pid), "ip", "-o", "link"],
                    check=True).stdout
        assert [l.split(":")[1].strip() for l in inside.splitlines()] == ["lo"]
    finally:
        ctr.kill()
        ctr.wait()
        ns.delete()


def test_bad_input_through_ward(ward, bundle):
    require_tools()
    ns = make_bridge_ns("wnbadw")
    try:
        ann = {"ward.net.mode": "bridged", "ward.net.bridge": BR,
               "ward.net.ipv4.address": "198.51.100.5/24"}
        cid, p = start_container(ward, bundle, ns, ann)
        assert p.returncode != 0
        assert ("ward-net: ward.net.ipv4.address: 198.51.100.5/24 is outside "
                "the subnet of bridge wbr0") in p.stderr
        assert_nothing_left(ward, cid, bundle)
        assert ns.links() == []
        assert table_names(ns.tables(), cid) == []
    finally:
        ns.delete()


def test_failed_setup_removes_what_it_made(ward, bundle):
    """The veth and the table exist when the second address fails to be
    added: both must go, and ward must leave nothing either."""
    require_tools()
    ns = make_bridge_ns("wnfail")
    try:
        ann = {"ward.net.mode": "bridged", "ward.net.bridge": BR,
               "ward.net.ipv4.address": "%s/24,%s/24" % (A_V4, A_V4),
               "ward.net.ipv4_filtering": "true"}
        cid, p = start_container(ward, bundle, ns, ann)
        assert p.returncode != 0
        assert "ward-net: add address 192.0.2.10/24" in p.stderr
        assert ns.links() == []
        assert table_names(ns.tables(), cid) == []
        assert_nothing_left(ward, cid, bundle)
    finally:
        ns.delete()


# --- routed -----------------------------------------------------------------

R_V4, R_V6 = "192.0.2.20", "2001:db8::20"
HOST_V4, HOST_V6 = "198.51.100.1", "2001:db8:1::1"


def test_routed(ward, bundle):
    require_tools()
    ns = NetNS("wnrt")
    try:
        # The host's own addresses, on a link with carrier (no dummy
        # module everywhere).
        ns.ip("link", "add", "up0", "type", "veth", "peer", "name", "up1")
        ns.ip("addr", "add", HOST_V4 + "/24", "dev", "up0")
        ns.ip("addr", "add", HOST_V6 + "/64", "dev", "up0", "nodad")
        ns.ip("link", "set", "up0", "up")
        ns.ip("link", "set", "up1", "up")
        # The per-port rp_filter decides (the effective value is the max of
        # "all" and the port's).
        ns.sysctl("ipv4.conf.all.rp_filter", 0)
        before = {k: ns.sysctl(k) for k in (
            "ipv4.conf.all.rp_filter", "ipv4.conf.default.rp_filter",
            "ipv6.conf.all.accept_ra", "ipv6.conf.default.accept_ra",
            "ipv4.ip_forward", "ipv6.conf.all.forwarding")}
        ann = {"ward.net.mode": "routed", "ward.net.ipv4.address": R_V4,
               "ward.net.ipv6.address": R_V6}
        cid, p = start_container(ward, bundle, ns, ann)
        assert p.returncode == 0, p.stderr
        c = Ctr(cid, init_pid(ward, cid), ann)
        [port] = ns.links()
        assert ns.sysctl("ipv4.conf.%s.rp_filter" % port) == "1"
        assert ns.sysctl("ipv6.conf.%s.accept_ra" % port) == "0"
        assert "dev " + port in ns.ip("route", "show", R_V4).stdout
        assert "dev " + port in ns.ip("-6", "route", "show", R_V6).stdout

        # Reachability, both ways, both families.
        for dst in (R_V4, R_V6):
            p = ns.run("busybox", "ping", "-c", "1", "-W", "3", dst)
            assert p.returncode == 0, "host -> %s: %s" % (dst, p.stdout)
        for dst in (HOST_V4, HOST_V6):
            p = c.inside("busybox", "ping", "-c", "1", "-W", "3", dst)
            assert p.returncode == 0, "container -> %s: %s" % (dst, p.stdout)

        pmac = ns.mac(port)
        cmac = c.mac()

        def arrives(src, dst):
            m = marker()
            f = udp_frame(cmac, src, pmac, dst, m, dport=40009)
            return udp_seen(ns, dst, 40009, c, f, m)
        # Legitimate sources arrive; spoofed ones are dropped by rp_filter
        # (IPv4) and the fib rule (IPv6).
        assert arrives(R_V4, HOST_V4) and arrives(R_V6, HOST_V6)
        assert not arrives("192.0.2.99", HOST_V4)
        assert not arrives("2001:db8::99", HOST_V6)
        # Without those two, the same spoofs arrive: the test can fail.
        ns.sysctl("ipv4.conf.%s.rp_filter" % port, 0)
        ns.run("nft", "delete", "table", "inet", "ward-" + cid, check=True)
        assert arrives("192.0.2.99", HOST_V4)
        assert arrives("2001:db8::99", HOST_V6)
        ns.sysctl("ipv4.conf.%s.rp_filter" % port, 1)

        assert ward("delete", "--force", cid).returncode == 0
        assert ns.links() == []
        assert ns.ip("route", "show", R_V4).stdout.strip() == ""
        assert ns.ip("-6", "route", "show", R_V6).stdout.strip() == ""
        assert table_names(ns.tables(), cid) == []
        assert {k: ns.sysctl(k) for k in before} == before
        assert_nothing_left(ward, cid, bundle)
    finally:
        ns.delete()


def test_routed_v6_filter_installed(ward, bundle):
    """The routed table exists while the container runs (what the test
    above deletes to show the attack)."""
    require_tools()
    ns = NetNS("wnrt6")
    try:
        cid, p = start_container(ward, bundle, ns, {
            "ward.net.mode": "routed", "ward.net.ipv6.address": R_V6})
        assert p.returncode == 0, p.stderr
        out = ns.run("nft", "list", "table", "inet", "ward-" + cid,
                     check=True).stdout
        assert "fib saddr . iif oif missing drop" in out
    finally:
        ward.cleanup()
        ns.delete()


# --- CNI: bridge + host-local, then ward-net, by the CNI protocol ----------

def cni_conflist(name, bridge, data_dir):
    return {"cniVersion": "1.0.0", "name": name, "plugins": [
        {"type": "bridge", "bridge": bridge, "isGateway": True,
         "ipam": {"type": "host-local", "dataDir": data_dir,
                  "ranges": [[{"subnet": "192.0.2.0/24"}],
                             [{"subnet": "2001:db8::/64"}]]}},
        {"type": "ward-net"}]}


def test_cni_chained(tmp_path):
    require_tools()
    require_cni()
    cid = "wncni-" + uuid.uuid4().hex[:10]
    table = "ward-%s-eth0" % cid
    conflist = cni_conflist("wncni", "wcni0", str(tmp_path / "ipam"))
    host, ctr = netns_pair("wncnih", "wncnic")
    try:
        p = sh([WARD_NET], env=dict(os.environ, CNI_COMMAND="VERSION"))
        assert "1.0.0" in json.loads(p.stdout)["supportedVersions"]

        p, result = cni_chain(host, conflist, "ADD", cid, ctr.path)
        assert p.returncode == 0, p.stdout + p.stderr
        # ward-net passes the bridge plugin's result on unchanged.
        eth0 = [i for i in result["interfaces"] if i.get("sandbox")][0]
        v4 = [i["address"].split("/")[0] for i in result["ips"]
              if "." in i["address"]][0]
        assert eth0["name"] == "eth0" and v4.startswith("192.0.2.")
        assert table_names(host.tables(), cid) == ["table bridge " + table]
        p, _ = cni_chain(host, conflist, "CHECK", cid, ctr.path, result)
        assert p.returncode == 0, p.stdout + p.stderr

        sender = NetnsSender(ctr)
        br_mac = host.mac("wcni0")

        def spoofs():
            ok, bad_ip, bad_mac = marker(), marker(), marker()
            seen = watch(host.prefix(), "wcni0", sender, [
                udp_frame(eth0["mac"], v4, br_mac, "192.0.2.1", ok),
                udp_frame(eth0["mac"], "192.0.2.200", br_mac, "192.0.2.1",
                          bad_ip),
                udp_frame("02:00:5e:00:be:ef", v4, br_mac, "192.0.2.1",
                          bad_mac)], [ok, bad_ip, bad_mac])
            assert ok in seen
            return {bad_ip, bad_mac} & seen
        assert spoofs() == set()

        # ward-net's DEL alone: the filter goes, the same spoofs pass.
        wconf = dict(conflist["plugins"][1], cniVersion="1.0.0",
                     name="wncni", prevResult=result)
        assert cni_exec(host, wconf, "DEL", cid, ctr.path).returncode == 0
        assert len(spoofs()) == 2
        # CHECK now fails, with a CNI error on stdout.
        p = cni_exec(host, wconf, "CHECK", cid, ctr.path)
        assert p.returncode != 0
        err = json.loads(p.stdout)
        assert err["code"] >= 100 and table in err["msg"]

        p, _ = cni_chain(host, conflist, "DEL", cid, ctr.path, result)
        assert p.returncode == 0, p.stdout + p.stderr
        assert table_names(host.tables(), cid) == []
        assert host.links("veth") == []
        # DEL again: nothing left to remove is success.
        assert cni_exec(host, wconf, "DEL", cid, ctr.path).returncode == 0

        # No prevResult: a CNI error naming it, nothing made.
        bare = dict(conflist["plugins"][1], cniVersion="1.0.0", name="wncni")
        p = cni_exec(host, bare, "ADD", cid, ctr.path)
        assert p.returncode != 0
        err = json.loads(p.stdout)
        assert err["code"] == 7 and "prevResult" in err["msg"]
        assert table_names(host.tables(), cid) == []
    finally:
        host.delete()
        ctr.delete()


# --- podman: CNI backend with ward-net in the conflist; hooks.d ------------

def test_podman_cni_backend(tmp_path, rootfs_template):
    require_tools()
    require_cni()
    plugins = tmp_path / "plugins"
    netdir = tmp_path / "net"
    plugins.mkdir()
    netdir.mkdir()
    os.symlink(WARD_NET, str(plugins / "ward-net"))
    name = "wnpod" + uuid.uuid4().hex[:6]
    conflist = cni_conflist(name, "wpod0", str(tmp_path / "ipam"))
    (netdir / (name + ".conflist")).write_text(json.dumps(conflist))
    # podman_in skips when podman cannot import the image: the namespace
    # must go then too (a wnpod-* was left that way)
    ns = NetNS("wnpod")
    with ns.deleted_on_error():
        run, cleanup = podman_in(ns, str(tmp_path), rootfs_template,
                                 '[network]\nnetwork_backend = "cni"\n'
                                 'cni_plugin_dirs = ["%s", "/usr/lib/cni"]\n'
                                 'network_config_dir = "%s"\n'
                                 % (plugins, netdir))
    try:
        p = run("info", "--format", "{{.Host.NetworkBackend}}")
        if p.returncode != 0 or p.stdout.strip() != "cni":
            pytest.skip("podman's CNI backend is not available here: %s%s"
                        % (p.stdout, p.stderr.strip()[-200:]))
        p = run("run", "-d", "--name", "c1", "--network", name,
                "localhost/ward-net-test", "sleep", "1000")
        assert p.returncode == 0, p.stderr
        info = json.loads(run("inspect", "c1").stdout)[0]
        cid, pid = info["Id"], info["State"]["Pid"]
        net = info["NetworkSettings"]["Networks"][name]
        assert table_names(ns.tables(), cid) == [
            "table bridge ward-%s-eth0" % cid]
        c = Ctr(cid, pid, {})
        ok, bad = marker(), marker()
        br_mac = ns.mac("wpod0")
        seen = watch(ns.prefix(), "wpod0", c, [
            udp_frame(net["MacAddress"], net["IPAddress"], br_mac,
                      "192.0.2.1", ok),
            udp_frame(net["MacAddress"], "192.0.2.200", br_mac, "192.0.2.1",
                      bad)], [ok, bad])
        assert seen == {ok}
        assert run("rm", "-f", "-t", "0", "c1").returncode == 0
        assert table_names(ns.tables(), cid) == []
        assert ns.links("veth") == []
    finally:
        cleanup()
        ns.delete()


def test_podman_hooks_dir(tmp_path, rootfs_template):
    """contrib/oci-hooks.d/ward-net.json: `--network none` plus the
    annotations, and the hook wires the container whatever the runtime."""
    require_tools()
    hooks = tmp_path / "hooks.d"
    hooks.mkdir()
    with open(os.path.join(REPO, "contrib", "oci-hooks.d", "ward-net.json")) as f:
        hook = json.load(f)
    hook["hook"]["path"] = WARD_NET
    (hooks / "ward-net.json").write_text(json.dumps(hook))
    ns = make_bridge_ns("wnhk")
    with ns.deleted_on_error():
        run, cleanup = podman_in(ns, str(tmp_path), rootfs_template)
    try:
        p = run("--hooks-dir", str(hooks), "run", "-d", "--name", "h1",
                "--network", "none",
                "--annotation", "ward.net.mode=bridged",
                "--annotation", "ward.net.bridge=" + BR,
                "--annotation", "ward.net.ipv4.address=192.0.2.30/24",
                "--annotation", "ward.net.ipv4_filtering=true",
                "localhost/ward-net-test", "sleep", "1000")
        assert p.returncode == 0, p.stderr
        info = json.loads(run("inspect", "h1").stdout)[0]
        cid = info["Id"]
        c = Ctr(cid, info["State"]["Pid"], {})
        p = c.inside("busybox", "ping", "-c", "1", "-W", "3", BR_V4)
        assert p.returncode == 0, p.stdout + p.stderr
        assert len(ns.links()) == 1
        assert table_names(ns.tables(), cid) == ["table bridge ward-" + cid]
        assert run("rm", "-f", "-t", "0", "h1").returncode == 0
        assert ns.links() == []
        assert table_names(ns.tables(), cid) == []
    finally:
        cleanup()
        ns.delete()


def test_routed_parent_proxy_arp_ndp(ward, make_bundle):
    """ward.net.parent: the container's addresses answer on the parent's
    network (proxy ARP/NDP), as Incus's routed NIC; the host's forwarding
    settings are checked, never changed."""
    require_tools()
    ns, lan = netns_pair("wnpx", "wnpxl")
    try:
        ns.ip("link", "add", "up0", "type", "veth", "peer", "name", "up1",
              "netns", lan.name)
        ns.ip("addr", "add", "192.0.2.1/24", "dev", "up0")
        ns.ip("addr", "add", "2001:db8::1/64", "dev", "up0", "nodad")
        ns.ip("link", "set", "up0", "up")
        lan.ip("addr", "add", "192.0.2.50/24", "dev", "up1")
        lan.ip("addr", "add", "2001:db8::50/64", "dev", "up1", "nodad")
        lan.ip("link", "set", "up1", "up")
        ns.sysctl("ipv4.ip_forward", 1)
        ns.sysctl("ipv6.conf.all.forwarding", 1)
        ns.sysctl("ipv6.conf.up0.proxy_ndp", 0)
        ann = {"ward.net.mode": "routed", "ward.net.parent": "up0",
               "ward.net.ipv4.address": R_V4, "ward.net.ipv6.address": R_V6}

        b = make_bundle()
        cid, p = start_container(ward, b, ns, ann)
        assert p.returncode != 0
        assert ("ward-net: ward.net.parent: routed mode needs "
                "net.ipv6.conf.up0.proxy_ndp=1") in p.stderr
        assert_nothing_left(ward, cid, b)
        assert ns.links() == [] and table_names(ns.tables(), cid) == []
        assert ns.ip("neigh", "show", "proxy").stdout.strip() == ""

        ns.sysctl("ipv6.conf.up0.proxy_ndp", 1)
        b = make_bundle()
        cid, p = start_container(ward, b, ns, ann)
        assert p.returncode == 0, p.stderr
        proxy = ns.ip("neigh", "show", "proxy").stdout
        assert R_V4 in proxy and R_V6 in proxy and "up0" in proxy
        for dst in (R_V4, R_V6):
            p = lan.run("busybox", "ping", "-c", "1", "-W", "3", dst)
            assert p.returncode == 0, "LAN -> %s: %s" % (dst, p.stdout)

        assert ward("delete", "--force", cid).returncode == 0
        assert ns.ip("neigh", "show", "proxy").stdout.strip() == ""
        assert ns.links() == [] and table_names(ns.tables(), cid) == []
        assert ns.sysctl("ipv6.conf.up0.proxy_ndp") == "1"
        assert_nothing_left(ward, cid, b)
    finally:
        ns.delete()
        lan.delete()
