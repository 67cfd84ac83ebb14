"""The funnel from its read model (the facts kept on each leads row, migrations 0014 and 0016):
seeded random sequences of touches, bookings, attendance, deal events (created, won, lost,
reopened; in three currencies, the same values often) and personal-domain changes through the
real use cases in two tenants, some dated after now (touches, bookings, meetings, closes);
after every step the kept leads equal a recompute (`lead_differences`, what `check-summaries`
runs) and the funnel in both modes, every window, in each report currency, equals
`select_funnel` over every row of the tenant with every deal's value converted on its own. Then
the endpoint, a drifted row reported by `dealflow-attribution check-summaries`, and the cohort
reads' plans (custom and generic)."""

import asyncio
import random
import uuid
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import Update, func, select, text, update
from typer.testing import CliRunner

from attribution.cli import app as cli
from attribution.db.leads import deal_facts
from attribution.db.reporting import cohort_leads_query
from attribution.db.tables import (
    deal_states,
    leads,
    meeting_bookings,
    meeting_states,
    tenants,
    touches,
)
from attribution.deal_events import record_deal_events
from attribution.domain.currency import CurrencyRate, RateTable, convert_minor, rate_date
from attribution.domain.funnel import (
    DealFact,
    FunnelMode,
    FunnelSelection,
    LeadSeen,
    MeetingFact,
    select_funnel,
)
from attribution.domain.money import to_minor_units
from attribution.leads import lead_differences, record_tenant_changes
from attribution.reporting import (
    FunnelReport,
    cohort_differences,
    funnel_report,
    put_currency_rates,
    rollup_differences,
)
from attribution.use_cases import record_meeting_events, record_touches
from dealflow_libs.auth import hash_api_key
from dealflow_libs.testing.factories import meeting_event
from dealflow_libs.testing.plans import MODES, analyzed, prepared_plan
from dealflow_libs.testing.tenants import TenantCredentials, seed_tenant
from dealflow_schemas.attribution import TouchIn
from dealflow_schemas.deals import (
    DealCreated,
    DealEvent,
    DealLost,
    DealReopened,
    DealStatus,
    DealWon,
    LostReason,
)
from dealflow_schemas.meetings import MeetingAttended, MeetingBooked, MeetingNoShow, MeetingStatus
from dealflow_schemas.tenants import TenantChanged

from . import factories

DAYS = (1, 20, 90, 400, 3650)
# Each window's report currency: USD and EUR (cents) summed by the database in their own
# currency, JPY (no minor unit) grouped by value even in its own (half-yen values round).
CURRENCIES = ("USD", "EUR", "JPY", "USD", "EUR")
VALUES = ("1000.00", "333.33", "0.01", "1500.50", "0.00", "2.50")
MEETINGS, DEALS, TENANTS = "attribution-meetings", "attribution-deals", "attribution-tenants"


@dataclass
class World:
    """What a sequence has done so far in one tenant (to pick the next step from)."""

    tenant: TenantCredentials
    mailbox: str  # a domain the tenant may list as personal
    people: list[str]
    meetings: list[uuid.UUID] = field(default_factory=list)
    statuses: dict[uuid.UUID, DealStatus] = field(default_factory=dict)
    deals: dict[uuid.UUID, tuple[str | None, str | None, list[uuid.UUID], datetime, str, str]] = (
        field(default_factory=dict)
    )


def _ago(rng: random.Random, now: datetime) -> datetime:
    return now - timedelta(days=rng.choice([rng.uniform(0.01, 3), rng.uniform(3, 500)]))


def _when(rng: random.Random, now: datetime) -> datetime:
    """Mostly past, three times in ten dated ahead of now (a sender's clock, a booking to come):
    after every report's window, which ends at most minutes after `now`."""
    return now + timedelta(days=rng.uniform(0.5, 30)) if rng.random() < 0.3 else _ago(rng, now)


