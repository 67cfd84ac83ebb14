"""Bring up the backing servers (or use the ones given), then topics, databases and migrations."""

import asyncio
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path

from dealflow_libs.devstack.broker import LocalBroker
from dealflow_libs.devstack.postgres import LocalPostgres
from dealflow_libs.devstack.processes import PidFiles
from dealflow_libs.devstack.services import ServiceSpec, all_topics
from dealflow_libs.kafka import ensure_topics
from dealflow_libs.migrate import ensure_database, upgrade
from dealflow_libs.secretbox import new_key_spec
from dealflow_libs.settings import CommonSettings, service_database_url

log = logging.getLogger(__name__)


#: Consumer timings for the local (Tansu) broker, given to every service it serves unless the
#: environment sets them; Apache Kafka keeps the defaults of CommonSettings. Measured in
#: bench/latency (docs/performance.md): Tansu answers a fetch at once when records are there,
#: else looks at its storage again at W/2, 3W/4, ... of the wait W and answers at the first look
#: that finds some, so a hop waits up to W/2 (W/8 at the median); every idle fetch costs the
#: consumer about 0.7 ms of CPU and the broker about 0.2 ms per look. It holds each group join
#: for half the session timeout and drops a killed member only once that timeout has passed:
#: a restarted service consumes again about 4 s after it starts (20 s with Kafka's timings).
LOCAL_BROKER_TIMINGS = {
    "DEALFLOW_KAFKA_FETCH_MAX_WAIT_MS": "200",
    "DEALFLOW_KAFKA_BACKGROUND_FETCH_MAX_WAIT_MS": "5000",
    "DEALFLOW_KAFKA_SESSION_TIMEOUT_MS": "3000",
    "DEALFLOW_KAFKA_HEARTBEAT_INTERVAL_MS": "1000",
}


@dataclass
class Stack:
    database_url: str
    kafka_bootstrap: str
    postgres: LocalPostgres | None = None
    broker: LocalBroker | None = None
    secret_keys: str = ""
    notes: list[str] = field(default_factory=list)

    def env(self) -> dict[str, str]:
        env = {
            "DEALFLOW_DATABASE_URL": self.database_url,
            "DEALFLOW_KAFKA_BOOTSTRAP": self.kafka_bootstrap,
        }
        if self.secret_keys:
            env["DEALFLOW_SECRET_KEYS"] = self.secret_keys
        if self.broker is not None:
            env.update({k: v for k, v in LOCAL_BROKER_TIMINGS.items() if k not in os.environ})
        return env

    def stop(self) -> None:
        if self.broker:
            self.broker.stop()
        if self.postgres:
            self.postgres.stop(quiet=True)


def local_secret_keys(data_dir: Path) -> str:
    """The key ring of a local stack: DEALFLOW_SECRET_KEYS if set, else one kept in the data
    directory (created once, readable by its owner only), so sealed credentials survive restarts."""
    given = os.environ.get("DEALFLOW_SECRET_KEYS")
    if given:
        return given
    path = data_dir / "secret-keys"
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as out:
            out.write(new_key_spec("local") + "\n")
    return path.read_text().strip()


def start_stack(
    data_dir: Path, *, pg_port: int, kafka_port: int, pid_files: PidFiles | None = None
) -> Stack:
    """Uses DEALFLOW_DATABASE_URL / DEALFLOW_KAFKA_BOOTSTRAP when set, else starts local servers.

    Whatever was started is stopped again if starting the rest fails or is interrupted."""
    given_db = os.environ.get("DEALFLOW_DATABASE_URL")
    given_kafka = os.environ.get("DEALFLOW_KAFKA_BOOTSTRAP")
    postgres = None if given_db else LocalPostgres(data_dir / "postgres", pg_port)
    broker = None if given_kafka else LocalBroker(kafka_port, data_dir / "broker.log", pid_files)
    stack = Stack(
        database_url=given_db or (postgres.url if postgres else ""),
        kafka_bootstrap=given_kafka or (broker.bootstrap if broker else ""),
        postgres=postgres,
        broker=broker,
        secret_keys=local_secret_keys(data_dir),
    )
    try:
        if postgres:
            postgres.start()
        if broker:
            broker.start()
    except BaseException:
        stack.stop()
        raise
    return stack


def _database_url(stack: Stack, spec: ServiceSpec) -> str:
    settings = CommonSettings(database_url=stack.database_url)
    return service_database_url(settings, spec.name, None)


async def prepare(stack: Stack, services: list[ServiceSpec], *, seed: bool) -> dict[str, str]:
    """Topics, one database per service, migrations, development seed data. Idempotent."""
    # Migrations and seeds run in this process and read the same settings as the services
    # (the key ring above all: seeds seal credentials), so every caller gets them here.
    os.environ.update(stack.env())
    await ensure_topics(stack.kafka_bootstrap, all_topics())
    urls = {}
    for spec in services:
        await ensure_database(stack.database_url, spec.database)
        url = _database_url(stack, spec)
        await asyncio.to_thread(upgrade, spec.package, url)
        urls[spec.name] = url
        seeder = spec.seed() if seed else None
        if seeder is not None:
            await seeder(url)
    return urls
