"""Typed batch consumption with explicit failure handling: the one way services consume.

A `Subscription` declares what a consumer group reads (topic, accepted event types, handler);
the running consumer and the AsyncAPI document are both built from it. The policy:
- every record is read into a `Received` event before any handler runs: a CloudEvent envelope,
  an accepted `ce_type`, a body that validates against its contract, and a body `tenant_id`
  equal to the `ce_tenantid` header. A record that fails any of these is dead-lettered at once
  (it can never succeed) and the rest of its batch goes on;
- records are handled a batch at a time, in one transaction (the handler's unit of work);
- offsets are committed only after the handler returned (no auto-commit);
- an infrastructure failure (database or broker away) is raised to the subscriber, which reads
  the batch again after a backoff, so nothing is lost; inbox claims make the re-read harmless;
- any other failure splits the batch and retries records one by one: a record that still fails
  after bounded attempts, or fails permanently (rule violation), goes to `<topic>.dlq` with the
  error, and only then is it acknowledged. Nothing is dropped silently.
"""

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Generic, TypeVar

from aiokafka import AIOKafkaProducer, ConsumerRecord

from dealflow_libs import tracing
from dealflow_libs.cloudevents import Envelope, envelope_from_kafka
from dealflow_libs.errors import PermanentError, is_permanent, is_transient
from dealflow_libs.kafka import dead_letter_topic
from dealflow_libs.metrics import DEAD_LETTERS, EVENTS_CONSUMED
from dealflow_schemas.base import EventModel

log = logging.getLogger(__name__)

E = TypeVar("E", bound=EventModel)


@dataclass(frozen=True)
class Received(Generic[E]):
    """A consumed event: checked, validated, with the envelope and the record it came in."""

    event: E
    envelope: Envelope
    topic: str
    partition: int
    offset: int

    @property
    def id(self) -> str:
        """The CloudEvent id: what inbox claims deduplicate on."""
        return self.envelope.id


Handler = Callable[[Sequence[Received[E]]], Awaitable[None]]


@dataclass(frozen=True)
class Subscription(Generic[E]):
    """One consumer group reading one topic: the declaration behind the running consumer and
    behind the service's AsyncAPI document."""

    group: str
    topic: str
    events: tuple[type[E], ...]
    handler: Handler[E]
    description: str
    #: A hop someone waits for (booking -> meeting -> deal). The local broker answers a waiting
    #: fetch only at its next look at storage, so these look often, and cost an idle system for
    #: it; the other subscriptions tolerate a delay of seconds and look rarely.
    hot_path: bool = False
    _models: dict[str, type[E]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not self.events:
            raise ValueError(f"subscription {self.group} accepts no event type")
        object.__setattr__(self, "_models", {model.ce_type: model for model in self.events})

    def read(self, record: ConsumerRecord[Any, Any]) -> Received[E]:
        """The record as a typed event; raises a permanent error when it cannot be one."""
        envelope = envelope_from_kafka(record.headers or (), record.value)
        model = self._models.get(envelope.type)
        if model is None:
            raise PermanentError(f"unexpected event type {envelope.type} on {record.topic}")
        event = model.model_validate_json(envelope.data)
        if getattr(event, "tenant_id", envelope.tenant_id) != envelope.tenant_id:
            raise PermanentError("body tenant_id differs from the ce_tenantid header")
        return Received(event, envelope, record.topic, record.partition, record.offset)


class BatchConsumer(Generic[E]):
    """Applies the failure policy above to the records of one fetched batch."""

    def __init__(
        self,
        subscription: Subscription[E],
        *,
        dlq_producer: AIOKafkaProducer,
        max_attempts: int = 5,
        retry_delay: float = 0.2,
    ) -> None:
        self.subscription = subscription
        self.name = subscription.group
        self._dlq = dlq_producer
        self._max_attempts = max_attempts
        self._retry_delay = retry_delay

    async def handle_records(self, records: Sequence[ConsumerRecord[Any, Any]]) -> None:
        """Returns when every record is handled or dead-lettered; raises a transient error when
        the batch must be read again."""
        readable: list[tuple[Received[E], ConsumerRecord[Any, Any]]] = []
        for record in records:
            try:
                readable.append((self.subscription.read(record), record))
            except Exception as exc:  # reading is pure: what fails once fails every time
                await self._dead_letter(record, exc)
        if not readable:
            return
        try:
            with tracing.handling([item.envelope for item, _ in readable], consumer=self.name):
                await self.subscription.handler([item for item, _ in readable])
        except Exception as exc:
            if is_transient(exc):
                raise
            log.warning(
                "batch failed, retrying one by one",
                extra={"consumer": self.name, "size": len(readable), "error": repr(exc)},
            )
            for item, record in readable:
                await self._handle_single(item, record)
        else:
            EVENTS_CONSUMED.labels(self.subscription.topic, "ok").inc(len(readable))

    async def _handle_single(self, item: Received[E], record: ConsumerRecord[Any, Any]) -> None:
        for attempt in range(1, self._max_attempts + 1):
            try:
                with tracing.handling([item.envelope], consumer=self.name):
                    await self.subscription.handler([item])
                EVENTS_CONSUMED.labels(item.topic, "ok").inc()
                return
            except Exception as exc:
                if is_transient(exc):
                    raise
                if is_permanent(exc) or attempt == self._max_attempts:
                    await self._dead_letter(record, exc)
                    return
                await asyncio.sleep(self._retry_delay * attempt)

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
