# SPDX-License-Identifier: GPL-2.0-or-later
"""Attack frames built byte by byte, and the tools that send and watch them.

Imported by tests/test_net.py to build frames; run as a script (inside a
network namespace, through `nsenter -n -t PID` or `ip netns exec`) to act:

  net_frames.py send IFACE HEXFRAME...          AF_PACKET raw send
  net_frames.py sniff IFACE SECONDS HEX...      print "seen HEX" for each
                                                marker found in a frame, up to
                                                SECONDS after the first
  net_frames.py udp-listen ADDR PORT SECONDS HEX   exit 0 once a datagram
                                                holding HEX arrives

The listeners print "ready" once their socket is open, so the sender never
races them."""
import socket
import struct
import sys
import time

ETH_P_ALL = 0x0003
ETH_ARP, ETH_IP, ETH_IP6 = 0x0806, 0x0800, 0x86DD
ETH_VLAN, ETH_QINQ = 0x8100, 0x88A8
BROADCAST = "ff:ff:ff:ff:ff:ff"


def mac(s):
    return bytes.fromhex(s.replace(":", ""))


def ip4(s):
    return socket.inet_pton(socket.AF_INET, s)


def ip6(s):
    return socket.inet_pton(socket.AF_INET6, s)


def link_local(m):
    """fe80:: EUI-64 address derived from MAC M, as the kernel makes it."""
    b = bytearray(mac(m))
    b[0] ^= 2
    eui = bytes(b[:3]) + b"\xff\xfe" + bytes(b[3:])
    return socket.inet_ntop(socket.AF_INET6, b"\xfe\x80" + b"\0" * 6 + eui)


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


def eth(dst, src, etype, payload):
    return mac(dst) + mac(src) + struct.pack("!H", etype) + payload


def ipv4(src, dst, proto, payload, ttl=64):
    hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), 0x1234, 0,
                      ttl, proto, 0, ip4(src), ip4(dst))
    hdr = hdr[:10] + struct.pack("!H", csum(hdr)) + hdr[12:]
    return hdr + payload


def udp4(src, dst, sport, dport, data):
    u = struct.pack("!HHHH", sport, dport, 8 + len(data), 0) + data
    return ipv4(src, dst, 17, u)


def ipv6(src, dst, nh, payload, hlim=64):
    return struct.pack("!IHBB16s16s", 6 << 28, len(payload), nh, hlim,
                       ip6(src), ip6(dst)) + payload


def _l4_6(src, dst, nh, body):
    pseudo = ip6(src) + ip6(dst) + struct.pack("!I3xB", len(body), nh)
    return csum(pseudo + body)


def udp6(src, dst, sport, dport, data):
    u = struct.pack("!HHHH", sport, dport, 8 + len(data), 0) + data
    c = _l4_6(src, dst, 17, u)
    return ipv6(src, dst, 17, u[:6] + struct.pack("!H", c or 0xFFFF) + u[8:])


def icmp6(src, dst, typ, body, hlim=255):
    m = struct.pack("!BBH", typ, 0, 0) + body
    c = _l4_6(src, dst, 58, m)
    return ipv6(src, dst, 58, m[:2] + struct.pack("!H", c) + m[4:], hlim)


def marker_option(marker):
    """An ND option of a type nobody knows (ignored by receivers), carrying
    MARKER (14 bytes) so a sniffer can tell this very frame."""
    return struct.pack("!BB", 250, 2) + marker.ljust(14, b"\0")[:14]


def arp_reply(src_mac, src_ip, dst_mac, dst_ip, marker):
    body = struct.pack("!HHBBH6s4s6s4s", 1, ETH_IP, 6, 4, 2, mac(src_mac),
                       ip4(src_ip), mac(dst_mac), ip4(dst_ip))
    # Ethernet padding past the ARP body: ignored by the stack, seen by a
    # sniffer.
    return eth(dst_mac, src_mac, ETH_ARP, body + marker)


def neighbour_advert(src_mac, src_ip, target, marker):
    """Unsolicited, overriding NA: "TARGET is at SRC_MAC"."""
    body = struct.pack("!I16s", 0x20000000, ip6(target))  # O flag
    body += struct.pack("!BB6s", 2, 1, mac(src_mac)) + marker_option(marker)
    return eth("33:33:00:00:00:01", src_mac, ETH_IP6,
               icmp6(src_ip, "ff02::1", 136, body))


def router_advert(src_mac, marker, prefix="2001:db8:bad::"):
    """"I am your default router (30 min), and here is a prefix." """
    src = link_local(src_mac)
    body = struct.pack("!BBHII", 64, 0, 1800, 0, 0)
    body += struct.pack("!BB6s", 1, 1, mac(src_mac))
    body += struct.pack("!BBBBIII16s", 3, 4, 64, 0xC0, 3600, 1800, 0,
                        ip6(prefix))
    body += marker_option(marker)
    return eth("33:33:00:00:00:01", src_mac, ETH_IP6,
               icmp6(src, "ff02::1", 134, body))


def qinq(dst, src, inner):
    """802.1ad outer tag (S-VLAN 100), 802.1Q inner tag (C-VLAN 200), then
    the rest of INNER (an Ethernet frame) from its ether type on."""
    return (mac(dst) + mac(src) + struct.pack("!HHHH", ETH_QINQ, 100,
                                              ETH_VLAN, 200) + inner[12:])


def _send(iface, frames):
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    s.bind((iface, 0))
    for f in frames:
        s.send(bytes.fromhex(f))
        time.sleep(0.05)


def _sniff(iface, seconds, markers):
    """Print "seen HEX" for each marker found in a frame; stop when all
    were seen or after SECONDS."""
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW,
                      socket.htons(ETH_P_ALL))
    s.bind((iface, 0))
    # PACKET_ADD_MEMBERSHIP, PACKET_MR_PROMISC: on a bridge this also makes
    # the bridge hand up every frame it forwards.
    mreq = struct.pack("iHH8s", socket.if_nametoindex(iface), 1, 0, b"")
    s.setsockopt(263, 1, mreq)
    print("ready", flush=True)
    left = set(markers)
    # The sender may be slow to start on a busy host: wait long for the
    # first frame, then SECONDS for the rest (sent right after it).
    end = time.monotonic() + 30
    while left and time.monotonic() < end:
        s.settimeout(max(0.01, end - time.monotonic()))
        try:
            data, addr = s.recvfrom(65535)
        except socket.timeout:
            break
        if addr[2] == socket.PACKET_OUTGOING:
            continue
        for m in list(left):
            if m in data:
                print("seen %s" % m.hex(), flush=True)
                left.discard(m)
                end = min(end, time.monotonic() + seconds)
    return 0


def _udp_listen(addr, port, seconds, marker):
    fam = socket.AF_INET6 if ":" in addr else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((addr, port))
    print("ready", flush=True)
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        s.settimeout(max(0.01, end - time.monotonic()))
        try:
            data, peer = s.recvfrom(65535)
        except socket.timeout:
            break
        if marker in data:
            print("seen from %s" % peer[0], flush=True)
            return 0
    return 1


def main(argv):
    if argv[0] == "send":
        _send(argv[1], argv[2:])
        return 0
    if argv[0] == "sniff":
        return _sniff(argv[1], float(argv[2]),
                      [bytes.fromhex(m) for m in argv[3:]])
    if argv[0] == "udp-listen":
        return _udp_listen(argv[1], int(argv[2]), float(argv[3]),
                           bytes.fromhex(argv[4]))
    print("unknown command %r" % argv[0], file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
