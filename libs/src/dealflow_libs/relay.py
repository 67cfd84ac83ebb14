"""Outbox relay: publishes committed outbox rows to Kafka in batches, in id order.

Invariants - do not break:
- a batch is read, published and deleted inside one transaction holding a per-service advisory
  lock, so two relays never interleave batches (per-key order survives a second instance);
- rows are deleted only after Kafka acknowledged every record of the batch; a crash in between
  republishes the batch (at-least-once; consumers dedupe through their inbox);
- the relay wakes on NOTIFY from the outbox trigger and also polls, so a lost notification
  only delays publishing by `poll_interval`.
"""

import asyncio
import contextlib
import logging
import zlib

import asyncpg
from aiokafka import AIOKafkaProducer
from sqlalchemy import BigInteger, Table, any_, delete, func, literal, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncEngine

from dealflow_libs.logging import OutageLog
from dealflow_libs.metrics import EVENTS_PUBLISHED
from dealflow_libs.outbox import notify_channel
from dealflow_libs.settings import plain_url

log = logging.getLogger(__name__)


class OutboxRelay:
    def __init__(
        self,
        *,
        service: str,
        engine: AsyncEngine,
        table: Table,
        producer: AIOKafkaProducer,
        database_url: str,
        batch_size: int = 500,
        poll_interval: float = 1.0,
    ) -> None:
        self._service = service
        self._engine = engine
        self._table = table
        self._producer = producer
        self._database_url = database_url
        self._batch_size = batch_size
        self._poll_interval = poll_interval
        self._wake = asyncio.Event()
        self._lock_id = zlib.crc32(f"outbox:{service}".encode())
        self.published = 0
        self._outage = OutageLog(log, "outbox relay: publishing")
        self._listen_outage = OutageLog(log, "outbox relay: LISTEN (polling meanwhile)")

    async def publish_batch(self) -> int:
        """Publishes up to one batch; returns how many went out (0: another relay has the lock)."""
        t = self._table
        async with self._engine.begin() as conn:
            if not await conn.scalar(select(func.pg_try_advisory_xact_lock(self._lock_id))):
                return 0
            rows = (await conn.execute(select(t).order_by(t.c.id).limit(self._batch_size))).all()
            if not rows:
                return 0
            pending = [
                await self._producer.send(
                    row.topic,
                    value=row.value,
                    key=row.key.encode() if row.key is not None else None,
                    headers=[(k, v.encode()) for k, v in row.headers.items()],
                )
                for row in rows
            ]
            await asyncio.gather(*pending)
            await conn.execute(
                delete(t).where(
                    t.c.id == any_(literal([row.id for row in rows], ARRAY(BigInteger)))
                )
            )
        for row in rows:
            EVENTS_PUBLISHED.labels(row.topic).inc()
        self.published += len(rows)
        return len(rows)

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
                except Exception as exc:  # the database or Kafka is away: keep rows, retry later
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
                with contextlib.suppress(Exception):
                    await listener.close()

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
