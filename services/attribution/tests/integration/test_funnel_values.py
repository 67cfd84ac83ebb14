"""The cohort funnel's values, counted and grouped by the database: deals in other currencies
converted each at its own rate date and rounded one by one (alike deals share one conversion,
never a rounded sum), a missing rate a 422 naming every pair and date, a cancelled deal needing
no rate, and a currency without minor unit never summed before rounding."""

import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from attribution.db.tables import tenants
from attribution.deal_events import record_deal_events
from attribution.domain.currency import CurrencyRate
from attribution.reporting import put_currency_rates
from attribution.use_cases import record_touches
from dealflow_libs.testing.tenants import TenantCredentials, seed_tenant
from dealflow_schemas.attribution import TouchIn
from dealflow_schemas.deals import (
    DealCancelled,
    DealCreated,
    DealEvent,
    DealLost,
    DealStatus,
    DealWon,
    LostReason,
)

from .factories import deal_event

DEALS = "attribution-deals"
NOW = datetime.now(UTC)


async def lead_with_deals(
    uow_factory: Any,
    tenant: TenantCredentials,
    deals: list[tuple[type[DealEvent], str, str, float]],
) -> None:
    """A lead first seen 20 days ago at a new company, whose deals (kind, value, currency, closed
    days ago) were created 15 days ago: the cohort of the last 30 days follows them all."""
    domain = f"{uuid.uuid4().hex[:8]}.com"
    touch = TouchIn(
        touch_id=uuid.uuid4().hex,
        person_email=f"ana@{domain}",
        occurred_at=NOW - timedelta(days=20),
        activity_type="call",
    )
    await record_touches(uow_factory(), tenant.id, [touch], "api")
    status = {
        DealWon: DealStatus.WON,
        DealLost: DealStatus.LOST,
        DealCancelled: DealStatus.CANCELLED,
    }
    for kind, value, currency, closed in deals:
        extra = {"reason": LostReason.NO_BUDGET} if kind is DealLost else {}
        event = deal_event(
            kind,
            tenant.id,
            uuid.uuid4(),
            domain,
            status=status.get(kind, DealStatus.ACTIVE),
            value=value,
            currency=currency,
            created_at=NOW - timedelta(days=15),
            closed_at=NOW - timedelta(days=closed),
            **extra,
        )
        await record_deal_events(uow_factory(DEALS), [(str(uuid.uuid4()), event)])


async def cohort(client: Any, tenant: TenantCredentials, currency: str) -> Any:
    params = {"days": 30, "mode": "cohort", "currency": currency}
    return await client.get("/v1/reports/funnel", params=params, headers=tenant.auth)


def day(days_ago: float) -> date:
    return (NOW - timedelta(days=days_ago)).date()


