"""Batch consumption with explicit failure handling.

FastStream's Kafka default acknowledges before handling (at-most-once), and a nack re-reads the
same offset forever. So the policy here is deliberate:
- records are handled a batch at a time, in one transaction (the handler's unit of work);
- offsets are committed only after the handler returned (NACK_ON_ERROR, no auto-commit);
- an infrastructure failure (database or broker away) nacks the batch after a backoff, so it is
  read again and nothing is lost; inbox claims make the re-read harmless;
- any other failure splits the batch and retries records one by one: a record that still fails
  after bounded attempts, or fails permanently (bad contract), goes to `<topic>.dlq` with the
  error, and only then is it acknowledged. Nothing is dropped silently.
"""

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from aiokafka import AIOKafkaProducer, ConsumerRecord
from faststream import AckPolicy
from faststream.kafka import KafkaBroker
from faststream.kafka.annotations import KafkaMessage

from dealflow_libs import tracing
from dealflow_libs.cloudevents import Envelope, EnvelopeError, envelope_from_kafka
from dealflow_libs.errors import is_permanent, is_transient
from dealflow_libs.kafka import dead_letter_topic
from dealflow_libs.logging import OutageLog
from dealflow_libs.metrics import DEAD_LETTERS, EVENTS_CONSUMED
from dealflow_libs.settings import CommonSettings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Incoming:
    """A consumed record whose CloudEvents envelope has been read."""

    envelope: Envelope
    topic: str
    partition: int
    offset: int
    key: bytes | None


BatchHandler = Callable[[Sequence[Incoming]], Awaitable[None]]


class BatchConsumer:
    def __init__(
        self,
        *,
        name: str,
        handler: BatchHandler,
        dlq_producer: AIOKafkaProducer,
        max_attempts: int = 5,
        retry_delay: float = 0.2,
        transient_backoff: float = 2.0,
    ) -> None:
        self.name = name
        self._handler = handler
        self._dlq = dlq_producer
        self._max_attempts = max_attempts
        self._retry_delay = retry_delay
        self._transient_backoff = transient_backoff
        self._outage = OutageLog(log, f"consumer {name}: infrastructure (batches are re-read)")

    async def handle_records(self, records: Sequence[ConsumerRecord[Any, Any]]) -> None:
        readable: list[Incoming] = []
        for record in records:
            try:
                envelope = envelope_from_kafka(record.headers or (), record.value)
            except EnvelopeError as exc:
                await self._dead_letter(record, exc)
                continue
            readable.append(
                Incoming(envelope, record.topic, record.partition, record.offset, record.key)
            )
        if not readable:
            return
        try:
            with tracing.handling([i.envelope for i in readable], consumer=self.name):
                await self._handler(readable)
        except Exception as exc:
            if is_transient(exc):
                await self._pause(exc)
                raise
            log.warning(
                "batch failed, retrying one by one",
                extra={"consumer": self.name, "size": len(readable), "error": repr(exc)},
            )
            by_offset = {(r.topic, r.partition, r.offset): r for r in records}
            for item in readable:
                await self._handle_single(
                    item, by_offset[(item.topic, item.partition, item.offset)]
                )
        else:
            self._outage.recovered()
            EVENTS_CONSUMED.labels(readable[0].topic, "ok").inc(len(readable))

    async def _handle_single(self, item: Incoming, record: ConsumerRecord[Any, Any]) -> None:
        for attempt in range(1, self._max_attempts + 1):
            try:
                with tracing.handling([item.envelope], consumer=self.name):
                    await self._handler([item])
                EVENTS_CONSUMED.labels(item.topic, "ok").inc()
                return
            except Exception as exc:
                if is_transient(exc):
                    await self._pause(exc)
                    raise
                if is_permanent(exc) or attempt == self._max_attempts:
                    await self._dead_letter(record, exc)
                    return
                await asyncio.sleep(self._retry_delay * attempt)

    async def _pause(self, exc: BaseException) -> None:
        self._outage.failed(exc, consumer=self.name, retry_in=self._transient_backoff)
        EVENTS_CONSUMED.labels("-", "retried").inc()
        await asyncio.sleep(self._transient_backoff)

    async def _dead_letter(self, record: ConsumerRecord[Any, Any], exc: BaseException) -> None:
        topic = dead_letter_topic(record.topic)
        headers = [
            *[(k, v) for k, v in (record.headers or ()) if not k.startswith("dlq_")],
            ("dlq_consumer", self.name.encode()),
            ("dlq_original_topic", record.topic.encode()),
            ("dlq_partition", str(record.partition).encode()),
            ("dlq_offset", str(record.offset).encode()),
            ("dlq_error", f"{type(exc).__name__}: {exc}"[:4000].encode()),
            ("dlq_failed_at", datetime.now(UTC).isoformat().encode()),
        ]
        await (await self._dlq.send(topic, value=record.value, key=record.key, headers=headers))
        DEAD_LETTERS.labels(record.topic).inc()
        EVENTS_CONSUMED.labels(record.topic, "dead_lettered").inc()
        log.error(
            "record dead-lettered",
            extra={
                "consumer": self.name,
                "topic": record.topic,
                "partition": record.partition,
                "offset": record.offset,
                "error": repr(exc),
            },
        )


def subscribe_batch(
    broker: KafkaBroker,
    docs_broker: KafkaBroker,
    consumer: BatchConsumer,
    *,
    topic: str,
    group_id: str,
    payload: type,
    settings: CommonSettings,
    description: str | None = None,
) -> None:
    """Registers `consumer` on `topic`.

    The working broker runs without payload validation (a record that fails it must be
    dead-lettered, not retried forever), which leaves FastStream nothing to document; so the
    same subscription is declared on `docs_broker`, typed with `payload`, for the AsyncAPI document.
    """

    async def on_records(body: Any, message: KafkaMessage) -> None:
        raw = message.raw_message
        await consumer.handle_records(raw if isinstance(raw, tuple) else (raw,))

    async def documented(body: list[payload]) -> None:  # type: ignore[valid-type]
        raise NotImplementedError("documentation only; never started")

    name = f"{consumer.name}_on_{topic.replace('.', '_')}"
    on_records.__name__ = documented.__name__ = name
    docs_broker.subscriber(
        topic,
        group_id=f"{settings.kafka_group_prefix}{group_id}",
        batch=True,
        title=f"{group_id}:{topic}",
        description=description,
    )(documented)
    broker.subscriber(
        topic,
        group_id=f"{settings.kafka_group_prefix}{group_id}",
        batch=True,
        max_records=settings.consumer_batch_size,
        batch_timeout_ms=50,
        fetch_max_wait_ms=settings.kafka_fetch_max_wait_ms,
        session_timeout_ms=settings.kafka_session_timeout_ms,
        heartbeat_interval_ms=settings.kafka_heartbeat_interval_ms,
        rebalance_timeout_ms=settings.kafka_rebalance_timeout_ms,
        auto_offset_reset="earliest",
        ack_policy=AckPolicy.NACK_ON_ERROR,
        title=f"{group_id}:{topic}",
        description=description,
    )(on_records)
