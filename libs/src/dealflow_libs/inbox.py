"""Inbox: ids of events a consumer has processed, written in the same transaction as its effects.

Claiming an id that is already there returns False: the event was handled before (redelivery).
"""

from collections.abc import Iterable, Sequence
from typing import TypeVar

from sqlalchemy import Column, DateTime, MetaData, Table, Text, func
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from dealflow_libs import tracing
from dealflow_libs.trail import Trail

T = TypeVar("T")


def inbox_table(metadata: MetaData) -> Table:
    return Table(
        "inbox",
        metadata,
        Column("consumer", Text, primary_key=True),
        Column("event_id", Text, primary_key=True),
        Column("processed_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    )


class Inbox:
    def __init__(
        self, session: AsyncSession, table: Table, consumer: str, trail: Trail | None = None
    ) -> None:
        self._session = session
        self._table = table
        self._consumer = consumer
        self._trail = trail

    async def claim(self, event_id: str) -> bool:
        return bool(await self.claim_many([event_id]))

    async def claim_many(self, event_ids: Iterable[str]) -> set[str]:
        """Claims the ids not seen before and returns them; the others were processed already."""
        rows = [{"consumer": self._consumer, "event_id": i} for i in dict.fromkeys(event_ids)]
        if not rows:
            return set()
        # executemany form: one cached statement whatever the batch size (a multi-row VALUES
        # would be compiled again for every new size).
        stmt = insert(self._table).on_conflict_do_nothing().returning(self._table.c.event_id)
        claimed = set((await self._session.execute(stmt, rows)).scalars())
        if self._trail is not None:
            for event_id in claimed:
                envelope = tracing.incoming(event_id)
                if envelope is not None:
                    self._trail.add(envelope, "consumed", self._consumer)
        return claimed

    async def fresh(self, deliveries: Sequence[tuple[str, T]]) -> list[tuple[str, T]]:
        """The deliveries not processed before, each id once, in their original order."""
        claimed = await self.claim_many(event_id for event_id, _ in deliveries)
        first: dict[str, T] = {}
        for event_id, item in deliveries:
            if event_id in claimed:
                first.setdefault(event_id, item)
        return list(first.items())
