"""The outbox relay against real PostgreSQL and the real broker."""

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta

import pytest
from sqlalchemy import func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from dealflow_libs.cloudevents import new_envelope
from dealflow_libs.kafka import ensure_topics, new_producer
from dealflow_libs.outbox import Outbox, envelope_row
from dealflow_libs.outbox_recovery import prune
from dealflow_libs.relay import OutboxRelay
from dealflow_libs.settings import CommonSettings
from dealflow_libs.testing.kafka import TopicProbe, header
from dealflow_schemas.tenants import TenantChanged


def rows(topic: str, count: int, keys: int, first: int = 0) -> list[dict]:
    out = []
    for i in range(first, first + count):
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
    engine, outbox, producer, url: str, *, bootstrap: str, poll: float = 0.2, batch: int = 100
) -> OutboxRelay:
    return OutboxRelay(
        service="libs_test",
        engine=engine,
        table=outbox,
        producer=producer,
        database_url=url,
        bootstrap=bootstrap,
        batch_size=batch,
        poll_interval=poll,
    )


@pytest.fixture
async def producer(stack):
    producer = new_producer(CommonSettings(), "relay-test")
    await producer.start()
    yield producer
    await producer.stop()


@asynccontextmanager
async def running(*relays: OutboxRelay) -> AsyncIterator[None]:
    tasks = [asyncio.create_task(r.run()) for r in relays]
    try:
        yield
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


async def insert_rows(engine, outbox, topic: str, count: int, keys: int, first: int = 0) -> None:
    async with engine.begin() as conn:
        await conn.execute(insert(outbox), rows(topic, count, keys=keys, first=first))


async def through_markers(probe: TopicProbe, engine, outbox, keys: int, seq: int) -> list[int]:
    """Adds a marker row per key and waits for all: every record sent before them has been
    seen then (per-key order). Returns the sequence numbers seen, markers excluded."""
    await insert_rows(engine, outbox, probe.topic, keys, keys=keys, first=seq)
    await probe.wait_for(lambda r: int(header(r, "ce_seq")) >= seq, count=keys, within=30)
    return [int(header(r, "ce_seq")) for r in probe.records if int(header(r, "ce_seq")) < seq]


async def counts(engine, outbox) -> tuple[int, int]:
    """(rows kept, rows still to publish)"""
    async with engine.connect() as conn:
        kept = await conn.scalar(select(func.count()).select_from(outbox))
        pending = await conn.scalar(
            select(func.count()).select_from(outbox).where(outbox.c.published_at.is_(None))
        )
    return kept, pending


async def until_published(engine, outbox, within: float = 30) -> None:
    for _ in range(int(within / 0.05)):
        if not (await counts(engine, outbox))[1]:
            return
        await asyncio.sleep(0.05)
    raise TimeoutError("rows still waiting to be published")


def in_key_order(records, keys: int) -> bool:
    for key in range(keys):
        per_key = [int(header(r, "ce_seq")) for r in records if r.key == f"t{key}".encode()]
        if per_key != sorted(per_key):
            return False
    return True


async def test_two_relays_publish_each_row_once_in_key_order(
    engine, outbox, producer, stack, libs_database_url, topic
) -> None:
    await ensure_topics(stack.kafka_bootstrap, [topic])
    relays = [
        relay(engine, outbox, producer, libs_database_url, bootstrap=stack.kafka_bootstrap)
        for _ in range(2)
    ]
    async with TopicProbe(stack.kafka_bootstrap, topic) as probe, running(*relays):
        await insert_rows(engine, outbox, topic, 1000, keys=7)
        seqs = await through_markers(probe, engine, outbox, keys=7, seq=1000)

    assert sorted(seqs) == list(range(1000)), "every row exactly once"
    assert in_key_order(probe.records, keys=7)
    assert sum(r.published for r in relays) == 1007
    assert await counts(engine, outbox) == (1007, 0), "published rows are kept, none pending"


async def test_records_carry_the_envelope_headers_as_encoded_when_the_event_was_added(
    engine, outbox, producer, stack, libs_database_url, topic
) -> None:
    """The outbox stores the headers Kafka takes and the relay sends them as stored: the same
    names, bytes and order as the envelope's binary-mode CloudEvents headers."""
    await ensure_topics(stack.kafka_bootstrap, [topic])
    event = TenantChanged(
        tenant_id="t-ü", name="Ünïcode", api_key_hashes=[], changed_at="2026-01-01T00:00:00Z"
    )
    async with AsyncSession(engine) as session:
        box = Outbox(session, outbox, "dealflow/test")
        envelopes = [
            box.add(event, topic=topic, key="t", tenant_id="t-ü", subject=subject)
            for subject in ("s-1", None)
        ]
        await box.flush()
        await session.commit()
    sender = relay(engine, outbox, producer, libs_database_url, bootstrap=stack.kafka_bootstrap)
    async with TopicProbe(stack.kafka_bootstrap, topic) as probe, running(sender):
        records = await probe.wait_for(lambda r: True, count=2)
    assert [list(r.headers) for r in records] == [e.kafka_headers() for e in envelopes]


