"""The plan PostgreSQL gives a query as the app runs it: a server-side prepared statement
(asyncpg prepares every statement), custom or generic (`plan_cache_mode`)."""

import enum
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime

from sqlalchemy import Executable, text
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

MODES = ("force_custom_plan", "force_generic_plan")


def positional(query: Executable) -> tuple[str, list[object]]:
    """The query with $n placeholders, as asyncpg prepares it, and its values in order."""
    compiled = query.compile(dialect=postgresql.asyncpg.dialect())  # type: ignore[attr-defined]
    names = list(compiled.params)
    sql = compiled.string.replace("%(", "{").replace(")s", "}")  # pyformat -> $n below
    return sql.format(**{n: f"${i + 1}" for i, n in enumerate(names)}), [
        compiled.params[n] for n in names
    ]


def sql_literal(value: object) -> str:
    """A value as a SQL literal for EXECUTE (typed where the text alone would be ambiguous)."""
    if isinstance(value, datetime):
        return f"'{value.isoformat()}'::timestamptz"
    if isinstance(value, enum.Enum):
        value = value.value
    if isinstance(value, list | tuple):
        return "ARRAY[" + ", ".join(sql_literal(v) for v in value) + "]"
    return "'" + str(value).replace("'", "''") + "'"


async def prepared_plan(session: AsyncSession, query: Executable, mode: str) -> str:
    """EXPLAIN of `query` prepared and executed in `mode` (one of MODES), in the session's
    transaction (SET LOCAL: the caller's rollback or commit ends it)."""
    sql, params = positional(query)
    await session.execute(text(f"SET LOCAL plan_cache_mode = {mode}"))
    await session.execute(text(f"PREPARE plan_q AS {sql}"))
    try:
        args = ", ".join(sql_literal(p) for p in params)
        plan = (await session.execute(text(f"EXPLAIN EXECUTE plan_q({args})"))).scalars()
        return "\n".join(plan)
    finally:
        await session.execute(text("DEALLOCATE plan_q"))


def index_conditions(plan: str) -> list[str]:
    return [line.strip() for line in plan.splitlines() if "Index Cond" in line]


@asynccontextmanager
async def analyzed(
    engine: AsyncEngine, table: str, fill: str, tenant_id: str
) -> AsyncIterator[None]:
    """`fill` (an INSERT of `tenant_id`'s rows) committed, the table vacuumed and analyzed so the
    planner sees statistics as at scale; the tenant's rows deleted afterwards."""
    async with engine.connect() as conn:
        await conn.execute(text(fill))
        await conn.commit()
    try:
        async with engine.connect() as conn:
            vacuum = await conn.execution_options(isolation_level="AUTOCOMMIT")
            await vacuum.execute(text(f"VACUUM ANALYZE {table}"))
        yield
    finally:
        async with engine.connect() as conn:
            await conn.execute(
                text(f"DELETE FROM {table} WHERE tenant_id = :t"),  # noqa: S608 (a table name)
                {"t": tenant_id},
            )
            await conn.commit()
