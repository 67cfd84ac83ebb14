"""Runs a `Subscription`: one aiokafka consumer in the subscription's group, one loop.

The loop waits for records without a timer of its own: `getmany` returns as soon as the
fetcher has records, so a hop costs the broker's fetch answer and nothing more (FastStream's
batch subscriber slept `batch_timeout_ms` after every empty poll, about 40 ms per hop at p50).
Offsets are committed after the batch was handled; a batch that must be read again (the
database or the broker away) is sought back to its first offsets.
"""

import asyncio
import contextlib
import logging
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition
from aiokafka.errors import KafkaError

from dealflow_libs.consumer import BatchConsumer, Subscription
from dealflow_libs.errors import is_transient
from dealflow_libs.kafka import consumer_options
from dealflow_libs.logging import OutageLog
from dealflow_libs.metrics import EVENTS_CONSUMED
from dealflow_libs.settings import CommonSettings

log = logging.getLogger(__name__)

Batch = dict[TopicPartition, list[ConsumerRecord[Any, Any]]]

#: How long one `getmany` blocks when nothing arrives; records end the wait at once.
_IDLE_WAIT_MS = 30_000
#: Leaving the group is a courtesy (the session timeout does it too): never wait long for it.
_STOP_WITHIN_S = 2.5


class KafkaSubscriber:
    def __init__(
        self,
        subscription: Subscription[Any],
        *,
        settings: CommonSettings,
        client_id: str,
        dlq_producer: AIOKafkaProducer,
        retry_backoff: float = 2.0,
    ) -> None:
        self.subscription = subscription
        self._batch_size = settings.consumer_batch_size
        self._retry_backoff = retry_backoff
        self._policy = BatchConsumer(
            subscription, dlq_producer=dlq_producer, max_attempts=settings.consumer_max_attempts
        )
        self._consumer = AIOKafkaConsumer(
            subscription.topic,
            group_id=f"{settings.kafka_group_prefix}{subscription.group}",
            client_id=f"{settings.kafka_client_prefix}-{client_id}",
            **consumer_options(settings, hot_path=subscription.hot_path),
        )
        self._outage = OutageLog(
            log, f"consumer {subscription.group}: infrastructure (batches are re-read)"
        )
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        await self._consumer.start()
        self._task = asyncio.create_task(self._run(), name=f"consume-{self.subscription.group}")

    async def stop(self) -> None:
        """Stops reading (a batch being handled is cancelled: its offsets are not committed, so
        it is read again after a restart) and leaves the group, waiting a few seconds at most."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task
            self._task = None
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self._consumer.stop(), _STOP_WITHIN_S)

    async def _run(self) -> None:
        while True:
            try:
                batch: Batch = await self._consumer.getmany(
                    timeout_ms=_IDLE_WAIT_MS, max_records=self._batch_size
                )
            except KafkaError as exc:
                await self._back_off(exc)
                continue
            if batch:
                await self._process(batch)

    async def _process(self, batch: Batch) -> None:
        records = [record for records in batch.values() for record in records]
        try:
            await self._policy.handle_records(records)
        except Exception as exc:  # an outage, or dead-lettering itself failed: read it again
            await self._back_off(exc)
            self._rewind(batch)
            return
        self._outage.recovered()
        try:
            await self._consumer.commit({tp: rs[-1].offset + 1 for tp, rs in batch.items()})
        except KafkaError as exc:
            # The group moved these partitions elsewhere; their new owner reads from the last
            # commit, and inbox claims make the repeat harmless.
            log.warning("offsets not committed", extra={**self._extra(), "error": repr(exc)})

    async def _back_off(self, exc: Exception) -> None:
        if is_transient(exc):
            self._outage.failed(exc, **self._extra(), retry_in=self._retry_backoff)
        else:
            log.exception("batch not handled; it will be read again", extra=self._extra())
        EVENTS_CONSUMED.labels(self.subscription.topic, "retried").inc()
        await asyncio.sleep(self._retry_backoff)

    def _rewind(self, batch: Batch) -> None:
        for tp, records in batch.items():
            with contextlib.suppress(KafkaError):  # no longer ours: the new owner reads it
                self._consumer.seek(tp, records[0].offset)

    def _extra(self) -> dict[str, str]:
        return {"consumer": self.subscription.group, "topic": self.subscription.topic}
