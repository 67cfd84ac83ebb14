"""keyset_page on real PostgreSQL: a walk page by page meets every row once, in order, rows
that tie on the sort value included, both directions; cursors round-trip."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Column, DateTime, Table, Uuid, select
from sqlalchemy.ext.asyncio import AsyncEngine

from dealflow_libs.db import new_metadata
from dealflow_libs.http import ApiError
from dealflow_libs.pagination import after_cursor, encode_cursor, keyset_page, page_of

METADATA = new_metadata()
ENTRIES = Table(
    "paged_entries",
    METADATA,
    Column("id", Uuid, primary_key=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
)
START = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.fixture
async def entries(engine: AsyncEngine) -> list[tuple[datetime, uuid.UUID]]:
    """23 rows over 5 instants: most of them tie with others on created_at."""
    rows = [(START + timedelta(seconds=n % 5), uuid.uuid4()) for n in range(23)]
    async with engine.begin() as conn:
        await conn.run_sync(METADATA.create_all)
        await conn.execute(ENTRIES.delete())
        await conn.execute(ENTRIES.insert(), [{"created_at": at, "id": i} for at, i in rows])
    return rows


async def _walk(
    engine: AsyncEngine, size: int, newest_first: bool
) -> list[tuple[datetime, uuid.UUID]]:
    """Every page through the API's cursor (encoded, decoded), as a client would walk it."""
    seen: list[tuple[datetime, uuid.UUID]] = []
    cursor: str | None = None
    while True:
        after = after_cursor(cursor, datetime.fromisoformat)
        query = keyset_page(
            select(ENTRIES), ENTRIES.c.created_at, ENTRIES.c.id, after, size + 1,
            newest_first=newest_first,
        )  # fmt: skip
        async with engine.connect() as conn:
            rows = (await conn.execute(query)).all()
        page, cursor = page_of(rows, size, lambda r: r.created_at.isoformat())
        seen += [(r.created_at, r.id) for r in page]
        if cursor is None:
            return seen


@pytest.mark.parametrize("size", [1, 4, 5, 23, 50])
@pytest.mark.parametrize("newest_first", [True, False])
async def test_a_walk_meets_every_row_once_in_order(engine, entries, size, newest_first) -> None:
    walked = await _walk(engine, size, newest_first)
    assert walked == sorted(entries, reverse=newest_first)


def test_a_cursor_round_trips() -> None:
    at, last = START + timedelta(microseconds=7), uuid.uuid4()
    assert after_cursor(encode_cursor(at.isoformat(), str(last)), datetime.fromisoformat) == (
        at,
        last,
    )
    assert after_cursor(encode_cursor(at.isoformat(), 42), datetime.fromisoformat, int) == (at, 42)
    assert after_cursor(None, datetime.fromisoformat) is None


@pytest.mark.parametrize("cursor", ["not base64!", encode_cursor("x", "y"), encode_cursor(1)])
def test_a_cursor_this_api_did_not_give_is_a_400(cursor: str) -> None:
    with pytest.raises(ApiError) as raised:
        after_cursor(cursor, datetime.fromisoformat)
    assert raised.value.status == 400
