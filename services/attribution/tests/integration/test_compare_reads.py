"""The model comparison from each model's totals less the deals it must not compare
(report_deals, migration 0019; its whole days from report_deal_days, 0027), against
`compare_models` over the same runs built here: random deals with runs under random models, some
disagreeing on value, currency or close, in two currencies, inside and outside the window,
superseded and removed."""

import random
import uuid
from datetime import UTC, datetime, timedelta
from fractions import Fraction

from sqlalchemy import delete, select, text

from attribution.db.tables import report_credits, report_deals, tenants
from attribution.domain.compare import compare_models
from attribution.domain.currency import RateTable, convert_runs
from attribution.domain.money import allocate
from attribution.domain.recorded import RunTotals
from attribution.domain.run import ChannelCredit
from attribution.reporting import compare_report, rollup_differences
from dealflow_libs.testing.tenants import seed_tenant

MODELS = ("linear", "time_decay", "first_touch")
CHANNELS = ("Direct", "Email", "Paid Search", "Phone", "Referral")


def random_run(
    rng: random.Random, deal_id: uuid.UUID, model: str, value: int, currency: str, at: datetime
) -> RunTotals:
    """A run whose channels' weights are exact fractions summing to 1 and whose minor units
    split the value by them (channels in code point order, as stored runs are)."""
    names = sorted(rng.sample(CHANNELS, rng.randint(1, 3)))
    raw = [rng.randint(1, 7) for _ in names]
    total = sum(raw)
    if model == "time_decay":  # long, distinct denominators, as decay weights have
        raw = [r * (2**64 + rng.getrandbits(40)) for r in raw]
        total = sum(raw)
    parts = allocate(value, raw)
    channels = []
    for name, weight, part in zip(names, raw, parts, strict=True):
        share = Fraction(weight, total)
        channels.append(ChannelCredit(name, part, share.numerator, share.denominator, 1))
    return RunTotals(str(deal_id), model, value, currency, at, tuple(channels))


async def store(sessions, tenant_id: str, runs: list[RunTotals]) -> None:  # type: ignore[no-untyped-def]
    """The runs' report_credits rows (a deal and model's previous rows replaced), in one
    statement per run as the projection writes them."""
    async with sessions() as session, session.begin():
        for run in runs:
            p = report_credits.c
            await session.execute(
                delete(report_credits).where(
                    p.tenant_id == tenant_id,
                    p.deal_id == uuid.UUID(run.deal_id),
                    p.model == run.model,
                )
            )
            run_id = uuid.uuid4()
            await session.execute(
                report_credits.insert(),
                [
                    {"run_id": run_id, "channel": c.channel, "tenant_id": tenant_id,
                     "deal_id": uuid.UUID(run.deal_id), "model": run.model,
                     "minor_units": c.minor_units, "weight_num": c.numerator,
                     "weight_den": c.total, "touches": 1, "value_minor": run.value_minor,
                     "currency": run.currency, "conversion_at": run.conversion_at}
                    for c in run.channels
                ],
            )  # fmt: skip


