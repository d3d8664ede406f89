"""A real network filesystem on one machine: fuse.sshfs over loopback, through a delaying proxy.

    with loopback_sshfs(served_dir, mountpoint, delay_ms=1.0) as mount:
        ...  # mount.path is a fuse.sshfs mount of served_dir; every request pays a round trip

The sshd is our own (`/usr/sbin/sshd -D -e -f CONFIG`, run as whoever runs this): its host key,
its authorized key, a free port on 127.0.0.1 and its config all live in a temporary directory.
sshfs talks to it through `DelayProxy`, which holds every chunk for `delay_ms` in each direction
without limiting throughput (chunks in flight overlap), so a lookup costs about 2 × delay_ms more
than over plain loopback, the way a LAN or VPN share does. Everything started is stopped by its
own handle in `__exit__` (unmount first, then sshfs, the proxy and sshd), also on Ctrl-C.
Used by benchmarks/bench_network.py and tests/core/test_network_walk.py.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path

SSHD = "/usr/sbin/sshd"  # sshd refuses to run unless invoked by its absolute path
# The cache options, chosen deliberately and printed by the benchmark: sshfs's own caches stay
# on (its default, what users run), and each timed run gets a fresh mount, so every contender
# starts cold and pays the round trips a first scan of the day pays.
SSHFS_CACHE_OPTIONS = ("cache=yes",)


def symlink_options() -> tuple[str, ...]:
    """Recent sshfs builds refuse (EPERM) every link target with `..` or a leading `/`
    (`contain_symlinks`, on by default against hostile servers). Our server is our own and the
    Vault is full of `../` links, so show them as they are, where the option exists."""
    try:
        text = subprocess.run(["sshfs", "--help"], capture_output=True, text=True).stdout
    except OSError:
        return ()
    return ("no_contain_symlinks",) if "no_contain_symlinks" in text else ()


def missing_tools() -> str | None:
    """Why a loopback sshfs mount cannot be made here (one line), or None when it can."""
    if shutil.which("sshfs") is None:
        return "sshfs is not installed"
    if not os.access(SSHD, os.X_OK):
        return f"{SSHD} is missing (openssh-server is not installed)"
    if shutil.which("ssh-keygen") is None:
        return "ssh-keygen is not installed"
    if not os.path.exists("/dev/fuse"):
        return "/dev/fuse is missing"
    if _unmount_command("/") is None:
        return "neither fusermount nor umount is available"
    return None


def _unmount_command(path: str) -> list[str] | None:
    for tool in ("fusermount3", "fusermount"):
        if shutil.which(tool):
            return [tool, "-u", "-z", path]  # lazy: a cleanup never hangs on a busy mount
    if shutil.which("umount"):  # macOS (macFUSE) has no fusermount
        return ["umount", path]
    return None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class DelayProxy:
    """A TCP proxy on 127.0.0.1 that delivers every chunk `delay` seconds after it arrived, in
    both directions. Two threads per direction (a reader stamping chunks, a writer sending each
    when due), so the delay is latency, not a throughput cap."""

    def __init__(self, target_port: int, delay: float) -> None:
        self.target_port = target_port
        self.delay = delay
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self._stop = threading.Event()
        self._sockets: list[socket.socket] = []
        self._threads: list[threading.Thread] = []
        self._start(self._accept_loop)

    def _start(self, target, *args) -> None:
        t = threading.Thread(target=target, args=args, daemon=True)
        self._threads.append(t)
        t.start()

    def _accept_loop(self) -> None:
        while not self._stop.is_set():
            try:
                client, _ = self._listener.accept()
            except OSError:
                return  # closed by close()
            upstream = socket.create_connection(("127.0.0.1", self.target_port))
            for s in (client, upstream):
                s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                self._sockets.append(s)
            self._pipe(client, upstream)
            self._pipe(upstream, client)

    def _pipe(self, src: socket.socket, dst: socket.socket) -> None:
        queue: deque[tuple[float, bytes]] = deque()
        ready = threading.Condition()
        self._start(self._read, src, queue, ready)
        self._start(self._write, dst, queue, ready)

    def _read(self, src, queue, ready) -> None:
        while True:
            try:
                data = src.recv(1 << 16)
            except OSError:
                data = b""
            with ready:
                queue.append((time.monotonic() + self.delay, data))
                ready.notify()
            if not data:
                return

    def _write(self, dst, queue, ready) -> None:
        while True:
            with ready:
                while not queue:
                    ready.wait()
                due, data = queue.popleft()
            wait = due - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            try:
                if not data:
                    dst.shutdown(socket.SHUT_WR)
                    return
                dst.sendall(data)
            except OSError:
                return

    def close(self) -> None:
        self._stop.set()
        self._listener.close()
        for s in self._sockets:
            with contextlib.suppress(OSError):
                s.close()


@dataclass
class LoopbackSshfs:
    """sshd + DelayProxy + one sshfs mount of `served` at `mountpoint` (see the module doc)."""

    served: Path
    mountpoint: Path
    delay_ms: float = 1.0
    workdir: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="ytm-sshd-")))
    sshd: subprocess.Popen | None = None
    proxy: DelayProxy | None = None
    sshfs: subprocess.Popen | None = None
    made_privsep: bool = False
    symlink_opts: tuple[str, ...] = field(default_factory=symlink_options)

    @property
    def path(self) -> Path:
        return self.mountpoint

    def options(self) -> list[str]:
        """The sshfs -o options, cache choices first (what the benchmark prints)."""
        assert self.proxy is not None
        return [
            *SSHFS_CACHE_OPTIONS,
            *self.symlink_opts,
            f"port={self.proxy.port}",
            f"IdentityFile={self.workdir / 'userkey'}",
            "StrictHostKeyChecking=no",
            "UserKnownHostsFile=/dev/null",
            "BatchMode=yes",
            "LogLevel=ERROR",
        ]

    def start_server(self) -> None:
        """sshd on a free port and the proxy in front of it; sshfs mounts come after."""
        work = self.workdir
        for key in ("hostkey", "userkey"):
            subprocess.run(
                ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(work / key)],
                check=True,
                stdin=subprocess.DEVNULL,
            )
        shutil.copy(work / "userkey.pub", work / "authorized_keys")
        port = free_port()
        (work / "sshd_config").write_text(
            f"Port {port}\nListenAddress 127.0.0.1\nHostKey {work / 'hostkey'}\n"
            f"AuthorizedKeysFile {work / 'authorized_keys'}\nPidFile none\nStrictModes no\n"
            "UsePAM no\nPasswordAuthentication no\nKbdInteractiveAuthentication no\n"
            "PermitRootLogin prohibit-password\nSubsystem sftp internal-sftp\n"
        )
        if os.geteuid() == 0 and not os.path.isdir("/run/sshd"):
            # A root sshd insists on its privilege-separation directory (the package's service
            # unit makes it at boot); made here only when missing and removed again afterwards.
            os.mkdir("/run/sshd", 0o755)
            self.made_privsep = True
        self.sshd = _spawn([SSHD, "-D", "-e", "-f", str(work / "sshd_config")], work / "sshd.log")
        _wait_for(lambda: _port_open(port), 10, "sshd did not start", work / "sshd.log")
        self.proxy = DelayProxy(port, self.delay_ms / 1000)

    def mount(self) -> None:
        self.mountpoint.mkdir(parents=True, exist_ok=True)
        user = os.environ.get("USER") or _user_name()
        cmd = ["sshfs", "-f", f"{user}@127.0.0.1:{self.served}", str(self.mountpoint)]
        cmd += ["-o", ",".join(self.options())]
        log = self.workdir / "sshfs.log"
        self.sshfs = proc = _spawn(cmd, log)
        _wait_for(
            lambda: os.path.ismount(self.mountpoint) or proc.poll() is not None,
            20,
            "sshfs did not mount",
            log,
        )
        if not os.path.ismount(self.mountpoint):
            raise RuntimeError(f"sshfs did not mount: {_tail(log)}")

    def unmount(self) -> None:
        if self.sshfs is None:
            return
        cmd = _unmount_command(str(self.mountpoint))
        if cmd is not None and os.path.ismount(self.mountpoint):
            subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        _stop(self.sshfs)
        self.sshfs = None

    def remount(self) -> None:
        """A fresh mount: no sshfs or kernel cache left from the previous one."""
        self.unmount()
        self.mount()

    def close(self) -> None:
        try:
            self.unmount()
        finally:
            if self.proxy is not None:
                self.proxy.close()
            if self.sshd is not None:
                _stop(self.sshd)
            if self.made_privsep:
                with contextlib.suppress(OSError):
                    os.rmdir("/run/sshd")
            shutil.rmtree(self.workdir, ignore_errors=True)

    def __enter__(self) -> LoopbackSshfs:
        try:
            self.start_server()
            self.mount()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def loopback_sshfs(served: Path, mountpoint: Path, delay_ms: float = 1.0) -> LoopbackSshfs:
    return LoopbackSshfs(Path(served).resolve(), Path(mountpoint), delay_ms)


def _spawn(cmd: list[str], log: Path) -> subprocess.Popen:
    with open(log, "wb") as err:  # the child keeps its own copy of the descriptor
        return subprocess.Popen(
            cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=err
        )


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _port_open(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return True
    except OSError:
        return False


def _wait_for(ready, seconds: float, what: str, log: Path) -> None:
    deadline = time.monotonic() + seconds
    while not ready():
        if time.monotonic() > deadline:
            raise RuntimeError(f"{what}: {_tail(log)}")
        time.sleep(0.05)


def _tail(log: Path) -> str:
    try:
        lines = log.read_text(errors="replace").strip().splitlines()
    except OSError:
        return "(no log)"
    return lines[-1] if lines else "(empty log)"


def _user_name() -> str:
    import pwd

    return pwd.getpwuid(os.getuid()).pw_name
