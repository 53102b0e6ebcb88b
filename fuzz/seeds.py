#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Write the seed corpora fuzz/corpus/NAME/ from what the tests use.

Seeds are the inputs the tests already feed ward: the bundles conftest builds
(and the variations the integration tests make of them), every JSON string
literal in the C unit tests, the podman seccomp profile in tests/data, the
ward.idmap.raw texts of tests/test_idmap*.py and test_idmap_raw.c, and the
mount options of both.  Rerun after adding tests:  python3 fuzz/seeds.py
Files are named by content hash, so reruns add and never duplicate; crash
regressions (named crash-*) are never touched."""
import ast
import copy
import glob
import hashlib
import json
import os
import re
import struct
import sys

REPO = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
sys.path.insert(0, os.path.join(REPO, "tests"))
from conftest import default_config  # noqa: E402

CORPUS = os.path.join(REPO, "fuzz", "corpus")


def put(name, data):
    if isinstance(data, str):
        data = data.encode()
    d = os.path.join(CORPUS, name)
    os.makedirs(d, exist_ok=True)
    h = hashlib.sha1(data).hexdigest()[:16]
    with open(os.path.join(d, "seed-" + h), "wb") as f:
        f.write(data)


def c_string_runs(path):
    """Adjacent C string literals joined, escapes decoded: what the C
    compiler would pass to the function."""
    src = open(path).read()
    src = re.sub(r"/\*.*?\*/", "", src, flags=re.S)
    lit = r'"(?:[^"\\\n]|\\.)*"'
    for m in re.finditer(r"(?:%s\s*)+" % lit, src):
        parts = re.findall(lit, m.group(0))
        yield "".join(ast.literal_eval(p) for p in parts)


def python_strings(path):
    for node in ast.walk(ast.parse(open(path).read())):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            yield node.value


def podman_profile():
    with open(os.path.join(REPO, "tests", "data", "podman-seccomp.json")) as f:
        return json.load(f)


def config_seeds():
    base = default_config(["true"])
    yield base
    v = copy.deepcopy(base)
    v["linux"]["namespaces"].append({"type": "user"})
    v["linux"]["uidMappings"] = [{"containerID": 0, "hostID": 100000, "size": 65536}]
    v["linux"]["gidMappings"] = [{"containerID": 0, "hostID": 100000, "size": 65536}]
    yield v
    v = copy.deepcopy(base)
    v["linux"]["seccomp"] = podman_profile()
    yield v
    v = copy.deepcopy(base)
    v["annotations"] = {"ward.idmap.isolated": "true", "ward.idmap.raw": "both 1000 1000",
                        "ward.idmap.key": "web"}
    v["mounts"].append({"destination": "/data", "type": "bind", "source": "/tmp",
                        "options": ["rbind", "rw", "idmap"],
                        "uidMappings": [{"containerID": 0, "hostID": 1000, "size": 1}],
                        "gidMappings": [{"containerID": 0, "hostID": 1000, "size": 1}]})
    yield v
    v = copy.deepcopy(base)
    v["hooks"] = {h: [{"path": "/bin/sh", "args": ["sh", "-c", "true"], "env": ["A=1"],
                       "timeout": 5}] for h in ("prestart", "createRuntime",
                                                "createContainer", "startContainer",
                                                "poststart", "poststop")}
    yield v
    v = copy.deepcopy(base)
    v["linux"]["resources"] = {
        "memory": {"limit": 67108864, "reservation": 33554432, "swap": 134217728},
        "cpu": {"shares": 512, "quota": 50000, "period": 100000, "cpus": "0-1"},
        "pids": {"limit": 64},
        "blockIO": {"weight": 100},
        "devices": [{"allow": False, "access": "rwm"},
                    {"allow": True, "type": "c", "major": 1, "minor": 3, "access": "rw"}],
        "unified": {"memory.high": "max"}}
    v["linux"]["devices"] = [{"path": "/dev/fuse", "type": "c", "major": 10, "minor": 229,
                              "fileMode": 438, "uid": 0, "gid": 0}]
    v["linux"]["sysctl"] = {"net.ipv4.ip_forward": "1"}
    v["linux"]["cgroupsPath"] = "/ward/fuzz"
    yield v
    v = copy.deepcopy(base)
    p = v["process"]
    p["terminal"] = True
    p["consoleSize"] = {"height": 24, "width": 80}
    p["user"] = {"uid": 1000, "gid": 1000, "umask": 18, "additionalGids": [5, 6]}
    p["oomScoreAdj"] = 100
    p["scheduler"] = {"policy": "SCHED_BATCH", "nice": 5}
    p["ioPriority"] = {"class": "IOPRIO_CLASS_BE", "priority": 4}
    p["execCPUAffinity"] = {"initial": "0", "final": "0-1"}
    p["apparmorProfile"] = "unconfined"
    p["rlimits"].append({"type": "RLIMIT_NPROC", "hard": 100, "soft": 50})
    yield v
    v = copy.deepcopy(base)
    v["linux"]["namespaces"] = [{"type": "pid"}, {"type": "network", "path": "/proc/1/ns/net"},
                                {"type": "cgroup"}, {"type": "time"}, {"type": "mount"}]
    v["linux"]["timeOffsets"] = {"monotonic": {"secs": 10, "nanosecs": 0}}
    v["linux"]["rootfsPropagation"] = "rslave"
    v["linux"]["mountLabel"] = "system_u:object_r:container_file_t:s0"
    v["linux"]["personality"] = {"domain": "LINUX32"}
    v["linux"]["intelRdt"] = {"closID": "x"}
    yield v


def json_words(docs):
    """Every key and string value of DOCS (the dictionary libFuzzer splices
    in: a mutation rarely spells "uidMappings" by itself)."""
    words = set()

    def walk(v):
        if isinstance(v, dict):
            for k, x in v.items():
                words.add(k)
                walk(x)
        elif isinstance(v, list):
            for x in v:
                walk(x)
        elif isinstance(v, str) and len(v) < 40:
            words.add(v)
    for d in docs:
        walk(d)
    return words


def dict_entry(w):
    """One libFuzzer dictionary line: quotes, backslashes and bytes
    outside printable ASCII escaped (it knows no \\n)."""
    out = ""
    for c in w.encode():
        ch = chr(c)
        out += ("\\" + ch if ch in '"\\' else ch if 32 <= c < 127
                else "\\x%02x" % c)
    return '"%s"' % out


def write_dict(name, words):
    with open(os.path.join(REPO, "fuzz", name + ".dict"), "w") as f:
        f.write("# written by fuzz/seeds.py\n")
        for w in sorted(words):
            if w and all(32 <= ord(c) < 127 for c in w):
                f.write(dict_entry(json.dumps(w)) + "\n")


def corpus_json(name):
    docs = []
    for path in glob.glob(os.path.join(CORPUS, name, "seed-*")):
        try:
            docs.append(json.load(open(path)))
        except ValueError:
            pass
    return docs


def main():
    for c in config_seeds():
        put("config", json.dumps(c))
        put("config", json.dumps(c, indent=1))
    seccomp_srcs = glob.glob(os.path.join(REPO, "tests", "unit", "test_seccomp*.c"))
    for path in sorted(glob.glob(os.path.join(REPO, "tests", "unit", "*.c"))):
        for s in c_string_runs(path):
            if not s.lstrip().startswith(("{", "[")):
                continue
            if path in seccomp_srcs:
                put("seccomp", s)
            else:
                put("config", s.replace("'", '"'))
    put("seccomp", json.dumps(podman_profile()))
    for s in default_config()["mounts"]:
        put("mount_opts", "\n".join(s.get("options", [])))
    mount_words = set()
    for path in [os.path.join(REPO, "tests", "unit", "test_mount_opts.c")]:
        for s in c_string_runs(path):
            if s and "\n" not in s and " " not in s and "." not in s:
                mount_words.add(s)
    for path in glob.glob(os.path.join(REPO, "tests", "*.py")):
        src = open(path).read()
        for m in re.finditer(r'"options":\s*(\[[^\]]*\])', src):
            try:
                put("mount_opts", "\n".join(ast.literal_eval(m.group(1))))
            except (ValueError, SyntaxError):
                pass
    words = sorted(mount_words)
    for i in range(0, len(words), 4):
        put("mount_opts", "\n".join(words[i:i + 4]))
    raw_texts = set()
    raw_re = re.compile(r"^(both|uid|gid|user)\s", re.M)
    for path in glob.glob(os.path.join(REPO, "tests", "test_idmap*.py")):
        raw_texts.update(s for s in python_strings(path) if raw_re.match(s))
    for s in c_string_runs(os.path.join(REPO, "tests", "unit", "test_idmap_raw.c")):
        if raw_re.match(s):
            raw_texts.add(s)
    for i, t in enumerate(sorted(raw_texts)):
        # the text, then bytes for: map lines (count, container, host, size
        # with a 0-byte width marker each), pool, taken ranges, sizes
        tail = bytes([1, 0]) + struct.pack("<H", 0) + bytes([0]) + struct.pack(
            "<H", 1000) + bytes([0]) + struct.pack("<H", 60000)
        tail += tail
        tail += bytes([0]) + struct.pack("<H", 0) + bytes([0]) + struct.pack("<H", 65535)
        tail += bytes([2, 0, 0x10, 0x00, 0, 0x00, 0x10, 0, 0x00, 0x20, 0, 0x00, 0x10])
        tail += bytes([0, 0x00, 0x10]) * 4
        put("idmap", t.encode() + b"\0" + tail)
    state = {"id": "c1", "bundle": "/b", "rootfs": "/b/rootfs",
             "created": "2026-11-30T13:00:00.000000000Z", "config": "/b/config.json",
             "cgroup": "/ward/c1", "systemdCgroup": False, "pid": 1234,
             "pidStart": 98765, "annotations": {"a": "b"}}
    put("state", json.dumps(state))
    put("state", json.dumps(dict(state, pid=0, annotations={})))
    reg = {"version": 1, "allocations": [
        {"container": {"root": "/run/ward", "id": "c1"}, "kind": "isolated",
         "uid": {"base": 100000, "size": 65536}, "gid": {"base": 100000, "size": 65536},
         "raw": ["both 1000 1000"], "created": "2026-11-30T13:00:00Z"},
        {"key": "web", "kind": "isolated", "uid": {"base": 165536, "size": 65536},
         "gid": {"base": 165536, "size": 65536}},
        {"container": {"root": "/run/ward", "id": "c2"}, "kind": "shared"}]}
    put("registry", json.dumps(reg))
    # one file per allocation (h-registry's layout): each entry alone
    for e in reg["allocations"]:
        put("registry", json.dumps(e))
    # ward-net's annotations: every dict of ward.net.* constants in the tests
    for path in glob.glob(os.path.join(REPO, "tests", "*.py")):
        for node in ast.walk(ast.parse(open(path).read())):
            if not isinstance(node, ast.Dict):
                continue
            kv = [(k.value, v.value) for k, v in zip(node.keys, node.values)
                  if isinstance(k, ast.Constant) and isinstance(k.value, str)
                  and k.value.startswith("ward.net.")
                  and isinstance(v, ast.Constant) and isinstance(v.value, str)]
            if kv:
                put("net_annotations", "\n".join("%s=%s" % x for x in kv) +
                    "\0" + "ctr-" + hashlib.sha1(repr(kv).encode()).hexdigest()[:8])
    put("net_annotations", "ward.net.mode=bridged\nward.net.bridge=br0\n"
        "ward.net.ipv4.address=192.0.2.10/24,192.0.2.11/24\n"
        "ward.net.ipv4.gateway=192.0.2.1\nward.net.ipv6.address=2001:db8::10/64\n"
        "ward.net.ipv6.gateway=2001:db8::1\nward.net.hwaddr=02:00:00:00:00:01\n"
        "ward.net.mtu=1400\nward.net.name=eth0\nward.net.mac_filtering=true\n"
        "ward.net.ipv4_filtering=true\nward.net.ipv6_filtering=false\0c1")
    put("net_annotations", "ward.net.mode=routed\nward.net.parent=up0\n"
        "ward.net.ipv4.address=198.51.100.5/32\nward.net.ipv6.address=2001:db8::5\0c2")
    # ward-net as a CNI plugin: the conf the bridge plugin's ADD hands on
    # (tests/test_net.py's chain), and its common variations
    prev = {"cniVersion": "1.0.0",
            "interfaces": [{"name": "wcni0", "mac": "0a:58:c0:00:02:01"},
                           {"name": "veth1a2b3c4d", "mac": "0e:11:22:33:44:55"},
                           {"name": "eth0", "mac": "02:42:c0:00:02:0a",
                            "sandbox": "/run/netns/wncnic"}],
            "ips": [{"interface": 2, "address": "192.0.2.10/24",
                     "gateway": "192.0.2.1"},
                    {"interface": 2, "address": "2001:db8::a/64",
                     "gateway": "2001:db8::1"}],
            "routes": [{"dst": "0.0.0.0/0"}], "dns": {}}
    base = {"cniVersion": "1.0.0", "name": "wncni", "type": "ward-net",
            "prevResult": prev}
    put("net_cni", json.dumps(base))
    put("net_cni", json.dumps(dict(base, cniVersion="0.4.0", mac_filtering=True,
                                   ipv4_filtering=False, ipv6_filtering=True)))
    put("net_cni", json.dumps({k: v for k, v in base.items() if k != "prevResult"}))
    put("net_cni", json.dumps(dict(base, cniVersion="0.3.1")))
    put("net_cni", json.dumps(dict(base, prevResult=dict(prev, ips=[
        {"address": "198.51.100.%d/32" % i} for i in range(9)]))))
    # seccomp cache entries as seccomp_cache_store writes them, for the key
    # fuzz_seccomp_cache.c uses: the header, the key, the instructions
    key = b"fuzz: a key as seccomp_cache_key writes one"
    allow = struct.pack("<HBBI", 0x06, 0, 0, 0x7fff0000)
    for insns in (allow, struct.pack("<HBBI", 0x20, 0, 0, 4) + allow):
        put("seccomp_cache", b"ward-seccomp-bpf 1 %d %d\n" % (len(key), len(insns) // 8)
            + key + insns)
    put("seccomp_cache", b"ward-seccomp-bpf 1 3 1\nkey" + allow)
    for name in ("config", "seccomp", "state", "registry", "net_cni"):
        write_dict(name, json_words(corpus_json(name)))
    with open(os.path.join(REPO, "fuzz", "net_annotations.dict"), "w") as f:
        f.write("# written by fuzz/seeds.py\n")
        words = {"ward.net." + k + "=" for k in (
            "mode", "bridge", "parent", "name", "hwaddr", "mtu", "ipv4.address",
            "ipv6.address", "ipv4.gateway", "ipv6.gateway", "mac_filtering",
            "ipv4_filtering", "ipv6_filtering")}
        words |= {"bridged", "routed", "true", "false", "/24", "/32", "/64",
                  "/128", "::", ":", ",", "192.0.2.", "2001:db8::", "\n"}
        for w in sorted(words):
            f.write(dict_entry(w) + "\n")
    with open(os.path.join(REPO, "fuzz", "mount_opts.dict"), "w") as f:
        f.write("# written by fuzz/seeds.py\n")
        for w in sorted(mount_words | {"bind", "rbind", "ro", "rw", "rro", "rrw",
                                       "nosuid", "rnosuid", "nodev", "noexec",
                                       "idmap", "ridmap", "tmpcopyup", "shared",
                                       "rshared", "slave", "rslave", "private",
                                       "rprivate", "unbindable", "runbindable",
                                       "mode=", "size=", "uid=", "gid=", ","}):
            f.write(dict_entry(w) + "\n")


if __name__ == "__main__":
    main()
