"""report_daily and report_monthly, the per-day and per-month rollups the channel report reads
for the days and months wholly inside its window: kept equal to report_credits through every
write (runs stored, superseded, voided, deleted, truncated), and a window's sums from them equal
the current runs read one by one."""

import asyncio
import random
import uuid
from datetime import UTC, date, datetime, time, timedelta
from fractions import Fraction

from alembic import command
from sqlalchemy import Table, delete, func, select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine

from attribution.db.tables import (
    attribution_runs,
    report_credits,
    report_daily,
    report_monthly,
    tenants,
)
from attribution.deal_events import record_deal_events
from attribution.domain.credit_bounds import SCALE, CreditBounds
from attribution.domain.currency import RateTable, convert_runs
from attribution.domain.reports import channel_report
from attribution.migrations.revisions import revision_module
from attribution.reporting import Window, channels_report, current_sums, settle_channels
from dealflow_libs.migrate import alembic_config, upgrade
from dealflow_libs.settings import asyncpg_url
from dealflow_libs.testing.scratch import scratch_database
from dealflow_libs.testing.tenants import TenantCredentials, seed_tenant
from dealflow_libs.utc_days import whole_days
from dealflow_schemas.deals import DealReopened, DealStatus, DealValueChanged, DealWon

from .factories import WON_AT, deal_event

DEALS = "attribution-deals"
MODELS = ("linear", "time_decay", "first_touch", "position_based")
KINDS = ("call", "email_replied", "ad_click", "web_visit", "referral", "sms", "event")


Rolled = tuple[str, str, str, date, str, int, int, int, int]


async def rollup_rows(
    session: AsyncSession, tenant_id: str | None, rollup: Table = report_daily
) -> list[Rolled]:
    d = rollup.c
    period = d.close_month if rollup is report_monthly else d.close_day
    query = select(
        d.tenant_id, d.model, d.currency, period, d.channel, d.deals, d.minor_units,
        d.weight_floor, d.weight_inexact,
    )  # fmt: skip
    if tenant_id is not None:
        query = query.where(d.tenant_id == tenant_id)
    return sorted((*key, int(n), int(m), int(w), int(i)) for *key, n, m, w, i in
                  await session.execute(query))  # fmt: skip


async def monthly_rows(session: AsyncSession, tenant_id: str | None) -> list[Rolled]:
    return await rollup_rows(session, tenant_id, report_monthly)


async def credits_summed(session: AsyncSession, tenant_id: str | None) -> list[Rolled]:
    """report_credits summed per day and channel here, the weights bounded by
    `CreditBounds.of` (so the database's arithmetic is checked against Python's)."""
    p = report_credits.c
    day = func.date(func.timezone("UTC", p.conversion_at))
    query = select(p.tenant_id, p.model, p.currency, day, p.channel, p.minor_units,
                   p.weight_num, p.weight_den)  # fmt: skip
    if tenant_id is not None:
        query = query.where(p.tenant_id == tenant_id)
    sums: dict[tuple[str, str, str, date, str], tuple[int, int, CreditBounds]] = {}
    for *key, minor, num, den in await session.execute(query):
        deals, value, bounds = sums.get(tuple(key), (0, 0, CreditBounds()))  # type: ignore[arg-type]
        weight = CreditBounds.of(Fraction(int(num), int(den)))
        sums[tuple(key)] = (deals + 1, value + minor, bounds + weight)  # type: ignore[index]
    return sorted(
        (*key, deals, value, bounds.floor, bounds.inexact)
        for key, (deals, value, bounds) in sums.items()
    )


def by_month(days: list[Rolled]) -> list[Rolled]:
    """Per-day rows added up per month (keyed by its first day)."""
    sums: dict[tuple[str, str, str, date, str], list[int]] = {}
    for tenant, model, currency, day, channel, *figures in days:
        key = (tenant, model, currency, day.replace(day=1), channel)
        sums[key] = [a + b for a, b in zip(sums.get(key, [0, 0, 0, 0]), figures, strict=True)]
    return sorted((*key, *figures) for key, figures in sums.items())  # type: ignore[misc]


