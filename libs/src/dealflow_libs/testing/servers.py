"""Real PostgreSQL and broker for tests: given by environment, testcontainers, or local wheels."""

import os
import random
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from dealflow_libs.devstack.processes import port_in_use
from dealflow_libs.devstack.stack import Stack, start_stack

_handed_out: set[int] = set()


def _ephemeral_low() -> int:
    """Where the kernel starts handing out ports to outgoing connections."""
    try:
        low = Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0]
        return int(low)
    except (OSError, ValueError, IndexError):
        return 32768


def free_ports_in_a_row(count: int, *, attempts: int = 200) -> int:
    """The first of `count` consecutive ports, free now, that this process has not handed out
    before. Picked below the ephemeral range: a port in it can be taken at any moment by an
    outgoing connection before the server binds it ("address already in use"), or while a
    server is restarted, and a client reconnecting to a port nobody listens on can even be
    connected to itself (TCP simultaneous open) when the kernel picks that port as its source."""
    rng = random.Random()
    high = max(11_000, _ephemeral_low()) - count
    for _ in range(attempts):
        first = rng.randrange(10_000, high)
        wanted = range(first, first + count)
        if _handed_out.isdisjoint(wanted) and not any(port_in_use(p) for p in wanted):
            _handed_out.update(wanted)
            return first
    raise RuntimeError(f"found no {count} free ports in a row")


def free_port() -> int:
    """A free port for a test server (see `free_ports_in_a_row`)."""
    return free_ports_in_a_row(1)


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