def _closed(rng: random.Random, created: datetime, now: datetime) -> datetime:
    closed = created + timedelta(days=rng.uniform(0, 60))
    return closed if rng.random() < 0.25 else min(now, closed)


async def _step(rng: random.Random, world: World, uow_factory: Any, now: datetime) -> str:
    tenant_id = world.tenant.id
    kind = rng.choices(
        ["touch", "book", "attend", "deal", "close", "personal"], [5, 3, 2, 3, 3, 2]
    )[0]
    if (kind == "attend" and not world.meetings) or (kind == "close" and not world.deals):
        kind = "touch"
    if kind == "touch":
        item = TouchIn(
            touch_id=uuid.uuid4().hex,
            person_email=rng.choice(world.people),
            occurred_at=_when(rng, now),
            activity_type="email_sent",
        )
        await record_touches(uow_factory(), tenant_id, [item], "api")
    elif kind in ("book", "attend"):
        if kind == "book":
            meeting_id, booker = uuid.uuid4(), rng.choice(world.people)
            others = rng.sample(world.people, rng.randint(0, 2))
            event = meeting_event(
                MeetingBooked,
                tenant_id=tenant_id,
                meeting_id=meeting_id,
                email=booker,
                company_domain=booker.partition("@")[2],
                start=_when(rng, now),
                attendees=[{"email": e, "name": "A"} for e in sorted({booker, *others})],
            )
            event = event.model_copy(update={"occurred_at": _when(rng, now)})
            world.meetings.append(meeting_id)
        else:
            attended = rng.choice([MeetingAttended, MeetingNoShow])
            event = meeting_event(
                attended,
                showed_up=attended is MeetingAttended,
                tenant_id=tenant_id,
                meeting_id=rng.choice(world.meetings),
                start=_when(rng, now),
                status=MeetingStatus.COMPLETED,
            )
        await record_meeting_events(uow_factory(MEETINGS), [(str(uuid.uuid4()), event)])
    elif kind in ("deal", "close"):
        if kind == "deal":
            deal_id = uuid.uuid4()
            contact = rng.choice([None, rng.choice(world.people)])
            domain = rng.choice([None, *dict.fromkeys(p.partition("@")[2] for p in world.people)])
            meetings = rng.sample(world.meetings, min(len(world.meetings), rng.randint(0, 2)))
            value, currency = rng.choice(VALUES), rng.choice(["USD", "USD", "EUR", "JPY"])
            # One in ten created after now (a sender's clock), after leads dated ahead too.
            created = now + timedelta(days=rng.uniform(1, 40)) if rng.random() < 0.1 else None
            created = created or _ago(rng, now)
            world.deals[deal_id] = (domain, contact, meetings, created, value, currency)
            kinds: list[type[DealEvent]] = [DealCreated]
            status = DealStatus.ACTIVE
        else:
            deal_id = rng.choice(list(world.deals))  # in creation order: reproducible
            kinds = [rng.choice([DealWon, DealLost, DealReopened])]
            status = {DealWon: DealStatus.WON, DealLost: DealStatus.LOST}.get(
                kinds[0], DealStatus.ACTIVE
            )
        domain, contact, meetings, created, value, currency = world.deals[deal_id]
        before = world.statuses.get(deal_id, DealStatus.ACTIVE)
        reopened: dict[str, Any] = {"from_status": before} if kinds[0] is DealReopened else {}
        if kinds[0] is DealLost:
            reopened = {"reason": LostReason.NO_BUDGET}
        if reopened and before is DealStatus.ACTIVE:
            kinds, status = [DealWon], DealStatus.WON  # only a closed deal reopens
            reopened = {}
        world.statuses[deal_id] = status
        event = factories.deal_event(
            kinds[0],
            tenant_id,
            deal_id,
            domain,
            status=status,
            value=value,
            currency=currency,
            contact=contact,
            meeting_ids=meetings,
            created_at=created,
            # Now and then a close date after now (a deal created lately).
            closed_at=_closed(rng, created, now),
            occurred_at=datetime.now(UTC),
            **reopened,
        )
        await record_deal_events(uow_factory(DEALS), [(str(uuid.uuid4()), event)])
    else:
        listed = rng.choice([[], [world.mailbox], ["gmail.com", world.mailbox]])
        change = TenantChanged(
            tenant_id=tenant_id,
            name=tenant_id,
            api_key_hashes=[hash_api_key(world.tenant.api_key)],
            personal_domains=listed,
            changed_at=datetime.now(UTC),
        )
        await record_tenant_changes(uow_factory(TENANTS), [(str(uuid.uuid4()), change)])
    return kind


