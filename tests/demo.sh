#!/bin/sh
# make demo: a busybox container in an isolated idmap, as a newcomer sees it.
set -eu
cd "$(dirname "$0")/.."
WARD=${WARD:-$PWD/ward}
B=$PWD/build/demo-bundle

if [ "$(id -u)" != 0 ]; then
	echo "make demo: run as root (ward creates namespaces and cgroups)" >&2
	exit 1
fi

# ward allocates isolated ranges from root's subordinate ids, as LXD does.
for f in /etc/subuid /etc/subgid; do
	if ! grep -q '^root:' "$f" 2>/dev/null; then
		echo "demo: adding root:1000000:1000000000 to $f (root had no subordinate range)"
		echo "root:1000000:1000000000" >> "$f"
	fi
done

rm -rf "$B"
# Private, as a container's bundle must be when its rootfs is writable and
# idmapped (README, Security): no other user may reach files the container
# makes there.
mkdir -p -m 0700 "$B"
mkdir -p "$B/rootfs/bin" "$B/rootfs/etc" "$B/rootfs/proc" "$B/rootfs/sys" \
	"$B/rootfs/dev" "$B/rootfs/tmp" "$B/rootfs/root"
cp /bin/busybox "$B/rootfs/bin/busybox"
for a in $(/bin/busybox --list); do
	[ -e "$B/rootfs/bin/$a" ] || ln -s busybox "$B/rootfs/bin/$a"
done
echo 'root:x:0:0:root:/root:/bin/sh' > "$B/rootfs/etc/passwd"
echo 'root:x:0:' > "$B/rootfs/etc/group"

cat > "$B/config.json" <<'JSON'
{
  "ociVersion": "1.2.0",
  "process": {
    "terminal": false,
    "user": {"uid": 0, "gid": 0},
    "args": ["sh", "-c", "echo '$ id'; id; echo '$ hostname'; hostname; echo '$ cat /proc/self/uid_map'; cat /proc/self/uid_map; echo '$ ls -ln /bin/busybox'; ls -ln /bin/busybox; echo '$ mount'; mount"],
    "env": ["PATH=/bin", "TERM=xterm"],
    "cwd": "/",
    "capabilities": {
      "bounding": ["CAP_CHOWN", "CAP_KILL", "CAP_SETUID", "CAP_SETGID", "CAP_NET_BIND_SERVICE"],
      "effective": ["CAP_CHOWN", "CAP_KILL", "CAP_SETUID", "CAP_SETGID", "CAP_NET_BIND_SERVICE"],
      "permitted": ["CAP_CHOWN", "CAP_KILL", "CAP_SETUID", "CAP_SETGID", "CAP_NET_BIND_SERVICE"]
    },
    "noNewPrivileges": true
  },
  "root": {"path": "rootfs", "readonly": true},
  "hostname": "ward-demo",
  "annotations": {"ward.idmap.isolated": "true"},
  "mounts": [
    {"destination": "/proc", "type": "proc", "source": "proc"},
    {"destination": "/dev", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid", "mode=755", "size=65536k"]},
    {"destination": "/dev/pts", "type": "devpts", "source": "devpts", "options": ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620"]},
    {"destination": "/tmp", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid", "nodev", "mode=1777"]},
    {"destination": "/sys", "type": "sysfs", "source": "sysfs", "options": ["nosuid", "noexec", "nodev", "ro"]}
  ],
  "linux": {
    "namespaces": [{"type": "pid"}, {"type": "network"}, {"type": "ipc"}, {"type": "uts"}, {"type": "mount"}, {"type": "user"}, {"type": "cgroup"}],
    "maskedPaths": ["/proc/kcore", "/proc/keys", "/proc/timer_list", "/sys/firmware"],
    "readonlyPaths": ["/proc/sys", "/proc/sysrq-trigger"]
  }
}
JSON

echo "demo: bundle in $B; running: ward run --bundle $B ward-demo"
echo
"$WARD" --root "$PWD/build/demo-state" run --bundle "$B" ward-demo
echo
echo "demo: the container saw uid 0 mapped to a host range of its own (uid_map above);"
echo "demo: everything it used is gone: $("$WARD" --root "$PWD/build/demo-state" list -q | wc -l) containers left."
