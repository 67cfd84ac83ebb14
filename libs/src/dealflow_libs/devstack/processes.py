"""Pid files of what a devstack run started, and port checks, so that a run killed before it
could stop its servers (kill -9, a crash) does not leave the next `make run` facing busy ports.

Each file holds `<pid> <process start time>`: a pid reused by an unrelated process since is
recognised by its different start time and left alone.
"""

import contextlib
import os
import signal
import socket
import time
from pathlib import Path

import psutil

SUPERVISOR = "devstack"


class StackBusyError(RuntimeError):
    """Another live devstack run owns this data directory."""


def _started_at(pid: int) -> float | None:
    try:
        return psutil.Process(pid).create_time()
    except psutil.Error:
        return None


class PidFiles:
    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def _path(self, name: str) -> Path:
        return self.directory / f"{name}.pid"

    def record(self, name: str, pid: int) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        self._path(name).write_text(f"{pid} {_started_at(pid)}")

    def forget(self, name: str) -> None:
        self._path(name).unlink(missing_ok=True)

    def alive(self, name: str) -> int | None:
        """The recorded process if it still runs (the same process, not a reused pid)."""
        try:
            pid_text, started = self._path(name).read_text().split()
            pid = int(pid_text)
        except (OSError, ValueError):
            return None
        now = _started_at(pid)
        return pid if now is not None and str(now) == started else None

    def claim(self) -> list[str]:
        """Makes this process the data directory's supervisor after stopping what a dead one
        left running; returns the names it stopped. Refuses while another run is alive."""
        owner = self.alive(SUPERVISOR)
        if owner is not None and owner != os.getpid():
            raise StackBusyError(
                f"another devstack run (pid {owner}) uses {self.directory.parent}; stop it first"
            )
        stopped = []
        for path in sorted(self.directory.glob("*.pid")) if self.directory.exists() else []:
            name = path.stem
            pid = self.alive(name) if name != SUPERVISOR else None
            if pid is not None:
                terminate(pid)
                stopped.append(name)
            self.forget(name)
        self.record(SUPERVISOR, os.getpid())
        return stopped

    def release(self) -> None:
        self.forget(SUPERVISOR)


def terminate(pid: int, *, timeout: float = 10) -> None:
    """SIGTERM (and SIGCONT, in case it was stopped), then SIGKILL after `timeout`."""
    try:
        process = psutil.Process(pid)
        process.send_signal(signal.SIGTERM)
        process.send_signal(signal.SIGCONT)
        if not _ended(process, timeout):
            process.kill()
            _ended(process, 5)
    except psutil.Error:
        pass


def _ended(process: psutil.Process, timeout: float) -> bool:
    """Waits for a process that is not our child; a zombie counts as ended (an orphan's
    zombie stays until init reaps it, and some container inits never do)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if process.status() == psutil.STATUS_ZOMBIE:
                return True
        except psutil.NoSuchProcess:
            return True
        time.sleep(0.05)
    return False


def port_in_use(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return True
    return False


def require_free_port(port: int, what: str, *, wait: float = 5) -> None:
    """Fails with a clear message when `port` stays busy, rather than silently talking to
    whatever listens there (an old broker would hide that this run's broker is new)."""
    deadline = time.monotonic() + wait
    while port_in_use(port):
        if time.monotonic() > deadline:
            holder = _listener(port)
            raise RuntimeError(
                f"port {port} for {what} is in use{f' by pid {holder}' if holder else ''}; "
                "stop it or choose another port"
            )
        time.sleep(0.2)


def _listener(port: int) -> int | None:
    with contextlib.suppress(psutil.Error, OSError):
        for conn in psutil.net_connections(kind="tcp"):
            if conn.laddr and conn.laddr.port == port and conn.status == psutil.CONN_LISTEN:
                return conn.pid
    return None
