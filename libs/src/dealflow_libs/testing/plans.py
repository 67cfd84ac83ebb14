"""Plans of queries as the app's asyncpg prepared statements get them, custom or generic: what
plan tests assert on (an index's name, an index condition), at any parameter values."""

import uuid
from datetime import datetime
from enum import Enum
from typing import Any

from sqlalchemy import Executable, text
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.asyncio import AsyncSession


def positional(query: Executable) -> tuple[str, list[object]]:
    """The query with $n placeholders, as a server-side prepared statement takes it, and the
    values in their order."""
    compiled = query.compile(dialect=postgresql.asyncpg.dialect())  # type: ignore[attr-defined]
    names = list(compiled.params)
    sql = compiled.string.replace("%(", "{").replace(")s", "}")  # pyformat -> $n below
    return sql.format(**{n: f"${i + 1}" for i, n in enumerate(names)}), [
        compiled.params[n] for n in names
    ]


def literal(value: object) -> str:
    """A value as a SQL literal for EXECUTE (timestamps typed, enums by value)."""
    if isinstance(value, datetime):
        return f"'{value.isoformat()}'::timestamptz"
    if isinstance(value, Enum):
        value = value.value
    if isinstance(value, uuid.UUID | int | str):
        return "'" + str(value).replace("'", "''") + "'"
    raise TypeError(f"no literal for {value!r}")


async def prepared_plan(session: AsyncSession, query: Executable, mode: str) -> str:
    """EXPLAIN of `query` prepared under plan_cache_mode `mode` (force_custom_plan or
    force_generic_plan), in the session's transaction (SET LOCAL)."""
    sql, params = positional(query)
    await session.execute(text(f"SET LOCAL plan_cache_mode = {mode}"))
    await session.execute(text(f"PREPARE plan_q AS {sql}"))
    try:
        args = ", ".join(literal(p) for p in params)
        plan: Any = (await session.execute(text(f"EXPLAIN EXECUTE plan_q({args})"))).scalars()
        return "\n".join(plan)
    finally:
        await session.execute(text("DEALLOCATE plan_q"))