async def test_other_currencies_convert_deal_by_deal_at_their_dates(
    client, sessions, uow_factory
) -> None:
    tenant = await seed_tenant(sessions, tenants, prefix="fv", currency="USD")
    await lead_with_deals(
        uow_factory,
        tenant,
        [
            *[(DealWon, "0.01", "EUR", 3)] * 3,  # alike: one group of three
            (DealWon, "0.01", "EUR", 2),  # the same value on a later day, at its own rate
            (DealCreated, "1000.00", "USD", 0),
            (DealWon, "333.33", "USD", 1),
            (DealLost, "50.00", "USD", 1),
            (DealCreated, "1500.50", "JPY", 0),  # open: at its creation date
            (DealCancelled, "99.00", "GBP", 0),  # out of the pipeline: no rate wanted
        ],
    )
    missing = await cohort(client, tenant, "USD")
    assert missing.status_code == 422, missing.text
    assert missing.json()["missing"] == [
        {"base": "JPY", "quote": "USD", "date": day(15).isoformat()},
        {"base": "EUR", "quote": "USD", "date": day(3).isoformat()},
        {"base": "EUR", "quote": "USD", "date": day(2).isoformat()},
    ]
    assert missing.json()["message"] == (
        f"no JPY->USD rate on or before {day(15).isoformat()}; "
        f"no EUR->USD rate on or before {day(3).isoformat()}; "
        f"no EUR->USD rate on or before {day(2).isoformat()}"
    )

    rates = [
        CurrencyRate("EUR", "USD", Decimal("1.5"), date(2020, 1, 1)),
        CurrencyRate("EUR", "USD", Decimal("2.5"), day(2)),
        CurrencyRate("USD", "JPY", Decimal("150"), date(2020, 1, 1)),  # its inverse serves
    ]
    await put_currency_rates(uow_factory(), tenant.id, rates)
    answer = await cohort(client, tenant, "USD")
    assert answer.status_code == 200, answer.text
    body = answer.json()
    counts = ("total_leads", "deals_created", "deals_won", "deals_lost")
    assert [body[name] for name in counts] == [1, 9, 5, 1]
    # 0.01 EUR at 1.5 is 1.5 cents, 2 half to even, three times (not 4.5 summed, rounded to 4);
    # at 2.5 it is 2.5, 2 again; 1,500.50 JPY is 1,500 yen, 1,000 cents at 1/150.
    eur = 3 * 2 + 2
    assert body["total_won_value"] == eur + 33_333
    assert body["total_pipeline_value"] == eur + 100_000 + 33_333 + 5_000 + 1_000

    in_eur = await cohort(client, tenant, "EUR")  # no USD->EUR row: EUR->USD's inverse
    assert in_eur.status_code == 422, in_eur.text
    assert {m["base"] for m in in_eur.json()["missing"]} == {"JPY"}


async def test_a_currency_without_minor_unit_rounds_each_deal(
    client, sessions, uow_factory
) -> None:
    tenant = await seed_tenant(sessions, tenants, prefix="fy", currency="JPY")
    await lead_with_deals(
        uow_factory,
        tenant,
        [
            (DealWon, "1500.50", "JPY", 1),
            (DealWon, "1500.50", "JPY", 1),
            (DealWon, "0.50", "JPY", 1),
        ],
    )
    answer = await cohort(client, tenant, "JPY")
    assert answer.status_code == 200, answer.text
    # Each half yen rounds to even (1,500 and 0), never the sum (3,001.50 -> 3,002).
    assert (answer.json()["total_won_value"], answer.json()["deals_won"]) == (3_000, 3)


async def test_a_deal_created_ahead_counts_by_any_cohort_lead_first_seen_before_it(
    client: Any, sessions: Any, uow_factory: Any
) -> None:
    """A deal created 10 days after now at a company whose leads were first seen 5 days ago (in
    the window) and 3 days after now (after it): the deal's latest first-seen lead up to its
    creation is the one after the window, yet the other one, in it, puts it in the cohort."""
    tenant = await seed_tenant(sessions, tenants, prefix="fv", currency="USD")
    domain = f"{uuid.uuid4().hex[:8]}.com"
    touches = [
        TouchIn(touch_id=uuid.uuid4().hex, person_email=f"{name}@{domain}",
                occurred_at=NOW + timedelta(days=days), activity_type="call")
        for name, days in (("ana", -5), ("bob", 3))
    ]  # fmt: skip
    await record_touches(uow_factory(), tenant.id, touches, "api")
    event = deal_event(DealCreated, tenant.id, uuid.uuid4(), domain, status=DealStatus.ACTIVE,
                       value="250.00", created_at=NOW + timedelta(days=10))  # fmt: skip
    await record_deal_events(uow_factory(DEALS), [(str(uuid.uuid4()), event)])
    answer = await cohort(client, tenant, "USD")
    assert answer.status_code == 200, answer.text
    report = answer.json()
    assert (report["total_leads"], report["deals_created"]) == (1, 1)
    assert report["total_pipeline_value"] == 25_000