async def per_row(
    uow: Any, tenant_id: str, mode: FunnelMode, since: datetime, until: datetime
) -> FunnelSelection:
    """The funnel by its definition: `select_funnel` over every lead row of the tenant (active
    in the window by its touches and bookings), every meeting (its booking and state) and every
    deal state, the account rule applied in Python."""
    async with uow:
        profile = (await uow.tenants.profiles([tenant_id]))[tenant_id]
        read = uow.session.execute
        lead_rows = await read(select(leads.c.email, leads.c.first_seen_at).where(
            leads.c.tenant_id == tenant_id))  # fmt: skip
        touched = await read(select(touches.c.person_email, touches.c.occurred_at).where(
            touches.c.tenant_id == tenant_id))  # fmt: skip
        bookings = {
            b.meeting_id: b
            for b in await read(
                select(meeting_bookings).where(meeting_bookings.c.tenant_id == tenant_id)
            )
        }
        states = {
            m.meeting_id: m
            for m in await read(
                select(meeting_states).where(meeting_states.c.tenant_id == tenant_id)
            )
        }
        deals = deal_facts(
            await read(select(deal_states).where(deal_states.c.tenant_id == tenant_id))
        )

    def inside(at: datetime) -> bool:
        return since <= at <= until

    active = {email for email, at in touched if inside(at)} | {
        person for b in bookings.values() if inside(b.booked_at) for person in b.attendee_emails
    }
    meetings = []
    for meeting_id in bookings.keys() | states.keys():
        booking, state = bookings.get(meeting_id), states.get(meeting_id)
        meetings.append(
            MeetingFact(
                meeting_id,
                booking.booked_at if booking else None,
                frozenset(booking.attendee_emails if booking else ()),
                state.scheduled_at if state else None,
                state.showed_up if state else None,
            )
        )
    attending = [
        replace(d, attendees=frozenset(
            p for m in d.meeting_ids if m in bookings for p in bookings[m].attendee_emails
        ))
        for d in deals
    ]  # fmt: skip
    return select_funnel(
        mode,
        since=since,
        until=until,
        leads=[LeadSeen(email, first, email in active) for email, first in lead_rows],
        meetings=meetings,
        deals=attending,
        personal_domains=profile.personal_domains,
    )


def deal_by_deal(deals: Iterable[DealFact], currency: str, table: RateTable) -> int:
    """The deals' values as the funnel converted them before grouping: one by one."""
    total = 0
    for deal in deals:
        units = to_minor_units(deal.value or Decimal(0), deal.currency)
        factor = table.factor(deal.currency, currency, rate_date(deal.rate_at))
        total += convert_minor(units, source=deal.currency, target=currency, factor=factor)
    return total


def _figures(report: FunnelReport) -> tuple[Any, ...]:
    return (report.counts, report.pipeline_minor, report.won_minor)


async def _from_latest(
    uow: Any, tenant_id: str, since: datetime, until: datetime
) -> tuple[int, int, int]:
    """The period's lead counts from the latest times alone (no lead decided from its rows)."""
    c = leads.c

    def within(column: Any) -> Any:
        return column.between(since, until)

    async with uow:
        found = await uow.session.execute(
            select(
                func.count().filter(within(c.last_active_at)),
                func.count().filter(within(c.last_booked_at)),
                func.count().filter(within(c.last_won_at), within(c.last_active_at)),
            ).where(c.tenant_id == tenant_id)
        )
        return tuple(found.one())


