"""What a service did for one booking: every event it consumed and published, by correlation id.

Events carry the correlation id of the booking that started their chain (`dealflow_libs.tracing`).
Each service keeps a `trail` row per event it took in (inbox claim) and per event it emitted
(outbox), written in the same transaction as the effects, so `GET /v1/trail/{correlation_id}`
answers "what did you do for this booking" from every service, long after the outbox rows are
pruned.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Identity,
    Index,
    MetaData,
    Table,
    Text,
    func,
    select,
    text,
)
from sqlalchemy.ext.asyncio import AsyncSession

from dealflow_libs.cloudevents import Envelope
from dealflow_libs.tracing import CORRELATION

Direction = Literal["consumed", "published"]


def _columns() -> list[Column[Any]]:
    return [
        Column("id", BigInteger, Identity(), primary_key=True),
        Column("tenant_id", Text, nullable=False),
        Column("correlation_id", Text, nullable=False),
        Column("direction", Text, nullable=False),
        # The consumer that took the event in, or the topic it was published to.
        Column("channel", Text, nullable=False),
        Column("event_id", Text, nullable=False),
        Column("event_type", Text, nullable=False),
        Column("subject", Text, nullable=True),
        Column("at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    ]


_INDEX_COLUMNS = ("tenant_id", "correlation_id", "id")


def trail_table(metadata: MetaData) -> Table:
    return Table(
        "trail", metadata, *_columns(), Index("ix_trail_tenant_correlation", *_INDEX_COLUMNS)
    )


def create_trail_table(op: Any) -> None:
    """Migration step shared by every service (alembic's `op`)."""
    op.create_table("trail", *_columns())
    op.create_index("ix_trail_tenant_correlation", "trail", list(_INDEX_COLUMNS))


@dataclass(frozen=True)
class TrailEntry:
    direction: Direction
    channel: str
    event_id: str
    event_type: str
    subject: str | None
    at: datetime


def entry(envelope: Envelope, direction: Direction, channel: str) -> dict[str, Any]:
    return {
        "tenant_id": envelope.tenant_id,
        "correlation_id": envelope.extensions.get(CORRELATION) or envelope.id,
        "direction": direction,
        "channel": channel,
        "event_id": envelope.id,
        "event_type": envelope.type,
        "subject": envelope.subject,
    }


_INSERT = (
    "INSERT INTO trail (tenant_id, correlation_id, direction, channel, event_id, event_type, "
    "subject) SELECT * FROM unnest(CAST(:tenant_id AS text[]), CAST(:correlation_id AS text[]), "
    "CAST(:direction AS text[]), CAST(:channel AS text[]), CAST(:event_id AS text[]), "
    "CAST(:event_type AS text[]), CAST(:subject AS text[]))"
)
_COLUMNS = ("tenant_id", "correlation_id", "direction", "channel", "event_id", "event_type")


class Trail:
    """Trail rows gathered during a unit of work, written with its commit in one statement."""

    def __init__(self, session: AsyncSession, table: Table | None) -> None:
        self._session = session
        self._table = table
        self._pending: list[dict[str, Any]] = []

    def add(self, envelope: Envelope, direction: Direction, channel: str) -> None:
        if self._table is not None:
            self._pending.append(entry(envelope, direction, channel))

    async def flush(self) -> None:
        if not self._pending:
            return
        rows, self._pending = self._pending, []
        params: dict[str, list[Any]] = {c: [r[c] for r in rows] for c in _COLUMNS}
        params["subject"] = [r["subject"] for r in rows]
        await self._session.execute(text(_INSERT), params)

    async def of(self, tenant_id: str, correlation_id: str, limit: int) -> Sequence[TrailEntry]:
        if self._table is None:
            return []
        t = self._table
        rows = await self._session.execute(
            select(t.c.direction, t.c.channel, t.c.event_id, t.c.event_type, t.c.subject, t.c.at)
            .where(t.c.tenant_id == tenant_id, t.c.correlation_id == correlation_id)
            .order_by(t.c.id)
            .limit(limit)
        )
        return [TrailEntry(*row) for row in rows]
