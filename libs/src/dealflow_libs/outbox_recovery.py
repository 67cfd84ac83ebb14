"""What the broker still holds of what the relay published, and what it lost.

The relay keeps every published outbox row for a retention period, with the partition and
offset Kafka acknowledged it at, and remembers per partition the last event it published there
(`outbox_positions`). Reading that offset back from the broker tells whether the partition
survived: a Kafka log only grows, so if the record there is still that event, everything the
relay sent before it is there too (Apache Kafka: nothing is sent again). If the record is
missing or is another one, the broker lost the partition, for example because the local broker,
which keeps nothing on disk, was restarted: every retained row of that partition is marked
unpublished, and the relay sends them again, in their original (id) order, before anything
newer. Consumers deduplicate through their inbox.

This assumes that only this service writes to its topics (true of every `dealflow.*` topic),
so that offsets in a partition only ever grow between two checks.

Rows are pruned once older than the retention period, in small batches.
"""

import asyncio
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from functools import cache
from typing import Any

from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition
from aiokafka.errors import OffsetOutOfRangeError
from aiokafka.structs import RecordMetadata
from sqlalchemy import (
    BigInteger,
    Executable,
    Integer,
    Interval,
    Row,
    Table,
    Text,
    all_,
    bindparam,
    column,
    delete,
    func,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY, insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

log = logging.getLogger(__name__)

Partition = tuple[str, int]


@dataclass(frozen=True)
class LastPublished:
    offset: int
    event_id: str


def event_id_of(row: Row[Any]) -> str:
    """The CloudEvent id of an outbox row."""
    value: bytes = row.header_values[row.header_names.index("ce_id")]
    return value.decode()


async def partitions_held(
    bootstrap: str, expected: Mapping[Partition, LastPublished], *, timeout_ms: int
) -> set[Partition]:
    """The partitions whose record at the expected offset is the expected event."""
    return await asyncio.wait_for(_held(bootstrap, expected, timeout_ms), timeout_ms / 1000)


async def _held(
    bootstrap: str, expected: Mapping[Partition, LastPublished], timeout_ms: int
) -> set[Partition]:
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap,
        enable_auto_commit=False,
        auto_offset_reset="none",  # an offset past the end raises instead of jumping
        fetch_max_wait_ms=100,
        request_timeout_ms=timeout_ms,
        client_id="dealflow-outbox-recovery",
    )
    await consumer.start()
    try:
        existing = await consumer.topics()
        candidates = [
            TopicPartition(topic, partition)
            for topic, partition in expected
            if topic in existing and partition in (consumer.partitions_for_topic(topic) or ())
        ]
        ends = await consumer.end_offsets(candidates) if candidates else {}
        # An empty partition holds nothing: no need to wait for a read to come back empty.
        to_read = {tp: expected[(tp.topic, tp.partition)] for tp in candidates if ends[tp] > 0}
        return await _read_back(consumer, to_read, deadline=timeout_ms / 2000)
    finally:
        # Bounded too: when the caller's wait_for gives up, it waits for this to finish.
        await asyncio.wait_for(consumer.stop(), timeout_ms / 1000)


async def _read_back(
    consumer: AIOKafkaConsumer, to_read: dict[TopicPartition, LastPublished], *, deadline: float
) -> set[Partition]:
    """Reads each partition at its expected offset; a partition that returns nothing by the
    deadline (the local broker answers a read past the end with nothing) is not held."""
    held: set[Partition] = set()
    until = asyncio.get_running_loop().time() + deadline

    def read_from_expected_offsets() -> None:
        consumer.assign(list(to_read))
        for tp, last in to_read.items():
            consumer.seek(tp, last.offset)

    read_from_expected_offsets()
    while to_read and asyncio.get_running_loop().time() < until:
        try:
            batches = await consumer.getmany(*to_read, timeout_ms=100)
        except OffsetOutOfRangeError as exc:  # Apache Kafka: the offset is past the end
            for tp in exc.args[0]:
                to_read.pop(tp, None)
            read_from_expected_offsets()
            continue
        for tp, records in batches.items():
            if records and tp in to_read:
                last = to_read.pop(tp)
                if _is(records[0], last):
                    held.add((tp.topic, tp.partition))
    return held


def _is(record: ConsumerRecord[Any, Any], last: LastPublished) -> bool:
    ids = [bytes(v).decode() for k, v in record.headers or () if k == "ce_id"]
    return record.offset == last.offset and ids == [last.event_id]


def _unnest(**arrays: Any) -> Any:
    """`unnest(:a, :b, ...) AS name(a, b, ...)`: one row per position of the given arrays."""
    params = [bindparam(name, type_=ARRAY(kind)) for name, kind in arrays.items()]
    columns = [column(name, kind) for name, kind in arrays.items()]
    return func.unnest(*params).table_valued(*columns).render_derived()