async def assert_exact(uow_factory: Any, tenant_id: str, context: str) -> set[str]:
    """Every window and mode equal to the per-row figures; the figures seen non-zero (by mode),
    and the period's lead counts a lead dated ahead of the window changed."""
    assert await lead_differences(uow_factory(), tenant_id) == [], context
    assert await cohort_differences(uow_factory(), tenant_id) == [], context
    assert await rollup_differences(uow_factory(), tenant_id) == [], context
    async with uow_factory() as uow:
        table = RateTable(await uow.reporting.rates(tenant_id))
    seen = set()
    for days, currency in zip(DAYS, CURRENCIES, strict=True):
        for mode in FunnelMode:
            report = await funnel_report(
                uow_factory(), tenant_id, days=days, mode=mode, currency=currency
            )
            since, until = report.window.since, report.window.until
            found = await per_row(uow_factory(), tenant_id, mode, since, until)
            expected = (
                found.counts,
                deal_by_deal(found.pipeline, currency, table),
                deal_by_deal(found.won, currency, table),
            )
            assert _figures(report) == expected, (context, days, mode)
            counts = asdict(report.counts)
            # Counts, not the numeric of a database sum (a Fraction of them fails).
            assert {type(n) for n in counts.values()} == {int}, counts
            seen |= {f"{mode} {name}" for name, n in counts.items() if n}
            seen |= {f"{mode} pipeline_value"} if report.pipeline_minor else set()
            seen |= {f"{mode} won_value"} if report.won_minor else set()
            if mode is FunnelMode.PERIOD:
                latest = await _from_latest(uow_factory(), tenant_id, since, until)
                names = ("total_leads", "leads_with_meeting", "leads_won")
                seen |= {
                    f"ahead {name}"
                    for name, n in zip(names, latest, strict=True)
                    if n != counts[name]
                }
    return seen


RATES = [  # from before any deal's dates (the model's are within 560 days), one changed since
    CurrencyRate("EUR", "USD", Decimal("1.0837"), date(2020, 1, 1)),
    CurrencyRate("EUR", "USD", Decimal("1.1111"), (datetime.now(UTC) - timedelta(days=100)).date()),
    CurrencyRate("USD", "JPY", Decimal("151.37"), date(2020, 1, 1)),
    CurrencyRate("JPY", "EUR", Decimal("0.0061"), date(2020, 1, 1)),
]


async def new_world(sessions: Any, uow_factory: Any, prefix: str, rng: random.Random) -> World:
    tenant = await seed_tenant(sessions, tenants, prefix=prefix)
    await put_currency_rates(uow_factory(), tenant.id, RATES)
    mailbox = f"mail-{uuid.uuid4().hex[:6]}.com"
    domains = [f"co{n}-{uuid.uuid4().hex[:6]}.com" for n in range(3)] + [mailbox, "gmail.com"]
    people = [f"p{n}@{rng.choice(domains)}" for n in range(10)]
    return World(tenant, mailbox, people)


async def drift(sessions, statement: Update) -> list[Any]:  # type: ignore[no-untyped-def]
    """Runs `statement` (an UPDATE ... RETURNING of a kept fact) with triggers off, which would
    put the fact back at once, and commits: the rows it moved."""
    async with sessions() as session:
        await session.execute(text("SET LOCAL session_replication_role = replica"))
        moved = list((await session.execute(statement)).scalars())
        await session.commit()
    return moved


