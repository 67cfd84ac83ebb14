"""A deep page of the deal list is an index range, not a filter over every newer deal: the
cursor's bound is an index condition of ix_deals_tenant_created, custom and generic plans."""

import uuid
from datetime import UTC, datetime

import pytest
from sqlalchemy import text
from sqlalchemy.dialects import postgresql

from deals.db.repository import list_query

NO_FILTERS = {
    "status": None,
    "stage": None,
    "company_domain": None,
    "created_since": None,
    "created_until": None,
    "closed_since": None,
    "closed_until": None,
}


@pytest.mark.parametrize("mode", ["force_custom_plan", "force_generic_plan"])
async def test_a_cursor_bounds_the_index_range(mode, uow_factory) -> None:
    after = (datetime(2025, 1, 1, tzinfo=UTC), uuid.uuid4())
    query = list_query("t-plan", **NO_FILTERS, after=after, limit=51)
    compiled = query.compile(dialect=postgresql.asyncpg.dialect())
    positional = compiled.string.replace("%(", "{").replace(")s", "}")  # pyformat -> $n below
    names = list(compiled.params)
    sql = positional.format(**{n: f"${i + 1}" for i, n in enumerate(names)})
    async with uow_factory() as uow:
        await uow.session.execute(text("SET LOCAL enable_seqscan = off"))
        await uow.session.execute(text(f"SET LOCAL plan_cache_mode = {mode}"))
        await uow.session.execute(text(f"PREPARE deep_page AS {sql}"))
        args = ", ".join(_literal(compiled.params[n]) for n in names)
        plan = (await uow.session.execute(text(f"EXPLAIN EXECUTE deep_page({args})"))).scalars()
        plan_text = "\n".join(plan)
        await uow.session.execute(text("DEALLOCATE deep_page"))
    index_conditions = [line for line in plan_text.splitlines() if "Index Cond" in line]
    assert "ix_deals_tenant_created" in plan_text, plan_text
    assert any("created_at <=" in line for line in index_conditions), plan_text


def _literal(value: object) -> str:
    if isinstance(value, datetime):
        return f"'{value.isoformat()}'::timestamptz"
    return "'" + str(value).replace("'", "''") + "'"
