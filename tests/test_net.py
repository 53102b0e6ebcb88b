# SPDX-License-Identifier: GPL-2.0-or-later
"""hooks/ward-net: veth set-up and Incus-style anti-spoofing.

Every rule is proved by an attack from inside a container (its network
namespace, as root) on a bridge that lives in a network namespace the test
made, once with filtering on (the attack must not arrive) and once with it
off (the same attack arrives, so the test can fail).  Only documentation
addresses are used."""
import os
import subprocess
import time

import pytest

import net_frames as nf
from conftest import Bundle, Ward, assert_nothing_left, init_pid, wait_for
from net_env import (FRAMES, PY, WARD_NET, Ctr, NetNS, make_bridge_ns, marker,
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
        lan.b.mac = lan.b.inside("cat", "/sys/class/net/eth0/address",
                                 check=True).stdout.strip()
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


def udp_frame(src_mac, src, dst_mac, dst, m):
    if ":" in src:
        return nf.eth(dst_mac, src_mac, nf.ETH_IP6,
                      nf.udp6(src, dst, 40000, 9, m))
    return nf.eth(dst_mac, src_mac, nf.ETH_IP, nf.udp4(src, dst, 40000, 9, m))


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
        p = lan.ward("exec", lan.a.cid, "ping", "-c", "1", "-W", "3", dst)
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
        out, _ = p.communicate(timeout=30)
    finally:
        if p.poll() is None:
            p.kill()
    assert "seen" in out, "udhcpc's DISCOVER did not reach the bridge"
    seen = attack(lan, [(nf.eth(nf.BROADCAST, A_MAC, nf.ETH_IP, nf.udp4(
        "0.0.0.0", "255.255.255.255", 68, 68, bad)), bad)])
    assert (bad in seen) == (not lan.on)


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
