"""The report totals' one statement (`db.credit_totals`) reads each part of a window as a
narrow range of its own index, in the generic plan as in the custom one: a plan cached from a
short window must not walk a long one's whole range (it did when the partial days were the
window's range filtered down: 150 ms a model at ten years once a 365-day report had run)."""

import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import delete, text

from attribution.db.credit_totals import totals_parameters, totals_statement
from attribution.db.tables import report_credits, report_monthly
from dealflow_libs.testing.plans import MODES, prepared_plan

TENANT = "t-totals-plan"
MODELS = ["linear", "time_decay"]
# Two and a half years of credits, a run an hour under each model (the triggers fill the
# rollups).
FILL = (
    "INSERT INTO report_credits (run_id, channel, tenant_id, deal_id, model, minor_units,"
    " weight_num, weight_den, touches, value_minor, currency, conversion_at)"
    " SELECT gen_random_uuid(), 'Email', :tenant, gen_random_uuid(), m, 100, 1, 3, 1, 300,"
    " 'USD', now() - g * interval '1 hour'"
    " FROM generate_series(1, 22000) g, unnest(ARRAY['linear', 'time_decay', 'first_touch']) m"
)
# Other tenants' months, so report_monthly is as large as at scale (a few pages would be read
# whole, rightly, by any plan).
FILLER = "filler-totals-plan"
MONTHS = (
    "INSERT INTO report_monthly (tenant_id, model, currency, close_month, channel, deals,"
    " minor_units, weight_floor, weight_inexact)"
    " SELECT :filler || (g % 1000), 'linear', 'USD',"
    " date_trunc('month', now() - (g / 1000) * interval '1 month')::date, 'Email', 1, 1, 1, 0"
    " FROM generate_series(1, 50000) g"
)


@pytest.fixture
async def credits(sessions) -> AsyncIterator[None]:  # type: ignore[no-untyped-def]
    engine = sessions.kw["bind"]
    async with engine.connect() as conn:
        await conn.execute(text(FILL), {"tenant": TENANT})
        await conn.execute(text(MONTHS), {"filler": FILLER})
        await conn.commit()
    try:
        async with engine.connect() as conn:
            vacuum = await conn.execution_options(isolation_level="AUTOCOMMIT")
            await vacuum.execute(
                text("VACUUM ANALYZE report_credits, report_daily, report_monthly")
            )
        yield
    finally:
        async with engine.connect() as conn:
            await conn.execute(delete(report_credits).where(report_credits.c.tenant_id == TENANT))
            monthly = report_monthly.c.tenant_id
            await conn.execute(delete(report_monthly).where(monthly.startswith(FILLER)))
            await conn.commit()


async def test_each_part_is_a_range_of_its_index(uow_factory, credits) -> None:  # type: ignore[no-untyped-def]
    now = datetime.now(UTC)
    for days in (1, 30, 365, 3650):
        since = now - timedelta(days=days)
        statement = totals_statement().params(totals_parameters(TENANT, MODELS, "USD", since, now))
        for mode in MODES:
            async with uow_factory() as uow:
                plan = await prepared_plan(uow.session, statement, mode)
            assert "Seq Scan" not in plan, (days, mode, plan)
            conditions = [line for line in plan.splitlines() if "Index Cond" in line]
            # Five parts: the two partial days' credits, the days around the months, the months.
            assert len(conditions) == 5, (days, mode, plan)
            for condition in conditions:
                # Both ends of its range in the index condition: nothing outside it is read.
                bounds = re.findall(r"(conversion_at|close_day|close_month) ([<>]=?)", condition)
                assert sorted(op[0] for _, op in bounds) == ["<", ">"], (days, mode, condition)
