"""Batch consumer: acknowledgement after handling, dead letters, re-reads after outages."""

import asyncio
import uuid
from collections.abc import Sequence

import pytest

from dealflow_libs.cloudevents import new_envelope
from dealflow_libs.consumer import BatchConsumer, Incoming, subscribe_batch
from dealflow_libs.errors import PermanentError
from dealflow_libs.kafka import dead_letter_topic, ensure_topics, new_broker, new_producer
from dealflow_libs.settings import CommonSettings
from dealflow_libs.testing.kafka import TopicProbe, header
from dealflow_schemas.tenants import TenantChanged


def event(name: str) -> TenantChanged:
    return TenantChanged(
        tenant_id="t1", name=name, api_key_hashes=[], changed_at="2026-01-01T00:00:00Z"
    )


@pytest.fixture
async def producer(stack):
    producer = new_producer(CommonSettings(), "consumer-test")
    await producer.start()
    yield producer
    await producer.stop()


async def publish(producer, topic: str, names: list[str]) -> None:
    for name in names:
        envelope = new_envelope(event(name), source="test", tenant_id="t1")
        await producer.send_and_wait(
            topic, envelope.data, key=b"t1", headers=envelope.kafka_headers()
        )


class Recorder:
    def __init__(self, fail: dict[str, BaseException] | None = None) -> None:
        self.handled: list[str] = []
        self.batches: list[int] = []
        self.fail = fail or {}

    async def __call__(self, items: Sequence[Incoming]) -> None:
        self.batches.append(len(items))
        names = [TenantChanged.model_validate_json(i.envelope.data).name for i in items]
        for name in names:
            if name in self.fail:
                error = self.fail[name]
                if isinstance(error, OSError):
                    del self.fail[name]  # an outage that ends
                raise error
        self.handled.extend(names)


async def run_consumer(stack, producer, topic: str, group: str, handler, until) -> None:
    broker = new_broker(CommonSettings(), f"test-{group}")
    consumer = BatchConsumer(
        name=group, handler=handler, dlq_producer=producer, retry_delay=0.01, transient_backoff=0.2
    )
    subscribe_batch(
        broker,
        new_broker(CommonSettings(), "docs"),
        consumer,
        topic=topic,
        group_id=group,
        payload=TenantChanged,
        settings=CommonSettings(),
    )
    await broker.start()
    try:
        for _ in range(300):
            if until():
                break
            await asyncio.sleep(0.1)
        else:
            raise TimeoutError("consumer did not get there")
        await asyncio.sleep(0.3)  # let the offset commit land
    finally:
        await broker.stop()


async def test_poison_records_go_to_dead_letters_and_the_rest_is_handled(
    stack, producer, topic
) -> None:
    await ensure_topics(stack.kafka_bootstrap, [topic, dead_letter_topic(topic)], partitions=1)
    await publish(producer, topic, ["a", "poison", "b", "c"])
    await producer.send_and_wait(topic, b"not a cloudevent", key=b"t1")
    recorder = Recorder(fail={"poison": PermanentError("rule violated")})
    group = f"g-{uuid.uuid4().hex[:6]}"

    async with TopicProbe(stack.kafka_bootstrap, dead_letter_topic(topic)) as dlq:
        await run_consumer(
            stack, producer, topic, group, recorder, lambda: len(recorder.handled) == 3
        )
        dead = await dlq.wait_for(lambda r: True, count=2)

    assert recorder.handled == ["a", "b", "c"]
    errors = sorted(header(r, "dlq_error") for r in dead)
    assert errors[0].startswith("EnvelopeError: not a CloudEvent")
    assert errors[1] == "PermanentError: rule violated"
    assert {header(r, "dlq_original_topic") for r in dead} == {topic}
    assert {header(r, "dlq_consumer") for r in dead} == {group}

    # Offsets were committed: the same group starting again gets nothing old.
    again = Recorder()
    await publish(producer, topic, ["d"])
    await run_consumer(stack, producer, topic, group, again, lambda: len(again.handled) >= 1)
    assert again.handled == ["d"]


async def test_unexpected_error_is_retried_then_dead_lettered(stack, producer, topic) -> None:
    await ensure_topics(stack.kafka_bootstrap, [topic, dead_letter_topic(topic)], partitions=1)
    await publish(producer, topic, ["x", "bug", "y"])
    recorder = Recorder(fail={"bug": ValueError("unexpected")})

    async with TopicProbe(stack.kafka_bootstrap, dead_letter_topic(topic)) as dlq:
        await run_consumer(
            stack,
            producer,
            topic,
            f"g-{uuid.uuid4().hex[:6]}",
            recorder,
            lambda: len(recorder.handled) == 2,
        )
        [dead] = await dlq.wait_for(lambda r: True)

    assert recorder.handled == ["x", "y"]
    assert header(dead, "dlq_error") == "ValueError: unexpected"
    # one batch attempt, then single attempts: 5 for the bad record
    assert recorder.batches.count(1) >= 5


async def test_outage_rereads_the_batch_and_loses_nothing(stack, producer, topic) -> None:
    await ensure_topics(stack.kafka_bootstrap, [topic, dead_letter_topic(topic)], partitions=1)
    await publish(producer, topic, ["1", "2", "3"])
    recorder = Recorder(fail={"2": ConnectionRefusedError("database away")})

    await run_consumer(
        stack,
        producer,
        topic,
        f"g-{uuid.uuid4().hex[:6]}",
        recorder,
        lambda: len(recorder.handled) == 3,
    )

    assert recorder.handled == ["1", "2", "3"]  # the failed batch was not half-applied
    assert len(recorder.batches) >= 2