async def test_random_sequences_keep_the_funnel_exact(sessions, uow_factory) -> None:
    kinds, seen = set(), set()
    for seed in (1, 2, 3):
        rng = random.Random(seed)
        worlds = [await new_world(sessions, uow_factory, p, rng) for p in ("fa", "fb")]
        now = datetime.now(UTC)
        for step in range(40):
            world = rng.choice(worlds)
            kinds.add(await _step(rng, world, uow_factory, now))
            for checked in worlds:
                context = f"seed {seed} step {step}"
                seen |= await assert_exact(uow_factory, checked.tenant.id, context)
    assert kinds == {"touch", "book", "attend", "deal", "close", "personal"}
    # The sequences reach every figure of both modes (not a comparison of zeros), and leads
    # whose latest activity, booking or won close is after the window (decided from the rows).
    for mode in FunnelMode:
        figures = ("leads_with_meeting", "leads_won", "meetings_showed", "meetings_no_show")
        figures += ("deals_won", "deals_lost", "pipeline_value", "won_value")
        assert {f"{mode} {name}" for name in figures} <= seen, mode
    assert {"ahead total_leads", "ahead leads_with_meeting", "ahead leads_won"} <= seen


async def test_the_endpoint_and_check_summaries(client, sessions, uow_factory) -> None:
    rng = random.Random(7)
    world = await new_world(sessions, uow_factory, "fc", rng)
    now = datetime.now(UTC)
    for _ in range(30):
        await _step(rng, world, uow_factory, now)
    tenant_id = world.tenant.id
    for days in DAYS:
        for mode in FunnelMode:
            params = {"days": days, "mode": mode.value, "currency": "USD"}
            answer = await client.get(
                "/v1/reports/funnel", params=params, headers=world.tenant.auth
            )
            assert answer.status_code == 200, answer.text
            body = answer.json()
            since = datetime.fromisoformat(body["window"]["since"])
            until = datetime.fromisoformat(body["window"]["until"])
            expected = await per_row(uow_factory(), tenant_id, mode, since, until)
            counts = asdict(expected.counts)
            terms = body["rate_terms"]
            answered = {
                **{name: body[name] for name in counts if name in body},
                "leads_with_meeting": terms["lead_to_meeting_rate"]["numerator"],
                "leads_won": terms["lead_to_win_rate"]["numerator"],
            }
            assert answered == counts, (days, mode)

    command = ["check-summaries", "--tenant", tenant_id]
    result = await asyncio.to_thread(CliRunner().invoke, cli, command)
    assert result.exit_code == 0, result.output
    assert "0 difference(s)" in result.output
    async with sessions() as session:  # type: ignore[operator]
        drifted = (
            await session.execute(
                update(leads)
                .where(leads.c.tenant_id == tenant_id)
                .where(
                    leads.c.email
                    == (
                        await session.scalar(
                            text("SELECT min(email) FROM leads WHERE tenant_id = :t"),
                            {"t": tenant_id},
                        )
                    )
                )
                .values(
                    won_since_first_seen=~leads.c.won_since_first_seen,
                    last_active_at=leads.c.last_active_at + timedelta(days=1),
                )
                .returning(leads.c.email)
            )
        ).scalar_one()
        await session.commit()
    result = await asyncio.to_thread(CliRunner().invoke, cli, command)
    assert result.exit_code == 1, result.output
    assert f"{drifted}: won_since_first_seen kept" in result.output
    assert "last_active_at kept" in result.output
    # The row moved a day without lead_days following: the day it left and the day it went to
    # (and its first sighting's, unless one of those, its won-since counter having flipped).
    listed = differences(result.output)
    assert len(marked(listed, " lead_days ")) in (2, 3), result.output
    assert len(listed) == 1 + len(marked(listed, " lead_days "))
    d = deal_states.c
    moved = await drift(
        sessions,
        update(deal_states)
        .where(d.tenant_id == tenant_id, d.cohort_seen_at.is_not(None))
        .values(cohort_seen_at=d.cohort_seen_at - timedelta(days=1))
        .returning(d.deal_id),
    )
    assert moved
    result = await asyncio.to_thread(CliRunner().invoke, cli, command)
    assert result.exit_code == 1, result.output
    assert f"deal {moved[0]}: cohort_seen_at kept" in result.output
    before, listed = listed, differences(result.output)
    assert len(marked(listed, " deal ")) == len(moved)
    # Their facts moved a day without deal_cohort_days following (triggers were off).
    assert marked(listed, " deal_cohort_days ")
    assert len(listed) == len(before) + len(moved) + len(marked(listed, " deal_cohort_days "))
    b = meeting_bookings.c
    (booking,) = await drift(
        sessions,
        update(meeting_bookings)
        .where(
            b.meeting_id
            == select(b.meeting_id)
            .where(b.tenant_id == tenant_id, b.cohort_seen_at.is_not(None))
            .limit(1)
            .scalar_subquery()
        )
        .values(
            cohort_seen_at=b.cohort_seen_at + timedelta(days=1),
            showed_up=func.coalesce(~b.showed_up, True),
        )
        .returning(b.meeting_id),
    )
    result = await asyncio.to_thread(CliRunner().invoke, cli, command)
    assert f"meeting {booking}: cohort_seen_at kept" in result.output
    assert f"meeting {booking}: showed_up kept" in result.output
    before, listed = listed, differences(result.output)
    assert len(marked(listed, " meeting_cohort_days ")) == 2  # the day it left, the day it went to
    assert len(listed) == len(before) + 2 + 2
    async with sessions() as session:  # a day of deal_days and one of meeting_days drift
        await session.execute(
            text("UPDATE deal_days SET lost = lost + 1 WHERE tenant_id = :t AND day ="
                 " (SELECT min(day) FROM deal_days WHERE tenant_id = :t)"),
            {"t": tenant_id},
        )  # fmt: skip
        await session.execute(
            text("UPDATE meeting_days SET booked = booked + 1 WHERE tenant_id = :t AND day ="
                 " (SELECT max(day) FROM meeting_days WHERE tenant_id = :t)"),
            {"t": tenant_id},
        )  # fmt: skip
        await session.commit()
    result = await asyncio.to_thread(CliRunner().invoke, cli, command)
    before, listed = listed, differences(result.output)
    assert len(listed) == len(before) + 2
    assert f"{tenant_id} deal_days " in result.output
    assert f"{tenant_id} meeting_days " in result.output