async def assert_rollups_equal_credits(session: AsyncSession, tenant_id: str | None) -> None:
    summed = await credits_summed(session, tenant_id)
    assert await rollup_rows(session, tenant_id) == summed
    assert await monthly_rows(session, tenant_id) == by_month(summed)


async def assert_rollup_equals_credits(sessions, tenant_id: str) -> None:  # type: ignore[no-untyped-def]
    async with sessions() as session:
        await assert_rollups_equal_credits(session, tenant_id)
        assert await rollup_rows(session, tenant_id)  # the scenario keeps some current runs


async def won(  # type: ignore[no-untyped-def]
    client, tenant: TenantCredentials, uow_factory, rng: random.Random, closed_at: datetime
) -> uuid.UUID:
    """A deal won at `closed_at` after one to five touches in random channels."""
    domain = f"{uuid.uuid4().hex[:8]}.com"
    body = {
        "touches": [
            {
                "touch_id": f"{domain}-{i}",
                "person_email": f"ana@{domain}",
                "occurred_at": (closed_at - timedelta(hours=7 * i + 1)).isoformat(),
                "activity_type": rng.choice(KINDS),
            }
            for i in range(rng.randint(1, 5))
        ]
    }
    assert (await client.post("/v1/touches", json=body, headers=tenant.auth)).status_code == 200
    deal_id = uuid.uuid4()
    value = f"{rng.randint(1, 500_000) / 100:.2f}"
    currency = rng.choice(("USD", "EUR"))
    event = deal_event(
        DealWon, tenant.id, deal_id, domain, value=value, currency=currency, closed_at=closed_at
    )
    await record_deal_events(uow_factory(DEALS), [(str(uuid.uuid4()), event)])
    return deal_id


async def change(uow_factory, tenant_id: str, deal_id: uuid.UUID, kind, **extra) -> None:  # type: ignore[no-untyped-def]
    event = deal_event(kind, tenant_id, deal_id, None, **extra)
    await record_deal_events(uow_factory(DEALS), [(str(uuid.uuid4()), event)])


async def window_rows(uow_factory, tenant_id, model, currency, since, until, table):  # type: ignore[no-untyped-def]
    """The channel rows of [since, until] in `currency` both ways: summed by the database (the
    rollup, the partial days' credits, the other currency converted there), and from the
    current runs read one by one and converted here."""
    window = Window(since, until)
    async with uow_factory() as uow:
        sums = (await current_sums(uow, tenant_id, [model], window, currency, table))[model]
        await settle_channels(uow, sums, tenant_id, model, window)
        runs = await uow.reporting.run_totals(
            tenant_id, [model], since=since, until=until, as_of=None
        )
    return sums.rows(), channel_report(convert_runs(runs, currency, table))


