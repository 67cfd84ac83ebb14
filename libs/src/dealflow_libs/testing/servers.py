"""Real PostgreSQL and broker for tests: given by environment, testcontainers, or local wheels."""

import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from dealflow_libs.devstack.processes import port_in_use
from dealflow_libs.devstack.stack import Stack, start_stack


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def free_ports_in_a_row(count: int, *, attempts: int = 50) -> int:
    """The first of `count` consecutive ports that are free now (for servers that take a base
    port, like the emulators)."""
    for _ in range(attempts):
        first = free_port()
        if first + count <= 65536 and not any(port_in_use(first + i) for i in range(1, count)):
            return first
    raise RuntimeError(f"found no {count} free ports in a row")


def docker_available() -> bool:
    if shutil.which("docker") is None:
        return False
    try:
        return (
            subprocess.run(
                ["docker", "info"],  # noqa: S607
                capture_output=True,
                timeout=5,
                check=False,
            ).returncode
            == 0
        )
    except (OSError, subprocess.TimeoutExpired):
        return False


@contextmanager
def _testcontainers_stack() -> Iterator[Stack]:
    from testcontainers.kafka import KafkaContainer
    from testcontainers.postgres import PostgresContainer

    with (
        PostgresContainer("postgres:17", driver=None) as pg,
        KafkaContainer().with_kraft() as kafka,
    ):
        yield Stack(
            database_url=pg.get_connection_url(), kafka_bootstrap=kafka.get_bootstrap_server()
        )


@contextmanager
def session_stack() -> Iterator[Stack]:
    """Servers for one test session.

    Set DEALFLOW_DATABASE_URL and DEALFLOW_KAFKA_BOOTSTRAP to reuse running ones.
    """
    given = os.environ.get("DEALFLOW_DATABASE_URL") and os.environ.get("DEALFLOW_KAFKA_BOOTSTRAP")
    if not given and os.environ.get("DEALFLOW_TESTCONTAINERS") == "1" and docker_available():
        with _testcontainers_stack() as stack:
            yield stack
        return
    data_dir = Path(tempfile.mkdtemp(prefix="dealflow-test-"))
    stack = start_stack(data_dir, pg_port=free_port(), kafka_port=free_port())
    try:
        yield stack
    finally:
        stack.stop()
        shutil.rmtree(data_dir, ignore_errors=True)
