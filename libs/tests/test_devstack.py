"""`make run` stops everything it started, however it is stopped, and a new run cleans up after
one that could not stop (kill -9)."""

import signal
import time
from pathlib import Path

import psutil

from dealflow_libs.devstack.processes import port_in_use
from dealflow_libs.testing.devstack import DevstackPorts, DevstackRun, alive


def wait_gone(processes: list[psutil.Process], within: float = 30) -> list[str]:
    deadline = time.monotonic() + within
    while (left := alive(processes)) and time.monotonic() < deadline:
        time.sleep(0.2)
    return left


def test_killed_run_is_cleaned_up_and_a_repeated_signal_stops_everything(
    tmp_path: Path,
) -> None:
    ports = DevstackPorts()
    first = DevstackRun(tmp_path, ports).start()
    orphans = first.processes()[1:]
    # kill -9 of the supervisor: its servers and services keep running and hold the ports.
    first.process.kill()  # type: ignore[union-attr]
    first.wait()

    second = DevstackRun(tmp_path, ports).start()
    assert wait_gone(orphans, within=5) == [], "the previous run's processes were not stopped"
    started = second.processes()
    # A stopped service makes the stop take a while; the terminal's second SIGINT (make passes
    # it on) then arrives while the devstack is cleaning up.
    psutil.Process(second.service_pid("deals")).suspend()
    second.signal_group(signal.SIGINT)
    time.sleep(0.3)
    second.signal_group(signal.SIGINT)
    second.wait(within=60)

    assert wait_gone(started) == [], second.log_tail()
    assert [p for p in ports.all() if port_in_use(p)] == []