def differences(output: str) -> list[str]:
    """The differences check-summaries listed, its count line checked against them."""
    *listed, summary = output.strip().splitlines()
    assert summary == f"{len(listed)} difference(s)", output
    return listed


def marked(lines: list[str], marker: str) -> list[str]:
    return [line for line in lines if marker in line]


async def test_cohort_leads_are_a_range_of_the_first_seen_index(sessions, uow_factory) -> None:
    """At a few thousand leads: the cohort's lead counts are a range of ix_leads_first_seen,
    never a scan of every lead (custom and generic plans). Its meetings and deals are ranges of
    their own cohort facts (test_funnel_reads.py)."""
    tenant = await seed_tenant(sessions, tenants, prefix="fp")
    now = datetime.now(UTC)
    fill = (  # the test's own tenant id
        "INSERT INTO leads (tenant_id, email, status, first_seen_at, touches, meetings,"  # noqa: S608
        " updated_at, won_since_first_seen, deal_ids, last_active_at)"
        f" SELECT '{tenant.id}', 'p' || n || '@x.com', 'touched', now() - n * interval '1 hour',"
        " 1, n % 3, now(), n % 5 = 0,"
        " CASE WHEN n % 4 = 0 THEN ARRAY[gen_random_uuid()] ELSE '{}' END,"
        " now() - n * interval '1 hour'"
        " FROM generate_series(1, 5000) n"
    )
    query = cohort_leads_query(tenant.id, now - timedelta(days=7), now)
    engine = sessions.kw["bind"]
    async with analyzed(engine, "leads", fill, tenant.id):
        for mode in MODES:
            async with sessions() as session:
                plan = await prepared_plan(session, query, mode)
            assert "Seq Scan on leads" not in plan, (mode, plan)
            # Index-only when VACUUM could mark the pages all-visible; an index or bitmap scan
            # of the same index when another session's open transaction kept it from doing so
            # (as in a full test run): the range read is what matters.
            assert "ix_leads_first_seen" in plan, (mode, plan)