@cache
def _statements(t: Table) -> dict[str, Executable]:
    positions = t.metadata.tables["outbox_positions"]
    acked = _unnest(ids=BigInteger, partitions=Integer, offsets=BigInteger)
    last = _unnest(topics=Text, partitions=Integer, offsets=BigInteger, event_ids=Text)
    lost = _unnest(topics=Text, partitions=Integer)
    unpublish = update(t).values(published_at=None, kafka_partition=None, kafka_offset=None)
    published = t.c.published_at.is_not(None)
    upsert = insert(positions).from_select(
        ["topic", "kafka_partition", "kafka_offset", "event_id", "published_at"],
        select(last.c.topics, last.c.partitions, last.c.offsets, last.c.event_ids, func.now()),
    )
    return {
        "mark_published": update(t)
        .values(
            published_at=func.now(),
            kafka_partition=acked.c.partitions,
            kafka_offset=acked.c.offsets,
        )
        .where(t.c.id == acked.c.ids),
        "remember_last": upsert.on_conflict_do_update(
            index_elements=["topic", "kafka_partition"],
            set_={
                "kafka_offset": upsert.excluded.kafka_offset,
                "event_id": upsert.excluded.event_id,
                "published_at": upsert.excluded.published_at,
            },
        ),
        "positions": select(positions),
        "unpublish_lost": unpublish.where(
            published, t.c.topic == lost.c.topics, t.c.kafka_partition == lost.c.partitions
        ),
        "forget_lost": delete(positions).where(
            positions.c.topic == lost.c.topics, positions.c.kafka_partition == lost.c.partitions
        ),
        "unpublish_partition": unpublish.where(
            published,
            t.c.topic == bindparam("topic"),
            t.c.kafka_partition == bindparam("partition"),
            t.c.id != all_(bindparam("keep", type_=ARRAY(BigInteger))),
        ),
        "prune": delete(t).where(
            t.c.id.in_(
                select(t.c.id)
                .where(t.c.published_at < func.now() - bindparam("retention", type_=Interval))
                .order_by(t.c.id)
                .limit(bindparam("batch"))
            )
        ),
    }


@dataclass
class PublishedPositions:
    """The relay's record of where Kafka put what it published.

    `last` holds, per partition, the highest offset known to be on the broker: an
    acknowledgement at or below it means that the partition started again from scratch under a
    running relay (offsets only grow on a broker that keeps its data)."""

    table: Table
    bootstrap: str
    timeout_ms: int = 10_000
    last: dict[Partition, int] = field(default_factory=dict)

    async def unpublish_lost(self, conn: AsyncConnection) -> int:
        """Asks the broker which partitions it still holds and marks the retained rows of the
        others unpublished; returns how many. Call under the relay's lock, before a batch."""
        sql = _statements(self.table)
        expected = {
            (r.topic, r.kafka_partition): LastPublished(r.kafka_offset, r.event_id)
            for r in await conn.execute(sql["positions"])
        }
        held = (
            await partitions_held(self.bootstrap, expected, timeout_ms=self.timeout_ms)
            if expected
            else set()
        )
        self.last = {p: expected[p].offset for p in held}
        lost = sorted(set(expected) - held)
        if not lost:
            return 0
        params = {"topics": [t for t, _ in lost], "partitions": [p for _, p in lost]}
        count: int = (await conn.execute(sql["unpublish_lost"], params)).rowcount
        await conn.execute(sql["forget_lost"], params)
        log.warning(
            "the broker lost published events; sending them again",
            extra={"events": count, "partitions": [f"{t}/{p}" for t, p in lost]},
        )
        return count

    async def record(
        self, conn: AsyncConnection, rows: Sequence[Row[Any]], acks: Sequence[RecordMetadata]
    ) -> bool:
        """Marks `rows` published where Kafka put them. Returns True if the broker turned out
        to have lost data: a partition's offsets went back. That partition's earlier rows are
        marked unpublished at once (they follow, out of order for their keys: what was sent now
        cannot be taken back); the caller checks the other partitions before its next batch."""
        sql = _statements(self.table)
        await conn.execute(
            sql["mark_published"],
            {
                "ids": [row.id for row in rows],
                "partitions": [ack.partition for ack in acks],
                "offsets": [ack.offset for ack in acks],
            },
        )
        newest: dict[Partition, tuple[int, str]] = {}
        reset: dict[Partition, list[int]] = {}
        for row, ack in zip(rows, acks, strict=True):
            position = (ack.topic, ack.partition)
            if ack.offset <= self.last.get(position, -1) or position in reset:
                reset.setdefault(position, []).append(row.id)
            self.last[position] = ack.offset
            newest[position] = (ack.offset, event_id_of(row))
        await conn.execute(
            sql["remember_last"],
            {
                "topics": [topic for topic, _ in newest],
                "partitions": [partition for _, partition in newest],
                "offsets": [offset for offset, _ in newest.values()],
                "event_ids": [event_id for _, event_id in newest.values()],
            },
        )
        count = 0
        for (topic, partition), sent_now in sorted(reset.items()):
            params = {"topic": topic, "partition": partition, "keep": sent_now}
            count += (await conn.execute(sql["unpublish_partition"], params)).rowcount
        if reset:
            log.warning(
                "the broker started partitions again from scratch; sending their events again",
                extra={"events": count, "partitions": sorted(f"{t}/{p}" for t, p in reset)},
            )
        return bool(reset)


async def prune(
    engine: AsyncEngine, table: Table, retention: timedelta, *, batch: int = 1000
) -> int:
    """Deletes published rows older than `retention`, `batch` rows per transaction."""
    total = 0
    while True:
        async with engine.begin() as conn:
            params = {"retention": retention, "batch": batch}
            deleted: int = (await conn.execute(_statements(table)["prune"], params)).rowcount
        total += deleted
        if deleted < batch:
            return total
