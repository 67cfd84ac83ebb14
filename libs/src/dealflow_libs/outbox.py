"""Transactional outbox: events are rows written in the same transaction as the state they describe.

The relay (`dealflow_libs.relay`) publishes them. Invariants - do not break:
- rows are only ever added through `Outbox.add` inside a unit of work, never published directly;
- a statement trigger NOTIFYs the service's channel on insert, so the relay wakes at commit time;
- published rows stay (with their Kafka partition and offset) for the retention period, so that
  what a broker loses can be published again (`dealflow_libs.outbox_recovery`).
"""

from dataclasses import replace
from functools import cache
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Identity,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    Table,
    Text,
    TextClause,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncSession

from dealflow_libs import tracing
from dealflow_libs.cloudevents import Envelope, new_envelope
from dealflow_libs.trail import Trail, trail_table
from dealflow_schemas.base import EventModel


def outbox_table(metadata: MetaData) -> Table:
    """The outbox, and beside it in `metadata` the relay's `outbox_positions` and the `trail`."""
    outbox_positions_table(metadata)
    trail_table(metadata)
    return Table(
        "outbox",
        metadata,
        Column("id", BigInteger, Identity(), primary_key=True),
        Column("topic", Text, nullable=False),
        Column("key", Text, nullable=True),
        # The record's headers as Kafka takes them (name, bytes), encoded once by the envelope:
        # names and values side by side, in the envelope's order.
        Column("header_names", ARRAY(Text), nullable=False),
        Column("header_values", ARRAY(LargeBinary), nullable=False),
        Column("value", LargeBinary, nullable=False),
        Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
        # Set when Kafka acknowledged the row (null: not published yet), with where it went.
        # Published rows are kept for the retention period, so that what a broker loses can be
        # published again (dealflow_libs.outbox_recovery).
        Column("published_at", DateTime(timezone=True), nullable=True),
        Column("kafka_partition", Integer, nullable=True),
        Column("kafka_offset", BigInteger, nullable=True),
        Index("ix_outbox_pending", "id", postgresql_where=text("published_at IS NULL")),
    )


def outbox_positions_table(metadata: MetaData) -> Table:
    """Per partition, the last event the relay published there: reading that offset back
    tells whether the broker still holds what the relay sent (dealflow_libs.outbox_recovery)."""
    return Table(
        "outbox_positions",
        metadata,
        Column("topic", Text, primary_key=True),
        Column("kafka_partition", Integer, primary_key=True),
        Column("kafka_offset", BigInteger, nullable=False),
        Column("event_id", Text, nullable=False),
        Column("published_at", DateTime(timezone=True), nullable=False),
    )


def notify_channel(service: str) -> str:
    return f"dealflow_outbox_{service}"


def outbox_trigger_sql(service: str) -> list[str]:
    """DDL for migrations: wake the relay on every committed insert (NOTIFYs are coalesced)."""
    channel = notify_channel(service)
    return [
        f"""CREATE OR REPLACE FUNCTION outbox_notify() RETURNS trigger AS $$
BEGIN PERFORM pg_notify('{channel}', ''); RETURN NULL; END; $$ LANGUAGE plpgsql""",
        """CREATE TRIGGER outbox_notify AFTER INSERT ON outbox
FOR EACH STATEMENT EXECUTE FUNCTION outbox_notify()""",
    ]


def envelope_row(envelope: Envelope, *, topic: str, key: str | None) -> dict[str, Any]:
    """An outbox row: the envelope's Kafka headers are encoded here, once, and the relay hands
    the stored names and bytes to Kafka as they are."""
    headers = envelope.kafka_headers()
    return {
        "topic": topic,
        "key": key,
        "header_names": [name for name, _ in headers],
        "header_values": [value for _, value in headers],
        "value": envelope.data,
    }


@cache
def _insert_rows(table: Table) -> TextClause:
    # One statement for the whole batch: one executor start and one NOTIFY trigger call, where
    # an executemany pays both per row. Rows have headers of different lengths, which a 2-D
    # array cannot hold: all headers travel as two flat arrays, each row takes its slice.
    return text(
        f"INSERT INTO {table.name} (topic, key, header_names, header_values, value) "  # noqa: S608 - our table name
        "SELECT r.topic, r.key, h.names[r.first:r.last], h.vals[r.first:r.last], r.value "
        "FROM (SELECT CAST(:names AS text[]) AS names, CAST(:vals AS bytea[]) AS vals) AS h, "
        "unnest(CAST(:topic AS text[]), CAST(:key AS text[]), CAST(:value AS bytea[]), "
        "CAST(:first AS integer[]), CAST(:last AS integer[])) "
        "WITH ORDINALITY AS r(topic, key, value, first, last, n) ORDER BY r.n"
    )


def _insert_params(rows: list[dict[str, Any]]) -> dict[str, list[Any]]:
    names: list[str] = []
    values: list[bytes] = []
    first, last = [], []
    for row in rows:
        first.append(len(names) + 1)
        names += row["header_names"]
        values += row["header_values"]
        last.append(len(names))
    return {
        "topic": [r["topic"] for r in rows],
        "key": [r["key"] for r in rows],
        "value": [r["value"] for r in rows],
        "names": names,
        "vals": values,
        "first": first,
        "last": last,
    }


class Outbox:
    """Collects events during a unit of work and writes them with its flush."""

    def __init__(
        self, session: AsyncSession, table: Table, source: str, trail: Trail | None = None
    ) -> None:
        self._session = session
        self._table = table
        self._source = source
        self._trail = trail
        self._pending: list[dict[str, Any]] = []

    def add(
        self,
        event: EventModel,
        *,
        topic: str,
        key: str | None,
        tenant_id: str,
        subject: str | None = None,
        envelope: Envelope | None = None,
    ) -> Envelope:
        envelope = envelope or new_envelope(
            event, source=self._source, tenant_id=tenant_id, subject=subject
        )
        trail = tracing.context_for(
            event_id=envelope.id, caused_by=getattr(event, "caused_by", None)
        )
        if trail.keys() - envelope.extensions.keys():
            envelope = replace(envelope, extensions={**trail, **envelope.extensions})
        self._pending.append(envelope_row(envelope, topic=topic, key=key))
        if self._trail is not None:
            self._trail.add(envelope, "published", topic)
        return envelope

    async def flush(self) -> None:
        """Writes the pending rows in one statement, in the order added (ids follow it)."""
        if self._pending:
            rows, self._pending = self._pending, []
            await self._session.execute(_insert_rows(self._table), _insert_params(rows))
