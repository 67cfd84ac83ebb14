"""`make run` as a test sees it: the devstack in its own process group, on free ports and a
data directory of the test's, started, stopped and restarted from outside."""

import contextlib
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import psutil

from dealflow_libs.devstack.emulators import DEFAULT_BASE_PORT, emulator_ports
from dealflow_libs.devstack.services import installed_services
from dealflow_libs.testing.servers import free_port, free_ports_in_a_row


def free_emulator_base() -> int:
    """A base port with a free port for every emulator from it on (see devstack.emulators)."""
    return free_ports_in_a_row(max(1, len(emulator_ports(DEFAULT_BASE_PORT))))


@dataclass
class DevstackPorts:
    postgres: int = field(default_factory=free_port)
    kafka: int = field(default_factory=free_port)
    services: dict[str, int] = field(
        default_factory=lambda: {spec.name: free_port() for spec in installed_services()}
    )
    emulator_base: int = field(default_factory=lambda: free_emulator_base())

    def all(self) -> list[int]:
        emulators = emulator_ports(self.emulator_base).values()
        return [self.postgres, self.kafka, *self.services.values(), *emulators]

    def url(self, service: str) -> str:
        return f"http://127.0.0.1:{self.services[service]}"


class DevstackRun:
    """One `python -m dealflow_libs.devstack run`, as `make run` starts it."""

    def __init__(self, data_dir: Path, ports: DevstackPorts) -> None:
        self.data_dir = data_dir
        self.ports = ports
        self.log_path = data_dir / f"devstack-{time.monotonic_ns()}.log"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, *, within: float = 180) -> "DevstackRun":
        command = [
            sys.executable, "-m", "dealflow_libs.devstack", "run",
            "--data-dir", str(self.data_dir),
            "--pg-port", str(self.ports.postgres),
            "--kafka-port", str(self.ports.kafka),
            "--emulator-base-port", str(self.ports.emulator_base),
        ]  # fmt: skip
        for name, port in self.ports.services.items():
            command += ["--service-port", f"{name}={port}"]
        # The servers of the test session must not be taken for "servers you already run".
        env = {
            k: v
            for k, v in os.environ.items()
            if k not in ("DEALFLOW_DATABASE_URL", "DEALFLOW_KAFKA_BOOTSTRAP")
        }
        self.data_dir.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("wb") as log:
            # A new process group, like the one a terminal gives `make run`.
            self.process = subprocess.Popen(
                command, env=env, stdout=log, stderr=subprocess.STDOUT, process_group=0
            )
        self._wait_ready(within)
        return self

    def _wait_ready(self, within: float) -> None:
        """Until this run says it is up (a previous run's services may still answer on the
        ports) and every service is ready."""
        deadline = time.monotonic() + within
        pending = {"devstack", *self.ports.services}
        while pending:
            if "==> Dealflow is up" in self.log_path.read_text(errors="replace"):
                pending.discard("devstack")
            if self.process is None or self.process.poll() is not None:
                raise RuntimeError(f"devstack exited while starting:\n{self.log_tail()}")
            if time.monotonic() > deadline:
                raise TimeoutError(f"{sorted(pending)} not ready:\n{self.log_tail()}")
            for name in pending & set(self.ports.services):
                try:
                    if httpx.get(f"{self.ports.url(name)}/ready", timeout=2).status_code == 200:
                        pending.discard(name)
                except httpx.HTTPError:
                    pass
            time.sleep(0.3)

    def log_tail(self, lines: int = 40) -> str:
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def service_pid(self, name: str) -> int:
        """The uvicorn process listening on the service's port."""
        port = self.ports.services[name]
        for child in psutil.Process(self.pid).children(recursive=True):
            with contextlib.suppress(psutil.Error):  # e.g. a killed broker's zombie
                if str(port) in child.cmdline():
                    return child.pid
        raise LookupError(f"no process of {name}")

    def processes(self) -> list[psutil.Process]:
        """Everything this run started: its children and the PostgreSQL server (pg_ctl
        detaches it, so it is found through its pid file)."""
        found = [psutil.Process(self.pid), *psutil.Process(self.pid).children(recursive=True)]
        postmaster = self.data_dir / "postgres" / "pgdata" / "postmaster.pid"
        if postmaster.exists():
            found.append(psutil.Process(int(postmaster.read_text().split()[0])))
        return found

    def signal_group(self, signum: int) -> None:
        os.killpg(self.pid, signum)

    def wait(self, within: float = 60) -> int:
        assert self.process is not None
        return self.process.wait(within)

    def stop(self) -> None:
        """A single Ctrl-C, and wait for the run to end."""
        if self.process is not None and self.process.poll() is None:
            self.signal_group(signal.SIGINT)
            self.wait()


def alive(processes: list[psutil.Process]) -> list[str]:
    """The processes still running (a zombie has finished running)."""
    left = []
    for process in processes:
        try:
            if process.is_running() and process.status() != psutil.STATUS_ZOMBIE:
                left.append(f"{process.pid} {' '.join(process.cmdline())[:120]}")
        except psutil.NoSuchProcess:
            pass
    return left