async def test_the_comparison_equals_compare_models_over_the_same_runs(
    client, sessions, uow_factory
) -> None:  # type: ignore[no-untyped-def]
    rng = random.Random(19)
    tenant = await seed_tenant(sessions, tenants, prefix="c", currency="USD")
    body = {"rates": [{"base": "EUR", "quote": "USD", "rate": "1.0837",
                       "effective_from": "2020-01-01"}]}  # fmt: skip
    answer = await client.put("/v1/settings/currency-rates", json=body, headers=tenant.auth)
    assert answer.status_code == 200, answer.text
    now = datetime.now(UTC)
    current: dict[tuple[str, str], RunTotals] = {}
    for _ in range(60):
        deal_id = uuid.uuid4()
        # Inside the 10-day window or outside it, never within an hour of its start.
        at = now - timedelta(days=rng.choice((1, 3, 8, 12, 20)), hours=rng.randint(1, 20))
        value, currency = rng.randint(0, 900_000), rng.choice(("USD", "USD", "EUR"))
        runs = []
        for model in rng.sample(MODELS, rng.randint(1, 3)):
            deal_value, deal_currency, deal_at = value, currency, at
            odd = rng.random()
            if odd < 0.1:
                deal_value += 1  # disagrees on value
            elif odd < 0.15:
                deal_currency = "EUR" if currency == "USD" else "USD"
            elif odd < 0.2:
                deal_at = at + timedelta(days=rng.choice((0.5, 9)))  # maybe out of the window
            runs.append(random_run(rng, deal_id, model, deal_value, deal_currency, deal_at))
        await store(sessions, tenant.id, runs)
        current.update({(r.deal_id, r.model): r for r in runs})
    # Superseded (a new run for the same deal and model, now and then disagreeing or agreeing
    # again with the deal's other runs) and removed runs.
    for run in rng.sample(list(current.values()), 30):
        others = [r for (deal, _), r in current.items() if deal == run.deal_id and r != run]
        like = rng.choice([run, *others]) if rng.random() < 0.7 else run
        again = random_run(rng, uuid.UUID(run.deal_id), run.model,
                           like.value_minor + rng.choice((0, 0, 0, 5)), like.currency,
                           like.conversion_at)  # fmt: skip
        await store(sessions, tenant.id, [again])
        current[again.deal_id, again.model] = again
    for run in rng.sample(list(current.values()), 12):
        async with sessions() as session, session.begin():
            p = report_credits.c
            await session.execute(
                delete(report_credits).where(
                    p.deal_id == uuid.UUID(run.deal_id), p.model == run.model
                )
            )
        del current[run.deal_id, run.model]

    async with sessions() as session:  # report_deals agrees with report_credits
        d = report_deals.c
        kept = {
            (str(deal), tuple(models), uniform)
            for deal, models, uniform in await session.execute(
                select(d.deal_id, d.models, d.uniform).where(d.tenant_id == tenant.id)
            )
        }
    expected = set()
    for deal_id in {deal for deal, _ in current}:
        runs = [r for (deal, _), r in current.items() if deal == deal_id]
        signatures = {(r.value_minor, r.currency, r.conversion_at) for r in runs}
        expected.add((deal_id, tuple(sorted(r.model for r in runs)), len(signatures) == 1))
    assert kept == expected
    assert any(not uniform for _, _, uniform in kept)
    # report_deal_days agrees with report_deals (what check-summaries compares).
    assert await rollup_differences(uow_factory(), tenant.id) == []

    table = RateTable(await rates(uow_factory, tenant.id))
    compared = []
    for models in (list(MODELS), ["time_decay", "linear"], ["first_touch"], ["linear", "shapley"]):
        found = await compare_report(
            uow_factory(), tenant.id, models=models, days=10, currency="USD"
        )
        since = found.window.since
        in_window = [
            r for r in current.values()
            if r.model in models and since <= r.conversion_at <= found.window.until
        ]  # fmt: skip
        reference = compare_models(convert_runs(in_window, "USD", table), models)
        assert found.comparison == reference, models
        compared.append(found.comparison)
    # The random runs reached every path: deals compared, lacking a model, disagreeing.
    assert all(c.deals for c in compared[:3])
    assert any(c.inconsistent_deals for c in compared)
    assert compared[-1].missing_runs["shapley"] > 0  # a model with no run at all


async def rates(uow_factory, tenant_id: str):  # type: ignore[no-untyped-def]
    async with uow_factory() as uow:
        return await uow.reporting.rates(tenant_id)


async def test_truncating_credits_empties_report_deals(client, sessions) -> None:  # type: ignore[no-untyped-def]
    tenant = await seed_tenant(sessions, tenants, prefix="c", currency="USD")
    rng = random.Random(20)
    run = random_run(rng, uuid.uuid4(), "linear", 100, "USD", datetime.now(UTC))
    await store(sessions, tenant.id, [run])
    async with sessions() as session:
        await session.begin()
        count = text("SELECT count(*) FROM report_deals")
        assert await session.scalar(count)
        await session.execute(text("TRUNCATE report_credits"))
        assert await session.scalar(count) == 0
        await session.rollback()


async def test_a_run_removed_in_part_keeps_its_model(client, sessions) -> None:  # type: ignore[no-untyped-def]
    """Credits leave a run's channels together today; if one leaves alone, the deal keeps the
    model until its last channel goes."""
    tenant = await seed_tenant(sessions, tenants, prefix="c", currency="USD")
    rng = random.Random(21)
    deal = uuid.uuid4()
    runs = [random_run(rng, deal, model, 100, "USD", datetime.now(UTC)) for model in MODELS]
    while len(runs[0].channels) < 2:
        runs[0] = random_run(rng, deal, "linear", 100, "USD", runs[0].conversion_at)
    await store(sessions, tenant.id, runs)
    p, d = report_credits.c, report_deals.c

    async def models() -> list[str] | None:
        async with sessions() as session:
            found = await session.scalar(select(d.models).where(d.deal_id == deal))
            return None if found is None else sorted(found)

    assert await models() == sorted(MODELS)
    for channel in runs[0].channels:
        async with sessions() as session, session.begin():
            await session.execute(
                delete(report_credits).where(
                    p.deal_id == deal, p.model == "linear", p.channel == channel.channel
                )
            )
        left = sorted(MODELS) if channel != runs[0].channels[-1] else ["first_touch", "time_decay"]
        assert await models() == left
    async with sessions() as session, session.begin():
        await session.execute(delete(report_credits).where(p.deal_id == deal))
    assert await models() is None