class TestReportDaily:
    async def test_the_rollup_sums_equal_the_runs_read_one_by_one(
        self, client, sessions, uow_factory
    ) -> None:
        rng = random.Random(9)
        tenant = await seed_tenant(sessions, tenants, prefix="d", currency="USD")
        body = {"rates": [{"base": "EUR", "quote": "USD", "rate": "1.0837",
                           "effective_from": "2020-01-01"},
                          {"base": "EUR", "quote": "USD", "rate": "1.1113",
                           "effective_from": (datetime.now(UTC) - timedelta(days=3)).date()
                           .isoformat()}]}  # fmt: skip
        answer = await client.put("/v1/settings/currency-rates", json=body, headers=tenant.auth)
        assert answer.status_code == 200, answer.text
        now = datetime.now(UTC)
        today = datetime.combine(now.date(), time(), tzinfo=UTC)
        # Closes on whole days, on the partial days at a window's ends, at midnight exactly, and
        # a microsecond either side of it.
        closes = [
            now - timedelta(minutes=5),
            today,
            today - timedelta(microseconds=1),
            today - timedelta(days=1, hours=3),
            today - timedelta(days=2),
            today - timedelta(days=4, hours=20),
            now - timedelta(days=6, minutes=-30),
            now - timedelta(days=6, minutes=30),
            today - timedelta(days=9, microseconds=-1),
            # Other months: whole ones inside long windows, and the first of a month.
            today - timedelta(days=41, hours=5),
            today - timedelta(days=77),
            today.replace(day=1) - timedelta(days=31),
            now - timedelta(days=400),
        ]
        deals = [await won(client, tenant, uow_factory, rng, at) for at in closes]
        deals += [await won(client, tenant, uow_factory, rng, at) for at in closes[1:6]]
        await assert_rollup_equals_credits(sessions, tenant.id)

        # Supersede (a value change and a currency change), void (reopen), win again, delete.
        changed, switched, reopened, rewon, deleted = rng.sample(deals, 5)
        await change(uow_factory, tenant.id, changed, DealValueChanged, value="4321.09")
        await change(uow_factory, tenant.id, switched, DealValueChanged, value="77.70",
                     currency="EUR")  # fmt: skip
        for deal_id in (reopened, rewon):
            await change(uow_factory, tenant.id, deal_id, DealReopened, status=DealStatus.ACTIVE,
                         from_status=DealStatus.WON)  # fmt: skip
        await assert_rollup_equals_credits(sessions, tenant.id)
        await change(uow_factory, tenant.id, rewon, DealWon, value="12.34", closed_at=closes[2])
        async with sessions() as session, session.begin():
            await session.execute(
                delete(attribution_runs).where(attribution_runs.c.deal_id == deleted)
            )
        await assert_rollup_equals_credits(sessions, tenant.id)

        async with uow_factory() as uow:
            table = RateTable(await uow.reporting.rates(tenant.id))
        windows = [
            (now - timedelta(days=3650), now),
            (today - timedelta(days=4), today),
            (now - timedelta(hours=2), now),  # inside a day (or two partial days)
        ]
        for _ in range(6):
            ends = sorted(now - timedelta(seconds=rng.randint(0, 11 * 86_400)) for _ in "ab")
            windows.append((ends[0], ends[1]))
        for _ in range(6):  # spanning months
            ends = sorted(now - timedelta(seconds=rng.randint(0, 420 * 86_400)) for _ in "ab")
            windows.append((ends[0], ends[1]))
        windows.append((now - timedelta(days=90), now))
        assert any(whole_days(*w) is None for w in windows)  # some windows inside one day
        assert any(whole_days(*w) is not None for w in windows)
        for model in MODELS:
            for currency in ("USD", "EUR"):
                for since, until in windows:
                    rolled, one_by_one = await window_rows(
                        uow_factory, tenant.id, model, currency, since, until, table
                    )
                    assert rolled == one_by_one, (model, currency, since, until)
            # The whole report, converted deals and all, equals history read run by run.
            later = datetime.now(UTC) + timedelta(days=1)
            summed, history = [
                await channels_report(
                    uow_factory(), tenant.id, model=model, days=3650, currency="USD", as_of=at
                )
                for at in (None, later)
            ]
            assert summed.rows == history.rows
            assert sum(r.percentage_bp or 0 for r in summed.rows) == 10_000

    async def test_updating_or_truncating_credits_runs_or_voids_keeps_the_rollup(
        self, client, sessions, uow_factory
    ) -> None:
        rng = random.Random(10)
        tenant = await seed_tenant(sessions, tenants, prefix="d", currency="USD")
        now = datetime.now(UTC)
        deals = [
            await won(client, tenant, uow_factory, rng, now - timedelta(days=d)) for d in (1, 2)
        ]
        await change(uow_factory, tenant.id, deals[0], DealReopened, status=DealStatus.ACTIVE,
                     from_status=DealStatus.WON)  # fmt: skip
        # Inside a transaction rolled back: other tests' rows stay.
        async with sessions() as session:
            await session.begin()
            before = await rollup_rows(session, tenant.id)
            await session.execute(text("TRUNCATE run_voids"))  # every void gone: reprojected
            after_voids = await rollup_rows(session, tenant.id)
            await assert_rollups_equal_credits(session, None)
            # The reopened deal counts again.
            assert sum(r[5] for r in after_voids) > sum(r[5] for r in before)
            # Nothing updates report_credits today; if something does, the rollup follows.
            await session.execute(
                text("UPDATE report_credits SET minor_units = minor_units + 1, weight_den = 7"
                     " WHERE tenant_id = :tenant"),
                {"tenant": tenant.id},
            )  # fmt: skip
            await assert_rollups_equal_credits(session, None)
            await session.execute(text("TRUNCATE attribution_runs CASCADE"))
            assert await rollup_rows(session, None) == []
            assert await monthly_rows(session, None) == []
            await session.rollback()
        await assert_rollup_equals_credits(sessions, tenant.id)


