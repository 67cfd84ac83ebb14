"""insert_new on real PostgreSQL: rows as add + flush would write them, objects stay tracked;
insert_rows: one statement in the order given; any_of past asyncpg's bind-parameter limit, and
what exceeding it is."""

from dataclasses import dataclass, field
from datetime import UTC, datetime
from uuid import UUID

import asyncpg
import pytest
from sqlalchemy import ARRAY, BigInteger, Column, Identity, Table, Text, Uuid, select, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.exc import DBAPIError, InterfaceError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from sqlalchemy.orm import registry

from dealflow_libs.db import (
    ModelJSON,
    any_of,
    insert_new,
    insert_rows,
    new_metadata,
    session_factory,
    timestamp,
)
from dealflow_libs.errors import is_transient
from dealflow_libs.http import unexpected_error_response
from dealflow_libs.ids import new_id
from dealflow_schemas.bookings import Person

METADATA = new_metadata()
NOTES = Table(
    "notes",
    METADATA,
    Column("id", Uuid, primary_key=True),
    Column("text", Text, nullable=False),
    Column("tags", JSONB, nullable=False),
    Column("author", ModelJSON(Person)),
    Column("readers", ModelJSON(Person, many=True), nullable=False, server_default="[]"),
)

ENTRIES = Table(
    "entries",
    METADATA,
    Column("id", Uuid, primary_key=True),
    Column("seq", BigInteger, Identity(), nullable=False),
    Column("window", Text(collation="C"), nullable=False),  # a reserved word, a collation
    Column("body", JSONB, nullable=False),
    Column("size", BigInteger),
    timestamp("at"),
    Column("labels", ARRAY(Text)),
)


@dataclass(eq=False)
class Note:
    """A plain domain class, mapped imperatively like the services' entities."""

    id: UUID
    text: str
    tags: list[str] = field(default_factory=list)
    author: Person | None = None
    readers: list[Person] = field(default_factory=list)


registry().map_imperatively(Note, NOTES)