async def test_relay_wakes_on_notify_not_on_poll(
    engine, outbox, producer, stack, libs_database_url, topic
) -> None:
    await ensure_topics(stack.kafka_bootstrap, [topic])
    idle = relay(
        engine, outbox, producer, libs_database_url, bootstrap=stack.kafka_bootstrap, poll=60
    )
    async with TopicProbe(stack.kafka_bootstrap, topic) as probe, running(idle):
        await asyncio.sleep(0.5)  # first (empty) pass done; now sleeping for up to 60 s
        started = time.monotonic()
        await insert_rows(engine, outbox, topic, 1, keys=1)
        await probe.wait_for(lambda r: True, within=10)
    assert time.monotonic() - started < 10


async def test_a_restarted_relay_sends_nothing_again_when_the_broker_kept_everything(
    engine, outbox, producer, stack, libs_database_url, topic
) -> None:
    """Apache Kafka keeps what it acknowledged: a service restart republishes nothing."""
    await ensure_topics(stack.kafka_bootstrap, [topic])
    bootstrap = stack.kafka_bootstrap
    async with TopicProbe(bootstrap, topic) as probe:
        async with running(relay(engine, outbox, producer, libs_database_url, bootstrap=bootstrap)):
            await insert_rows(engine, outbox, topic, 50, keys=5)
            await probe.wait_for(lambda r: True, count=50)
        restarted = relay(engine, outbox, producer, libs_database_url, bootstrap=bootstrap)
        async with running(restarted):
            seqs = await through_markers(probe, engine, outbox, keys=5, seq=1000)
    assert sorted(seqs) == list(range(50)), "nothing sent twice"
    assert restarted.published == 5


async def test_what_a_new_broker_lacks_is_sent_again_in_order_before_newer_rows(
    engine, outbox, producer, stack, libs_database_url, topic, broker
) -> None:
    """The local broker keeps nothing: after a restart of the stack, the rows it had are sent
    to the new one first, then what was written since."""
    await ensure_topics(stack.kafka_bootstrap, [topic])
    first = relay(engine, outbox, producer, libs_database_url, bootstrap=stack.kafka_bootstrap)
    async with running(first):
        await insert_rows(engine, outbox, topic, 60, keys=6)
        await until_published(engine, outbox)

    await ensure_topics(broker.bootstrap, [topic])
    new_producer_ = new_producer(CommonSettings(kafka_bootstrap=broker.bootstrap), "relay-test")
    await new_producer_.start()
    try:
        await insert_rows(engine, outbox, topic, 30, keys=6, first=60)
        after_restart = relay(
            engine, outbox, new_producer_, libs_database_url, bootstrap=broker.bootstrap
        )
        async with TopicProbe(broker.bootstrap, topic) as probe, running(after_restart):
            seqs = await through_markers(probe, engine, outbox, keys=6, seq=1000)
    finally:
        await new_producer_.stop()
    assert sorted(seqs) == list(range(90))
    assert in_key_order(probe.records, keys=6)


async def test_a_broker_restarted_empty_under_a_running_relay_gets_the_earlier_rows_again(
    engine, outbox, libs_database_url, topic, broker
) -> None:
    await ensure_topics(broker.bootstrap, [topic])
    producer = new_producer(CommonSettings(kafka_bootstrap=broker.bootstrap), "relay-test")
    await producer.start()
    try:
        async with running(
            relay(engine, outbox, producer, libs_database_url, bootstrap=broker.bootstrap)
        ):
            await insert_rows(engine, outbox, topic, 40, keys=4)
            await until_published(engine, outbox)
            broker.stop()  # while the relay has nothing to send: it sees no failure
            broker.start()
            await ensure_topics(broker.bootstrap, [topic])
            async with TopicProbe(broker.bootstrap, topic) as probe:
                # The next row lands at an offset the partition had used before: data was lost.
                await insert_rows(engine, outbox, topic, 1, keys=1, first=40)
                await probe.wait_for(lambda r: header(r, "ce_seq") == "40")
                seqs = await through_markers(probe, engine, outbox, keys=4, seq=1000)
    finally:
        await producer.stop()
    # A send the relay saw fail (the broker was coming back) may have landed too: at least once.
    assert set(seqs) == set(range(41))


async def test_published_rows_are_pruned_after_the_retention_period(
    engine, outbox, producer, stack, libs_database_url, topic
) -> None:
    await insert_rows(engine, outbox, topic, 7, keys=1)
    async with engine.begin() as conn:
        ids = sorted((await conn.scalars(select(outbox.c.id))).all())
        await conn.execute(
            update(outbox)
            .where(outbox.c.id.in_(ids[:5]))
            .values(published_at=func.now() - timedelta(hours=2), kafka_partition=0, kafka_offset=1)
        )
        await conn.execute(
            update(outbox).where(outbox.c.id == ids[5]).values(published_at=func.now())
        )
    assert await prune(engine, outbox, timedelta(hours=1), batch=2) == 5
    async with engine.connect() as conn:
        assert sorted((await conn.scalars(select(outbox.c.id))).all()) == ids[5:]