def test_the_migration_scales_weights_as_the_reports_do() -> None:
    assert revision_module("0017_report_daily_bounds.py").SCALE == SCALE


async def test_the_migration_sums_the_credits_stored_before_and_downgrades(stack) -> None:
    url = await scratch_database(stack.database_url)
    engine = create_async_engine(asyncpg_url(url))
    sessions = async_sessionmaker(engine)
    try:
        await asyncio.to_thread(upgrade, "attribution", url, "0010_meeting_attendees")
        async with engine.begin() as conn:
            for run, channel, num, den, at, currency in [
                (1, "Phone", 1, 2, WON_AT, "USD"),
                (1, "Email", 1, 2, WON_AT, "USD"),
                (2, "Phone", 1, 3, WON_AT + timedelta(hours=11, minutes=59), "USD"),
                (2, "Email", 2, 3, WON_AT + timedelta(hours=11, minutes=59), "USD"),
                (3, "Phone", 1, 1, WON_AT + timedelta(hours=12), "USD"),  # the next UTC day
                (4, "Phone", 1, 2, WON_AT, "EUR"),
                (4, "Email", 1, 2, WON_AT, "EUR"),
            ]:
                await conn.execute(
                    text(
                        "INSERT INTO report_credits (run_id, channel, tenant_id, deal_id, model,"
                        " minor_units, weight_num, weight_den, touches, value_minor, currency,"
                        " conversion_at) VALUES (:run, :channel, 't1', :run, 'linear', :minor,"
                        " :num, :den, 1, 600, :currency, :at)"
                    ),
                    {"run": uuid.UUID(int=run), "channel": channel, "minor": 600 * num // den,
                     "num": num, "den": den, "currency": currency, "at": at},
                )  # fmt: skip
        await asyncio.to_thread(upgrade, "attribution", url)
        async with sessions() as session:
            rolled = await rollup_rows(session, None)
            assert rolled == await credits_summed(session, None)
            assert len(rolled) == 5  # per day, currency and channel
            assert await monthly_rows(session, None) == by_month(rolled)  # 0023 filled it
            # One credit inexact at SCALE (1/3 and 2/3), the rest exact.
            assert sum(row[-1] for row in rolled) == 2
            # 0019 derived a report_deals row per deal from the credits stored before.
            deals = await session.execute(text("SELECT models, uniform FROM report_deals"))
            assert sorted(deals) == [(["linear"], True)] * 4
        config = alembic_config("attribution", url)
        await asyncio.to_thread(command.downgrade, config, "0016_leads_period_facts")
        async with sessions() as session:  # 0011's rollup back, a row per denominator
            denominators = await session.execute(text("SELECT weight_den FROM report_daily"))
            assert sorted(int(d) for (d,) in denominators) == [1, 2, 2, 2, 2, 3, 3]
        await asyncio.to_thread(command.downgrade, config, "0010_meeting_attendees")
        await asyncio.to_thread(upgrade, "attribution", url)
    finally:
        await engine.dispose()


async def credit(  # type: ignore[no-untyped-def]
    sessions, tenant_id: str, deal: int, model: str, channel: str, weight: Fraction, at: datetime
) -> None:
    """A current run's credit of 100 cents on a 100-cent deal, straight into report_credits (the
    rollup's triggers take it from there)."""
    async with sessions() as session, session.begin():
        await session.execute(
            text(
                "INSERT INTO report_credits (run_id, channel, tenant_id, deal_id, model,"
                " minor_units, weight_num, weight_den, touches, value_minor, currency,"
                " conversion_at) VALUES (:run, :channel, :tenant, :deal, :model, 100, :num, :den,"
                " 1, 100, 'USD', :at)"
            ),
            {"run": uuid.uuid4(), "channel": channel, "tenant": tenant_id,
             "deal": uuid.UUID(int=deal), "model": model, "num": weight.numerator,
             "den": weight.denominator, "at": at},
        )  # fmt: skip


