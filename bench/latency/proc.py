"""CPU time of processes (from /proc/<pid>/stat through psutil) and nearest-rank percentiles."""

import time
from collections.abc import Mapping

import psutil

from dealflow_libs.testing.bench import percentile


def cpu_seconds(pid: int, *, children: bool = False) -> dict[int, float]:
    """User + system CPU seconds of `pid` (and of its descendants), per process."""
    try:
        root = psutil.Process(pid)
        processes = [root, *(root.children(recursive=True) if children else [])]
    except psutil.NoSuchProcess:
        return {}
    used = {}
    for process in processes:
        try:
            times = process.cpu_times()
        except psutil.NoSuchProcess:
            continue
        used[process.pid] = times.user + times.system
    return used


class CpuMeter:
    """Average share of one core used by each named process (tree) between start and stop."""

    def __init__(self, pids: Mapping[str, tuple[int, bool]]) -> None:
        self._pids = pids  # name -> (pid, include descendants)
        self._before: dict[str, dict[int, float]] = {}
        self._started = 0.0

    def start(self) -> None:
        self._before = {
            name: cpu_seconds(pid, children=tree) for name, (pid, tree) in self._pids.items()
        }
        self._started = time.monotonic()

    def stop(self) -> dict[str, float]:
        """Percent of one core per name."""
        elapsed = time.monotonic() - self._started
        shares = {}
        for name, (pid, tree) in self._pids.items():
            before = self._before.get(name, {})
            now = cpu_seconds(pid, children=tree)
            used = sum(seconds - before.get(p, 0.0) for p, seconds in now.items())
            shares[name] = round(used / elapsed * 100, 2)
        return shares


def pid_listening_on(port: int) -> int | None:
    """The process holding a listening TCP socket on `port` on this machine, if visible."""
    for conn in psutil.net_connections(kind="tcp"):
        if conn.status == psutil.CONN_LISTEN and conn.laddr and conn.laddr.port == port:
            return conn.pid
    return None


def port_of(url_or_address: str) -> int:
    return int(url_or_address.rstrip("/").rsplit(":", 1)[1].split("/")[0])


def percentiles(values: list[float]) -> dict[str, float]:
    return {
        "n": len(values),
        "p50": round(percentile(values, 50), 1),
        "p90": round(percentile(values, 90), 1),
        "p99": round(percentile(values, 99), 1),
        "max": round(max(values, default=float("nan")), 1),
    }
