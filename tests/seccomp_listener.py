# SPDX-License-Identifier: GPL-2.0-or-later
"""A minimal seccomp agent for the SCMP_ACT_NOTIFY tests.

    seccomp_listener.py SOCKET OUT.json

Listens on the unix socket SOCKET, takes the one container process state a
runtime sends there (JSON payload, listener fd by SCM_RIGHTS), writes the
state to OUT.json, then answers notified syscalls until the container is
gone: mkdir/mkdirat of PATH really creates PATH-<metadata> inside the
container (through /proc/PID/root) and returns success, so a test can see
that the agent, not the kernel, handled the call; anything else gets EPERM.
"""
import array
import ctypes
import errno
import json
import os
import select
import socket
import struct
import sys

# linux/seccomp.h, x86_64 and every other 64-bit ABI alike.
NOTIF_SIZE = 80        # struct seccomp_notif
RESP_SIZE = 24         # struct seccomp_notif_resp


def _iowr(nr, size):
    return (3 << 30) | (size << 16) | (ord("!") << 8) | nr


def _iow(nr, size):
    return (1 << 30) | (size << 16) | (ord("!") << 8) | nr


IOCTL_NOTIF_RECV = _iowr(0, NOTIF_SIZE)
IOCTL_NOTIF_SEND = _iowr(1, RESP_SIZE)
IOCTL_NOTIF_ID_VALID = _iow(2, 8)

# Syscall numbers of the calls this agent emulates (x86_64).
NR_MKDIR, NR_MKDIRAT = 83, 258

libc = ctypes.CDLL(None, use_errno=True)
libc.ioctl.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_void_p]


def ioctl(fd, req, buf):
    if libc.ioctl(fd, req, buf) < 0:
        e = ctypes.get_errno()
        raise OSError(e, os.strerror(e))


def read_string(pid, addr, limit=4096):
    with open("/proc/%d/mem" % pid, "rb", buffering=0) as mem:
        mem.seek(addr)
        data = mem.read(limit)
    return data.split(b"\0", 1)[0].decode()


def answer(fd, notif_id, val=0, error=0):
    resp = ctypes.create_string_buffer(struct.pack("=QqiI", notif_id, val, error, 0), RESP_SIZE)
    ioctl(fd, IOCTL_NOTIF_SEND, resp)


def handle(fd, metadata):
    req = ctypes.create_string_buffer(NOTIF_SIZE)
    ioctl(fd, IOCTL_NOTIF_RECV, req)
    notif_id, pid, _flags, nr, _arch, _ip = struct.unpack_from("=QIIiIQ", req.raw)
    args = struct.unpack_from("=6Q", req.raw, 32)
    if nr not in (NR_MKDIR, NR_MKDIRAT):
        answer(fd, notif_id, error=-errno.EPERM)
        return
    path_arg, mode = (args[0], args[1]) if nr == NR_MKDIR else (args[1], args[2])
    path = read_string(pid, path_arg)
    # The pid may have been reused while we read its memory.
    ioctl(fd, IOCTL_NOTIF_ID_VALID, ctypes.byref(ctypes.c_uint64(notif_id)))
    target = "/proc/%d/root/%s-%s" % (pid, path.lstrip("/"), metadata)
    try:
        os.mkdir(target, mode & 0o7777)
        answer(fd, notif_id)
    except OSError as e:
        answer(fd, notif_id, error=-e.errno)


def main():
    sock_path, out_path = sys.argv[1], sys.argv[2]
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(sock_path)
    srv.listen(1)
    srv.settimeout(60)
    conn, _ = srv.accept()
    fds = array.array("i")
    chunks = []
    msg, anc, _flags, _addr = conn.recvmsg(65536, socket.CMSG_LEN(4 * fds.itemsize))
    chunks.append(msg)
    for level, typ, data in anc:
        if level == socket.SOL_SOCKET and typ == socket.SCM_RIGHTS:
            fds.frombytes(data[:len(data) - len(data) % fds.itemsize])
    while True:  # the runtime closes after one state
        more = conn.recv(65536)
        if not more:
            break
        chunks.append(more)
    conn.close()
    srv.close()
    state = json.loads(b"".join(chunks))
    state["_received_fds"] = len(fds)
    with open(out_path + ".tmp", "w") as f:
        json.dump(state, f)
    os.rename(out_path + ".tmp", out_path)
    if not fds:
        return 1
    fd = fds[0]
    metadata = state.get("metadata", "")
    poller = select.poll()
    poller.register(fd, select.POLLIN)
    while True:
        events = poller.poll(60000)
        if not events:
            return 2
        _, ev = events[0]
        if ev & select.POLLIN:
            try:
                handle(fd, metadata)
            except OSError as e:
                if e.errno != errno.ENOENT:  # the caller went away meanwhile
                    raise
        elif ev & (select.POLLHUP | select.POLLERR):
            return 0  # no task uses the filter any more


if __name__ == "__main__":
    sys.exit(main())