# 1/3 + 4000003/6000000 = 1.0000005, a tie at six places that the bounds cannot decide
# (test_credit_bounds.py): these reports must sum Phone's weights exactly to answer.
TIE = (Fraction(1, 3), Fraction(4_000_003, 6_000_000))


async def test_a_channel_the_bounds_leave_undecided_is_summed_exactly(client, sessions) -> None:  # type: ignore[no-untyped-def]
    tenant = await seed_tenant(sessions, tenants, prefix="d", currency="USD")
    day = datetime.combine(datetime.now(UTC).date(), time(), tzinfo=UTC) - timedelta(days=3)
    for deal, (weight, at) in enumerate(
        zip(TIE, (day, day + timedelta(days=1)), strict=True), start=1
    ):
        for model in ("linear", "time_decay"):
            await credit(sessions, tenant.id, deal, model, "Phone", weight, at)
            await credit(sessions, tenant.id, deal, model, "Email", 1 - weight, at)
    answer = await client.get(
        "/v1/reports/channels", params={"days": 30, "model": "time_decay"}, headers=tenant.auth
    )
    assert answer.status_code == 200, answer.text
    rows = {r["channel"]: r for r in answer.json()["channels"]}
    # Exactly 1.0000005, to even; the bounds alone would have been 1.000000 or 1.000001.
    assert rows["Phone"]["credited_deals"] == "1.000000"
    assert rows["Email"]["credited_deals"] == "1.000000"  # 0.9999995 to even
    assert rows["Phone"]["avg_deal_value"] == 200  # 200 / 1.0000005
    answer = await client.get(
        "/v1/reports/compare",
        params={"days": 30, "models": "linear,time_decay"},
        headers=tenant.auth,
    )
    assert answer.status_code == 200, answer.text
    found = answer.json()
    assert found["deals"] == 2
    cells = {r["channel"]: r["models"] for r in found["channels"]}
    assert {m: cell["credited_deals"] for m, cell in cells["Phone"].items()} == {
        "linear": "1.000000", "time_decay": "1.000000",
    }  # fmt: skip
    assert cells["Email"]["time_decay"]["credited_deals"] == "1.000000"


async def test_history_counts_a_deal_by_its_latest_run_close_only(
    client, sessions, uow_factory
) -> None:  # type: ignore[no-untyped-def]
    """`as_of` reads the deals with some run closing in the window, then each one's latest run by
    then: a deal whose earlier run closed in the window but whose latest closed before it is not
    counted, and is counted in a window holding the latest close."""
    rng = random.Random(11)
    tenant = await seed_tenant(sessions, tenants, prefix="d", currency="USD")
    now = datetime.now(UTC)
    deal = await won(client, tenant, uow_factory, rng, now - timedelta(days=5))
    first_won = datetime.now(UTC)
    # The close date moved back (a value change carrying it): a new run supersedes the first,
    # which stays unvoided, closing in the 10-day window.
    await change(uow_factory, tenant.id, deal, DealValueChanged, value="10.00",
                 closed_at=now - timedelta(days=20))  # fmt: skip
    later = datetime.now(UTC)

    async def history(days: int, as_of: datetime) -> list[tuple[str, int]]:
        async with uow_factory() as uow:
            runs = await uow.reporting.run_totals(
                tenant.id, ["linear"], since=as_of - timedelta(days=days), until=as_of, as_of=as_of
            )
        return [(run.deal_id, run.value_minor) for run in runs]

    assert await history(10, later) == []  # the latest closed 20 days ago
    assert await history(30, later) == [(str(deal), 1000)]
    (counted,) = await history(10, first_won)  # then the first run counted
    assert counted[0] == str(deal)
