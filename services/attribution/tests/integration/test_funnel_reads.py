"""The funnel's reads at scale: each count is a range of its own time index, custom and generic
plans, never a walk of every row of the tenant. Period: the leads' latest activity, booking and
won close (migration 0016), bookings by booking time, meeting states by scheduled time with their
attendance, deals by creation and close. Cohort: bookings and deals by their cohort facts
(migrations 0022, 0020). (That they count exactly what the funnel's definition does:
test_funnel_model.py.)"""

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import delete, text

from attribution.db.reporting import (
    cohort_deals_query,
    cohort_meetings_query,
    other_currency_deals_query,
    partial_days_deals_query,
    period_deals_query,
    period_leads_query,
    period_meetings_query,
)
from attribution.db.tables import deal_states, leads, meeting_bookings, meeting_states, touches
from dealflow_libs.testing.plans import MODES, prepared_plan
from dealflow_libs.utc_days import midnight, whole_days

SPREAD = [
    "INSERT INTO touches (tenant_id, touch_id, person_email, occurred_at, activity_type,"
    " channel, channel_rule_id, rule_version, source, received_at)"
    " SELECT 't-plan', 't' || g, 'p' || (g / 10) || '@x.com', now() - g * interval '10 minutes',"
    " 'call', 'Phone', 'r', 1, 'api', now() FROM generate_series(1, 100000) g",
    "INSERT INTO meeting_bookings (meeting_id, tenant_id, person_email, attendee_emails,"
    " booked_at, touch_id)"
    " SELECT gen_random_uuid(), 't-plan', 'p' || g || '@x.com', ARRAY['p' || g || '@x.com'],"
    " now() - g * interval '30 minutes', 'm' || g FROM generate_series(1, 20000) g",
    "INSERT INTO meeting_states (meeting_id, tenant_id, status, scheduled_at, showed_up,"
    " state_at)"
    " SELECT meeting_id, tenant_id, 'completed', booked_at + interval '3 days',"
    " random() < 0.8, now() FROM meeting_bookings WHERE tenant_id = 't-plan'",
    "INSERT INTO deal_states (deal_id, tenant_id, status, stage, value, currency, created_at,"
    " closed_at, state_at)"
    " SELECT gen_random_uuid(), 't-plan', CASE WHEN g % 3 = 0 THEN 'won' ELSE 'active' END,"
    " 'x', 100, 'USD', now() - g * interval '1 hour',"
    " CASE WHEN g % 3 = 0 THEN now() - g * interval '50 minutes' END, now()"
    " FROM generate_series(1, 20000) g",
    "INSERT INTO leads (tenant_id, email, status, first_seen_at, touches, meetings, updated_at,"
    " last_active_at, last_booked_at, last_won_at)"
    " SELECT 't-plan', 'p' || g || '@x.com', 'touched', now() - g * interval '200 minutes', 1,"
    " 0, now(), now() - g * interval '100 minutes',"
    " CASE WHEN g % 3 = 0 THEN now() - g * interval '120 minutes' END,"
    " CASE WHEN g % 7 = 0 THEN now() - g * interval '110 minutes' END"
    " FROM generate_series(1, 10000) g",
    # The cohort facts the units of work keep (the leads' derivation is not run here).
    "UPDATE meeting_bookings SET cohort_seen_at = booked_at - interval '1 day'"
    " WHERE tenant_id = 't-plan'",
    "UPDATE deal_states SET cohort_seen_at = created_at - interval '1 day'"
    " WHERE tenant_id = 't-plan'",
]
PLANNED = ("touches", "meeting_bookings", "meeting_attendees", "meeting_states", "deal_states")