@pytest.fixture
async def sessions(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    async with engine.begin() as conn:
        await conn.run_sync(METADATA.create_all)
    return session_factory(engine)


async def stored(sessions: async_sessionmaker[AsyncSession], *ids: UUID) -> list[tuple[str, list]]:
    async with sessions() as session:
        rows = await session.execute(select(NOTES.c.text, NOTES.c.tags).where(NOTES.c.id.in_(ids)))
        return sorted((text, tags) for text, tags in rows)


async def test_inserted_objects_are_stored_and_later_changes_are_flushed(sessions) -> None:
    first, second = Note(new_id(), "first", ["a"]), Note(new_id(), "second")
    async with sessions() as session, session.begin():
        await insert_new(session, [first, second])
        assert first in session
        first.text = "first, edited"  # tracked: written as an UPDATE by the commit's flush
        second.tags = ["b"]

    assert await stored(sessions, first.id, second.id) == [
        ("first, edited", ["a"]),
        ("second", ["b"]),
    ]


async def test_nothing_is_stored_when_the_transaction_rolls_back(sessions) -> None:
    note_id = new_id()
    async with sessions() as session:
        await insert_new(session, [Note(note_id, "gone")])
        await session.rollback()
    assert await stored(sessions, note_id) == []


async def test_contract_models_in_json_columns_come_back_as_models(sessions) -> None:
    jane, joe = Person(email="jane@acme.com", name="Jane"), Person(email="joe@acme.com")
    with_people, without = (
        Note(new_id(), "p", author=jane, readers=[jane, joe]),
        Note(new_id(), "n"),
    )
    async with sessions() as session, session.begin():
        await insert_new(session, [with_people, without])

    async with sessions() as session:
        loaded = {n.text: n for n in await session.scalars(select(Note))}
        raw = await session.scalar(select(NOTES.c.readers).where(NOTES.c.id == with_people.id))
    assert (loaded["p"].author, loaded["p"].readers) == (jane, [jane, joe])
    assert (loaded["n"].author, loaded["n"].readers) == (None, [])
    assert raw == [jane, joe]  # the column type converts in both directions


class TestBindParameterLimit:
    """asyncpg sends at most 32,767 bind parameters; `any_of` binds one array instead."""

    MANY = 33_000

    async def test_any_of_takes_more_values_than_the_limit(self, sessions) -> None:
        note_id = new_id()
        async with sessions() as session, session.begin():
            await insert_new(session, [Note(note_id, "found")])
        ids = [note_id, *(new_id() for _ in range(self.MANY))]
        async with sessions() as session:
            found = await session.scalars(select(NOTES.c.text).where(any_of(NOTES.c.id, ids)))
            assert list(found) == ["found"]

    async def test_an_in_list_over_the_limit_is_a_logged_500_not_a_503(self, sessions) -> None:
        ids = [new_id() for _ in range(self.MANY)]
        async with sessions() as session:
            with pytest.raises(DBAPIError) as raised:
                await session.execute(select(NOTES.c.id).where(NOTES.c.id.in_(ids)))
        # Our own query is wrong: retrying cannot help, so no 503 + Retry-After.
        assert not is_transient(raised.value)
        assert unexpected_error_response(raised.value).status_code == 500

    def test_a_closed_connection_is_still_transient(self) -> None:
        closed = asyncpg.InterfaceError("cannot call Connection.fetch(): connection is closed")
        assert is_transient(closed)
        assert is_transient(InterfaceError("SELECT 1", None, closed))
        assert not is_transient(asyncpg.InterfaceError("another operation is in progress"))


async def test_insert_rows_writes_one_statement_in_the_order_given(sessions) -> None:
    at = datetime(2026, 3, 29, 1, 30, tzinfo=UTC)
    rows = [
        {"id": new_id(), "window": "b", "body": {"n": [1, "x"]}, "size": 2**40, "at": at},
        {"id": new_id(), "window": "a", "body": [], "size": None, "at": None},
        {"id": new_id(), "window": "c", "body": {"quote": 'it\'s "so"'}, "size": 0, "at": at},
    ]
    async with sessions() as session, session.begin():
        await session.execute(text("CREATE TEMP TABLE fired (n int) ON COMMIT DROP"))
        await session.execute(
            text(
                "CREATE FUNCTION pg_temp.count_statement() RETURNS trigger LANGUAGE plpgsql AS "
                "$$ BEGIN INSERT INTO fired VALUES (1); RETURN NULL; END $$"
            )
        )
        await session.execute(
            text(
                "CREATE TRIGGER entries_fired AFTER INSERT ON entries "
                "FOR EACH STATEMENT EXECUTE FUNCTION pg_temp.count_statement()"
            )
        )
        await insert_rows(session, ENTRIES, rows)
        fired = (await session.execute(text("SELECT count(*) FROM fired"))).scalar_one()
        await session.execute(text("DROP TRIGGER entries_fired ON entries"))
        stored_rows = (
            await session.execute(
                select(ENTRIES.c.id, ENTRIES.c.window, ENTRIES.c.body, ENTRIES.c.size, ENTRIES.c.at)
                .where(ENTRIES.c.id.in_([r["id"] for r in rows]))
                .order_by(ENTRIES.c.seq)
            )
        ).all()
    assert fired == 1
    assert [tuple(r) for r in stored_rows] == [
        (r["id"], r["window"], r["body"], r["size"], r["at"]) for r in rows
    ]


async def test_insert_rows_refuses_array_columns_and_ignores_no_rows(sessions) -> None:
    async with sessions() as session, session.begin():
        await insert_rows(session, ENTRIES, [])
        with pytest.raises(TypeError, match=r"entries\.labels"):
            await insert_rows(session, ENTRIES, [{"id": new_id(), "window": "a", "labels": []}])
