"""The outbox relay against real PostgreSQL and the real broker."""

import asyncio
import time

import pytest
from sqlalchemy import func, insert, select

from dealflow_libs.cloudevents import new_envelope
from dealflow_libs.kafka import ensure_topics, new_producer
from dealflow_libs.outbox import envelope_row
from dealflow_libs.relay import OutboxRelay
from dealflow_libs.settings import CommonSettings
from dealflow_libs.testing.kafka import TopicProbe, header
from dealflow_schemas.tenants import TenantChanged


def rows(topic: str, count: int, keys: int, *, start: int = 0) -> list[dict]:
    out = []
    for i in range(start, start + count):
        event = TenantChanged(
            tenant_id=f"t{i % keys}",
            name=str(i),
            api_key_hashes=[],
            changed_at="2026-01-01T00:00:00Z",
        )
        envelope = new_envelope(
            event, source="test", tenant_id=f"t{i % keys}", extensions={"seq": str(i)}
        )
        out.append(envelope_row(envelope, topic=topic, key=f"t{i % keys}"))
    return out


def relay(
    engine, outbox, producer, url: str, *, poll: float = 0.2, batch: int = 100
) -> OutboxRelay:
    return OutboxRelay(
        service="libs_test",
        engine=engine,
        table=outbox,
        producer=producer,
        database_url=url,
        batch_size=batch,
        poll_interval=poll,
    )


@pytest.fixture
async def producer(stack):
    producer = new_producer(CommonSettings(), "relay-test")
    await producer.start()
    yield producer
    await producer.stop()


async def test_two_relays_publish_each_row_once_in_key_order(
    engine, outbox, producer, stack, libs_database_url, topic
) -> None:
    await ensure_topics(stack.kafka_bootstrap, [topic])
    async with TopicProbe(stack.kafka_bootstrap, topic) as probe:
        async with engine.begin() as conn:
            await conn.execute(insert(outbox), rows(topic, 1000, keys=7))
        relays = [relay(engine, outbox, producer, libs_database_url) for _ in range(2)]
        tasks = [asyncio.create_task(r.run()) for r in relays]
        try:
            await probe.wait_for(lambda r: True, count=1000, within=30)
            # Markers: one more row per key. Each follows its key's rows on their partition,
            # so a row published twice shows up before its key's marker does.
            async with engine.begin() as conn:
                await conn.execute(insert(outbox), rows(topic, 7, keys=7, start=1000))
            await probe.wait_for(lambda r: int(header(r, "ce_seq")) >= 1000, count=7)
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

    seqs = [int(header(r, "ce_seq")) for r in probe.records]
    assert sorted(seqs) == list(range(1007)), "every row exactly once"
    for key in range(7):
        per_key = [int(header(r, "ce_seq")) for r in probe.records if r.key == f"t{key}".encode()]
        assert per_key == sorted(per_key), f"key t{key} out of order"
    assert sum(r.published for r in relays) == 1007
    async with engine.connect() as conn:
        assert await conn.scalar(select(func.count()).select_from(outbox)) == 0


async def test_relay_wakes_on_notify_not_on_poll(
    engine, outbox, producer, stack, libs_database_url, topic
) -> None:
    await ensure_topics(stack.kafka_bootstrap, [topic])
    async with TopicProbe(stack.kafka_bootstrap, topic) as probe:
        task = asyncio.create_task(
            relay(engine, outbox, producer, libs_database_url, poll=60).run()
        )
        await asyncio.sleep(0.5)  # first (empty) pass done; now sleeping for up to 60 s
        started = time.monotonic()
        async with engine.begin() as conn:
            await conn.execute(insert(outbox), rows(topic, 1, keys=1))
        await probe.wait_for(lambda r: True, within=10)
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    assert time.monotonic() - started < 10