@pytest.fixture
async def spread(sessions) -> AsyncIterator[None]:  # type: ignore[no-untyped-def]
    """Two years of tenant t-plan's touches, bookings, meeting and deal states and leads,
    committed and vacuumed (statistics and visibility map as at scale); removed afterwards."""
    engine = sessions.kw["bind"]
    async with engine.connect() as conn:
        for statement in SPREAD:
            await conn.execute(text(statement))
        await conn.commit()
    try:
        async with engine.connect() as conn:
            vacuum = await conn.execution_options(isolation_level="AUTOCOMMIT")
            await vacuum.execute(text(f"VACUUM ANALYZE {', '.join((*PLANNED, 'leads'))}"))
        yield
    finally:
        async with engine.connect() as conn:
            for table in (meeting_states, meeting_bookings, touches, leads, deal_states):
                await conn.execute(delete(table).where(table.c.tenant_id == "t-plan"))
            await conn.commit()


WINDOW = (datetime.now(UTC) - timedelta(days=30), datetime.now(UTC))
DAYS = whole_days(*WINDOW)
assert DAYS is not None
READS = {  # each read and the indexes it starts from
    "leads": (
        period_leads_query("t-plan", *WINDOW),
        ("ix_leads_last_active", "ix_leads_last_booked", "ix_leads_last_won"),
    ),
    "meetings": (
        period_meetings_query("t-plan", *WINDOW),
        ("ix_meeting_bookings_booked", "ix_meeting_states_tenant"),
    ),
    "deals": (
        period_deals_query("t-plan", *WINDOW, summed="USD"),
        ("ix_deal_states_created", "ix_deal_states_closed"),
    ),
    # Over whole days (deal_days): the partial days by their rows, and other currencies'
    # deals by the currency indexes.
    "deals, partial days": (
        partial_days_deals_query("t-plan", *WINDOW, DAYS, summed="USD"),
        ("ix_deal_states_created", "ix_deal_states_closed"),
    ),
    "deals, other currencies": (
        other_currency_deals_query(
            "t-plan", ["EUR"], midnight(DAYS[0]), midnight(DAYS[1]), cohort=False
        ),
        # Either or both of ix_deal_states_currency_created and _closed, as the estimates go.
        ("ix_deal_states_currency_",),
    ),
    "cohort deals, partial days": (
        cohort_deals_query("t-plan", *WINDOW, summed="USD", days=DAYS),
        ("ix_deal_states_cohort",),
    ),
    "cohort deals, other currencies": (
        other_currency_deals_query(
            "t-plan", ["EUR"], midnight(DAYS[0]), midnight(DAYS[1]), cohort=True
        ),
        # ix_deal_states_currency_cohort, or another of them by the currency alone when it is
        # as rare as here.
        ("ix_deal_states_currency_",),
    ),
    "cohort meetings": (cohort_meetings_query("t-plan", *WINDOW), ("ix_meeting_bookings_cohort",)),
    "cohort deals": (
        cohort_deals_query("t-plan", *WINDOW, summed="USD"),
        ("ix_deal_states_cohort",),
    ),
}


CUSTOM_ONLY = {"deals, other currencies", "cohort deals, other currencies"}


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("read", sorted(READS))
async def test_the_reads_are_ranges_of_their_time_indexes(
    read: str, mode: str, uow_factory, spread
) -> None:
    query, indexes = READS[read]
    if read in CUSTOM_ONLY and mode == "force_generic_plan":
        # The app plans it for its values each time (`funnel_deals`): a generic plan cannot
        # tell a rare currency from the common one and reads the window's every deal by time.
        return
    async with uow_factory() as uow:
        plan = await prepared_plan(uow.session, query, mode)
    for index in indexes:
        assert index in plan, (index, plan)
    # Index-only when VACUUM could mark the pages all-visible; an index or bitmap scan of the
    # same index when another session's open transaction kept it from doing so: the range read
    # is what matters, never every row of a table.
    for table in (*PLANNED, "leads"):
        assert f"Seq Scan on {table}" not in plan, (table, plan)
    if read == "leads":
        # A lead dated ahead has its own rows probed by key: its account's deals by id, never
        # every deal closed in the window (a bitmap of them for each such lead).
        assert "ix_deal_states_closed" not in plan, plan
        assert "pk_deal_states" in plan, plan
