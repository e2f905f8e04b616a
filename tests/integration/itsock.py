"""Unix-socket servers the runtime talks to: the console socket (receives the
pty master, --console-socket) and the seccomp notify listener (receives the
notify fd and the container state on linux.seccomp.listenerPath)."""
import array
import fcntl
import json
import os
import select
import socket
import struct
import threading
import time


# ---------------------------------------------------------------- console socket
class ConsoleSocket:
    """Listens on a Unix socket for the pty master that the runtime sends
    (--console-socket), then collects everything the container writes."""

    def __init__(self, path):
        self.path = path
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.bind(path)
        self.sock.listen(1)
        self.master = None
        self.data = b""
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self):
        self.sock.settimeout(20)
        try:
            conn, _ = self.sock.accept()
        except OSError:
            return
        with conn:
            fds = array.array("i")
            msg, anc, _, _ = conn.recvmsg(4096, socket.CMSG_SPACE(4 * fds.itemsize))
            for level, typ, data in anc:
                if level == socket.SOL_SOCKET and typ == socket.SCM_RIGHTS:
                    fds.frombytes(data[:len(data) - len(data) % fds.itemsize])
            if fds:
                self.master = fds[0]

    def wait_master(self, timeout=10):
        self._thread.join(timeout)
        assert self.master is not None, "no pty master fd arrived on the console socket"
        return self.master

    def winsize(self):
        buf = fcntl.ioctl(self.master, 0x5413, b"\0" * 8)  # TIOCGWINSZ
        rows, cols, _, _ = struct.unpack("HHHH", buf)
        return rows, cols

    def read_until_eof(self, timeout=10):
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            r, _, _ = select.select([self.master], [], [], 0.1)
            if not r:
                continue
            try:
                chunk = os.read(self.master, 65536)
            except OSError:  # EIO: the slave side closed
                break
            if not chunk:
                break
            self.data += chunk
        return self.data.decode(errors="replace")

    def close(self):
        self.sock.close()
        if self.master is not None:
            os.close(self.master)
            self.master = None


# ---------------------------------------------------------------- seccomp notify
SECCOMP_IOCTL_NOTIF_RECV = 0xC0502100
SECCOMP_IOCTL_NOTIF_SEND = 0xC0182101


class SeccompListener:
    """Receives the seccomp notify fd (and the state JSON) on listenerPath and
    answers every notification with -answer_errno."""

    def __init__(self, path, answer_errno):
        self.path = path
        self.answer = answer_errno
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.bind(path)
        self.sock.listen(1)
        self.state = None
        self.fd = None
        self.notified = []
        self._stop = False
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self):
        self.sock.settimeout(20)
        try:
            conn, _ = self.sock.accept()
        except OSError:
            return
        with conn:
            fds = array.array("i")
            msg, anc, _, _ = conn.recvmsg(65536, socket.CMSG_SPACE(4 * fds.itemsize))
            for level, typ, data in anc:
                if level == socket.SOL_SOCKET and typ == socket.SCM_RIGHTS:
                    fds.frombytes(data[:len(data) - len(data) % fds.itemsize])
            try:
                self.state = json.loads(msg.decode())
            except ValueError:
                self.state = msg
            if not fds:
                return
            self.fd = fds[0]
        while not self._stop:
            r, _, _ = select.select([self.fd], [], [], 0.1)
            if not r:
                continue
            buf = bytearray(80)
            try:
                fcntl.ioctl(self.fd, SECCOMP_IOCTL_NOTIF_RECV, buf, True)
            except OSError:
                continue
            nid, pid, _flags, nr = struct.unpack_from("QIIi", buf, 0)
            self.notified.append((pid, nr))
            resp = bytearray(struct.pack("QqiI", nid, 0, -self.answer, 0))
            try:
                fcntl.ioctl(self.fd, SECCOMP_IOCTL_NOTIF_SEND, resp, True)
            except OSError:
                pass

    def close(self):
        self._stop = True
        self._thread.join(2)
        self.sock.close()
        if self.fd is not None:
            os.close(self.fd)
