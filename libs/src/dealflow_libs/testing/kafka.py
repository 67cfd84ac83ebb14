"""Watch a topic from now on and wait for records, as an outside subscriber would."""

import asyncio
import time
import uuid
from collections.abc import Callable
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord

from dealflow_libs.cloudevents import new_envelope
from dealflow_schemas.base import EventModel


class TopicProbe:
    def __init__(self, bootstrap: str, topic: str) -> None:
        self.topic = topic
        self.records: list[ConsumerRecord[Any, Any]] = []
        self._consumer = AIOKafkaConsumer(
            topic,
            bootstrap_servers=bootstrap,
            group_id=f"probe-{uuid.uuid4()}",
            auto_offset_reset="latest",
            enable_auto_commit=False,
        )
        self._task: asyncio.Task[None] | None = None

    async def __aenter__(self) -> "TopicProbe":
        try:
            # Bounded: aiokafka retries some requests (an offset lookup) for ever.
            async with asyncio.timeout(30):
                await self._start()
        except BaseException:
            await self._stop()
            raise
        self._task = asyncio.create_task(self._collect())
        return self

    async def __aexit__(self, *_: object) -> None:
        if self._task:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        await self._stop()

    async def _start(self) -> None:
        await self._consumer.start()
        # Wait for the assignment so that records published after this point are seen.
        deadline = time.monotonic() + 15
        while not self._consumer.assignment():
            if time.monotonic() > deadline:
                raise TimeoutError(f"no partitions of {self.topic} assigned")
            await self._consumer.getmany(timeout_ms=100)
        for tp in self._consumer.assignment():
            await self._consumer.seek_to_end(tp)
            await self._consumer.position(tp)

    async def _stop(self) -> None:
        async with asyncio.timeout(30):
            await self._consumer.stop()

    async def _collect(self) -> None:
        while True:
            batches = await self._consumer.getmany(timeout_ms=100)
            for records in batches.values():
                self.records.extend(records)

    def matching(
        self, predicate: Callable[[ConsumerRecord[Any, Any]], bool]
    ) -> list[ConsumerRecord[Any, Any]]:
        return [r for r in self.records if predicate(r)]

    async def wait_for(
        self,
        predicate: Callable[[ConsumerRecord[Any, Any]], bool],
        *,
        count: int = 1,
        within: float = 15,
    ) -> list[ConsumerRecord[Any, Any]]:
        deadline = time.monotonic() + within
        while len(found := self.matching(predicate)) < count:
            if time.monotonic() > deadline:
                raise TimeoutError(
                    f"{len(found)}/{count} matching records on {self.topic} after {within}s"
                )
            await asyncio.sleep(0.05)
        return found


def header(record: ConsumerRecord[Any, Any], name: str) -> str | None:
    for key, value in record.headers or ():
        if key == name:
            return bytes(value).decode()
    return None


async def publish_event(
    producer: AIOKafkaProducer,
    topic: str,
    event: EventModel,
    *,
    key: str,
    event_id: uuid.UUID | None = None,
) -> str:
    """Publishes `event` as a CloudEvent, as the owning service's relay would; returns its id."""
    published, acknowledged = await enqueue_event(
        producer, topic, event, key=key, event_id=event_id
    )
    await acknowledged
    return published


async def enqueue_event(
    producer: AIOKafkaProducer,
    topic: str,
    event: EventModel,
    *,
    key: str,
    event_id: uuid.UUID | None = None,
) -> tuple[str, "asyncio.Future[Any]"]:
    """Hands `event` to the producer without waiting for the broker: (its id, the broker's
    acknowledgement). Many in flight at once is how a load generator keeps up with a service."""
    envelope = new_envelope(
        event,
        source="dealflow/tests",
        tenant_id=getattr(event, "tenant_id", "test"),
        event_id=event_id,
    )
    acknowledged = await producer.send(
        topic, envelope.data, key=key.encode(), headers=envelope.kafka_headers()
    )
    return envelope.id, acknowledged
