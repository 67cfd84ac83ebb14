"""Outbox relay: publishes committed outbox rows to Kafka in batches, in id order.

Invariants - do not break:
- a batch is read, published and marked published inside one transaction holding a
  per-service advisory lock, so two relays never interleave batches (per-key order survives a
  second instance);
- rows are marked published (with their partition and offset) only after Kafka acknowledged
  every record of the batch; a crash in between republishes the batch (at-least-once; consumers
  dedupe through their inbox);
- before its first batch, and again after any failure, the relay asks the broker which
  published rows it still holds and sends the lost ones again first (`outbox_recovery`):
  a restarted local broker, which keeps nothing, loses nothing that was accepted;
- published rows are pruned after `retention`;
- the relay wakes on NOTIFY from the outbox trigger and also polls, so a lost notification
  only delays publishing by `poll_interval`.
"""

import asyncio
import contextlib
import logging
import zlib
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

import asyncpg
from aiokafka import AIOKafkaProducer
from aiokafka.structs import RecordMetadata
from sqlalchemy import Row, Table, func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from dealflow_libs.logging import OutageLog
from dealflow_libs.metrics import EVENTS_PUBLISHED
from dealflow_libs.outbox import notify_channel
from dealflow_libs.outbox_recovery import PublishedPositions, prune
from dealflow_libs.settings import plain_url

log = logging.getLogger(__name__)


class PublishTimeoutError(TimeoutError):
    """Kafka did not acknowledge a batch in time; it stays in the outbox and is sent again."""


class OutboxRelay:
    def __init__(
        self,
        *,
        service: str,
        engine: AsyncEngine,
        table: Table,
        producer: AIOKafkaProducer,
        database_url: str,
        bootstrap: str,
        retention: timedelta = timedelta(hours=24),
        batch_size: int = 500,
        poll_interval: float = 1.0,
        publish_timeout: float = 10.0,
    ) -> None:
        self._service = service
        self._engine = engine
        self._table = table
        self._producer = producer
        self._database_url = database_url
        self._batch_size = batch_size
        self._poll_interval = poll_interval
        self._publish_timeout = publish_timeout
        self._wake = asyncio.Event()
        self._lock_id = zlib.crc32(f"outbox:{service}".encode())
        self.published = 0
        self._retention = retention
        self._positions = PublishedPositions(
            table, bootstrap, timeout_ms=int(publish_timeout * 1000)
        )
        #: False until the broker was asked what it still holds (again after each failure).
        self._checked_broker = False
        self._pending = (
            select(table)
            .where(table.c.published_at.is_(None))
            .order_by(table.c.id)
            .limit(batch_size)
        )
        self._next_prune = 0.0
        self._outage = OutageLog(log, "outbox relay: publishing")
        self._listen_outage = OutageLog(log, "outbox relay: LISTEN (polling meanwhile)")

    async def publish_batch(self) -> int:
        """Publishes up to one batch; returns how many went out (0: another relay has the lock)."""
        if not self._checked_broker and not await self._check_broker():
            return 0
        async with self._engine.begin() as conn:
            if not await conn.scalar(select(func.pg_try_advisory_xact_lock(self._lock_id))):
                return 0
            rows = (await conn.execute(self._pending)).all()
            broker_reset = False
            if rows:
                acks = await self._send(rows)
                broker_reset = await self._positions.record(conn, rows, acks)
        if broker_reset:  # it restarted empty: ask it about every partition before the next batch
            self._checked_broker = False
        for row in rows:
            EVENTS_PUBLISHED.labels(row.topic).inc()
        self.published += len(rows)
        return len(rows)

    async def _check_broker(self) -> bool:
        """Marks unpublished what the broker lost (its own short transaction, so that a batch
        holds its transaction only while Kafka acknowledges it). False: another relay holds
        the lock; try again."""
        async with self._engine.begin() as conn:
            if not await conn.scalar(select(func.pg_try_advisory_xact_lock(self._lock_id))):
                return False
            await self._positions.unpublish_lost(conn)
        self._checked_broker = True
        return True

    async def _send(self, rows: Sequence[Row[Any]]) -> list[RecordMetadata]:
        """Sends the rows in order and waits for Kafka's acknowledgements, for at most
        `publish_timeout` in all (aiokafka alone would wait 40 s per request while the broker
        is away, holding the batch's transaction and the stop of the service)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self._publish_timeout
        acks: list[asyncio.Future[RecordMetadata]] = []
        for row in rows:
            send = self._producer.send(
                row.topic,
                value=row.value,
                key=row.key.encode() if row.key is not None else None,
                headers=list(zip(row.header_names, row.header_values, strict=True)),
            )
            # send() waits for the topic's metadata and for buffer space, not for delivery.
            acks.append(await asyncio.wait_for(send, max(0.0, deadline - loop.time())))
        # asyncio.wait, unlike wait_for, leaves the producer's futures alone when it gives up.
        _, late = await asyncio.wait(acks, timeout=max(0.0, deadline - loop.time()))
        if late:
            raise PublishTimeoutError(
                f"Kafka acknowledged {len(acks) - len(late)} of {len(acks)} records "
                f"within {self._publish_timeout} s"
            )
        return [ack.result() for ack in acks]

    async def run(self) -> None:
        listener: asyncpg.Connection | None = None
        backoff = 0.5
        try:
            while True:
                if listener is None or listener.is_closed():
                    listener = await self._listen()
                self._wake.clear()
                try:
                    count = await self.publish_batch()
                    if count < self._batch_size:
                        await self._prune_when_due()
                except Exception as exc:  # the database or Kafka is away: keep rows, retry later
                    # The broker may come back empty: ask it again before the next batch.
                    self._checked_broker = False
                    self._outage.failed(exc, retry_in=backoff)
                    await self._sleep(backoff)
                    backoff = min(backoff * 2, 5.0)
                    continue
                self._outage.recovered()
                backoff = 0.5
                if count < self._batch_size:
                    await self._sleep(self._poll_interval)
        finally:
            if listener is not None:
                # Bounded: on a half-open connection a polite close would wait for TCP.
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(listener.close(), 1)
                if not listener.is_closed():
                    listener.terminate()

    async def _prune_when_due(self, every: float = 60.0) -> None:
        now = asyncio.get_running_loop().time()
        if now >= self._next_prune:
            self._next_prune = now + every
            await prune(self._engine, self._table, self._retention)

    async def _sleep(self, seconds: float) -> None:
        """Sleeps until woken by a NOTIFY, or for `seconds` at most."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), seconds)

    async def _listen(self) -> asyncpg.Connection | None:
        try:
            conn = await asyncpg.connect(plain_url(self._database_url), timeout=5)
            await conn.add_listener(notify_channel(self._service), self._on_notify)
        except (OSError, asyncpg.PostgresError) as exc:
            self._listen_outage.failed(exc, polling_every=self._poll_interval)
            return None
        self._listen_outage.recovered()
        return conn

    def _on_notify(self, *_: object) -> None:
        self._wake.set()
