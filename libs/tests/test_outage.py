"""A service while its broker is down: a few log lines, not thousands."""

import asyncio
import io
import logging
import re
import time
from collections import Counter
from collections.abc import AsyncIterator, Iterator

import orjson
import pytest
from sqlalchemy import insert
from sqlalchemy.engine import make_url

from dealflow_libs.consumer import Received
from dealflow_libs.devstack.broker import LocalBroker
from dealflow_libs.kafka import ensure_topics
from dealflow_libs.logging import OutageLog, configure_logging
from dealflow_libs.runtime import ServiceRuntime
from dealflow_libs.settings import CommonSettings
from dealflow_libs.testing.proxy import CuttableProxy
from dealflow_schemas.tenants import TenantChanged

from .test_relay import rows


@pytest.fixture
def log_lines() -> Iterator[io.StringIO]:
    """The service's log configuration, writing into a buffer (summaries every second)."""
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    configure_logging("libs_test", repeat_every=1.0)
    buffer = io.StringIO()
    handler = root.handlers[0]
    assert isinstance(handler, logging.StreamHandler)
    handler.setStream(buffer)
    yield buffer
    root.handlers[:], root.level = saved


async def start_runtime(bootstrap: str, database_url: str, outbox, topic: str) -> ServiceRuntime:
    """A service's runtime: relay, producer and a consumer group on `topic`."""

    async def handle(_: list[Received[TenantChanged]]) -> None:
        pass

    await ensure_topics(bootstrap, [topic])
    rt = ServiceRuntime(
        service="libs_test",
        settings=CommonSettings(kafka_bootstrap=bootstrap),
        database_url=database_url,
        outbox_table=outbox,
    )
    rt.consume(name="outage", topic=topic, events=[TenantChanged], handler=handle, description="-")
    await rt.start()
    return rt


@pytest.fixture
async def runtime(broker: LocalBroker, libs_database_url: str, outbox, topic: str) -> AsyncIterator:
    rt = await start_runtime(broker.bootstrap, libs_database_url, outbox, topic)
    yield rt
    await rt.stop()


def entries(buffer: io.StringIO, since: int = 0) -> list[dict]:
    return [orjson.loads(line) for line in buffer.getvalue()[since:].splitlines()]


def kind(entry: dict) -> tuple[str, str]:
    return entry["logger"], re.sub(r"\d+", "#", entry["msg"])


async def test_broker_outage_logs_its_start_a_summary_per_interval_and_its_end(
    broker: LocalBroker, runtime: ServiceRuntime, engine, outbox, topic: str, log_lines
) -> None:
    async with engine.begin() as conn:
        await conn.execute(insert(outbox), rows(topic, 1, keys=1))
    await asyncio.sleep(1)
    start = len(log_lines.getvalue())
    broker.stop()
    outage = 4.0
    await asyncio.sleep(outage)
    during = entries(log_lines, start)
    broker.start()
    await ensure_topics(broker.bootstrap, [topic])

    per_kind = Counter(kind(e) for e in during)
    assert per_kind, "the outage was not logged at all"
    # One line when it starts, then at most one summary per second.
    assert max(per_kind.values()) <= 1 + outage, per_kind
    assert any(e.get("repeated", 0) > 1 for e in during), "summaries carry the count"

    deadline = time.monotonic() + 20
    while not any(e["msg"].startswith("stopped repeating") for e in entries(log_lines, start)):
        assert time.monotonic() < deadline, "no line said that the repeats stopped"
        await asyncio.sleep(0.2)


def test_outage_log_writes_start_summaries_and_recovery(caplog: pytest.LogCaptureFixture) -> None:
    now = [0.0]
    outage = OutageLog(
        logging.getLogger("outage-test"), "the thing", every=30, clock=lambda: now[0]
    )
    caplog.set_level(logging.INFO, "outage-test")
    outage.recovered()  # nothing was wrong: nothing to say
    for second in range(0, 95, 1):
        now[0] = float(second)
        outage.failed(ConnectionError("refused"))
    now[0] = 100.0
    outage.recovered()
    assert [(r.getMessage(), getattr(r, "failures", None)) for r in caplog.records] == [
        ("the thing unavailable", None),
        ("the thing still unavailable", 31),
        ("the thing still unavailable", 61),
        ("the thing still unavailable", 91),
        ("the thing recovered", 95),
    ]


async def timed_stop(runtime: ServiceRuntime) -> float:
    started = time.monotonic()
    await asyncio.wait_for(runtime.stop(), timeout=60)
    return time.monotonic() - started


async def test_stops_quickly_with_the_broker_gone_and_an_event_unpublished(
    broker: LocalBroker, libs_database_url: str, engine, outbox, topic: str
) -> None:
    runtime = await start_runtime(broker.bootstrap, libs_database_url, outbox, topic)
    broker.stop()
    async with engine.begin() as conn:
        await conn.execute(insert(outbox), rows(topic, 1, keys=1))
    await asyncio.sleep(1.5)  # the relay is now stuck publishing it
    assert await timed_stop(runtime) < 10


async def test_stops_quickly_with_the_broker_and_the_database_gone(
    broker: LocalBroker, libs_database_url: str, engine, outbox, topic: str
) -> None:
    real = make_url(libs_database_url)
    proxy = CuttableProxy(real.host or "127.0.0.1", real.port or 5432)
    await proxy.start()
    proxied = real.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
    runtime = await start_runtime(broker.bootstrap, proxied, outbox, topic)
    async with engine.begin() as conn:
        await conn.execute(insert(outbox), rows(topic, 1, keys=1))
    broker.stop()
    await asyncio.sleep(1.5)
    await proxy.cut()
    await asyncio.sleep(1)
    assert await timed_stop(runtime) < 10
