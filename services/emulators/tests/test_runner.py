"""`python -m dealflow_emulators`: one emulator, or all of them on consecutive ports."""

import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from dealflow_emulators.registry import available, listeners
from dealflow_libs.devstack.emulators import LocalEmulators
from dealflow_libs.testing.devstack import free_emulator_base
from dealflow_libs.testing.servers import free_ports_in_a_row


def _wait_until_up(url: str, process: subprocess.Popen[str]) -> dict[str, object]:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        assert process.poll() is None, process.stderr.read() if process.stderr else ""
        try:
            state: dict[str, object] = httpx.get(f"{url}/_emulator/state", timeout=1).json()
            return state
        except httpx.TransportError:
            time.sleep(0.1)
    raise AssertionError(f"{url} did not come up")


def _smtp_banner(port: int) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        return sock.recv(200)


def test_all_serves_every_available_emulator_on_its_offset() -> None:
    base = free_ports_in_a_row(len(listeners(0)))
    process = subprocess.Popen(
        [sys.executable, "-m", "dealflow_emulators", "all", "--base-port", str(base)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        served, banners = {}, {}
        for listener in listeners(base):
            if listener.scheme == "http":
                url = f"http://127.0.0.1:{listener.port}"
                served[listener.name] = _wait_until_up(url, process)["emulator"]
        for listener in listeners(base):
            if listener.scheme == "smtp":
                banners[listener.name] = _smtp_banner(listener.port)
    finally:
        process.terminate()
        output, _ = process.communicate(timeout=10)

    http_names = {s.name for s in available() if s.control_port is None}
    assert {n: e for n, e in served.items() if n in http_names} == {n: n for n in http_names}
    assert served["smtp-control"] == "smtp"
    assert banners["smtp"].startswith(b"220 ")
    assert [listener.port for listener in listeners(base)] == list(
        range(base, base + len(listeners(base)))
    )
    assert f"hubspot emulator: http://127.0.0.1:{base}" in output
    assert f"resend emulator: http://127.0.0.1:{base + 4}" in output
    assert f"smtp emulator: smtp://127.0.0.1:{base + 5}" in output


def test_make_runs_emulators_listen_on_every_port_it_reserves(tmp_path: Path) -> None:
    """What `make run` and the e2e tests use: a base with a free port for each listener (the
    SMTP sink has two), every one listening once started, SMTP named by its scheme."""
    base = free_emulator_base()
    running = LocalEmulators(base, tmp_path / "emulators.log")
    try:
        running.start()
        urls = running.urls
        assert urls["smtp"] == f"smtp://127.0.0.1:{base + 5}"
        assert urls["smtp-control"] == f"http://127.0.0.1:{base + 6}"
        assert set(running.ports) == set(urls)
        state = httpx.get(f"{urls['smtp-control']}/_emulator/state", timeout=5).json()
        assert state["emulator"] == "smtp"
        assert _smtp_banner(running.ports["smtp"]).startswith(b"220 ")
        assert httpx.get(f"{urls['resend']}/_emulator/state", timeout=5).json()["emulator"] == (
            "resend"
        )
    finally:
        running.stop()
