"""`python -m dealflow_emulators`: one emulator, or all of them on consecutive ports."""

import socket
import subprocess
import sys
import time

import httpx

from dealflow_emulators.registry import EMULATORS, available
from dealflow_libs.testing.servers import free_port


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


def test_all_serves_every_available_emulator_on_its_offset() -> None:
    base = free_port()
    while any(_taken(base + n) for n in range(len(EMULATORS))):
        base = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "dealflow_emulators", "all", "--base-port", str(base)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        served = {}
        for offset, spec in enumerate(EMULATORS):
            if spec.available():
                url = f"http://127.0.0.1:{base + offset}"
                served[spec.name] = _wait_until_up(url, process)["emulator"]
    finally:
        process.terminate()
        output, _ = process.communicate(timeout=10)

    assert served == {s.name: s.name for s in available()}
    assert "hubspot" in served
    assert f"hubspot emulator: http://127.0.0.1:{base}" in output


def _taken(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0
