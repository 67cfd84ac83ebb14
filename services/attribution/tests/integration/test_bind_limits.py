"""Lookups and writes over more values than asyncpg's 32,767 bind parameters: each binds one
array (or runs as executemany), so big tenants get answers, not a 503 their clients retry."""

import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import text

from attribution.api.currency import MAX_RATES
from attribution.domain.currency import CurrencyRate
from attribution.domain.funnel import FunnelMode

MANY = 33_000
NOW = datetime.now(UTC)


def rates(count: int) -> list[CurrencyRate]:
    start = date(2000, 1, 1)
    return [
        CurrencyRate("EUR", "USD", Decimal("1.1"), start + timedelta(days=i)) for i in range(count)
    ]


class TestCurrencyRates:
    async def test_a_put_over_the_cap_is_a_422_naming_it(self, client, tenant) -> None:
        body = {
            "rates": [
                {
                    "base": "EUR",
                    "quote": "USD",
                    "rate": "1.1",
                    "effective_from": str(r.effective_from),
                }
                for r in rates(MAX_RATES + 1)
            ]
        }
        answer = await client.put("/v1/settings/currency-rates", json=body, headers=tenant.auth)
        assert answer.status_code == 422, answer.text
        assert f"at most {MAX_RATES} items" in answer.text

    async def test_more_rates_than_parameters_allow_are_stored(self, uow_factory, tenant) -> None:
        many = rates(6_000)  # 6 columns a rate: 36,000 parameters as one VALUES list
        async with uow_factory() as uow:
            await uow.reporting.put_rates(tenant.id, many, NOW)
            assert len(await uow.reporting.rates(tenant.id)) == len(many)


class TestLookups:
    async def test_the_funnel_reads_more_recent_deals_than_parameters_allow(
        self, uow_factory, tenant
    ) -> None:
        async with uow_factory() as uow:
            await uow.session.execute(
                text(
                    "INSERT INTO deal_states (deal_id, tenant_id, meeting_ids, status, stage,"
                    " currency, created_at, state_at)"
                    " SELECT gen_random_uuid(), :tenant, ARRAY[gen_random_uuid()], 'active',"
                    " 'booked', 'USD', :now, :now FROM generate_series(1, :n)"
                ),
                {"tenant": tenant.id, "now": NOW, "n": MANY},
            )
            counts, _, _ = await uow.reporting.funnel_deals(
                tenant.id, FunnelMode.PERIOD, NOW - timedelta(days=1), NOW, currency="USD"
            )
        assert counts.created == MANY  # rolled back: nothing committed

    async def test_lookups_by_id_take_any_number_of_ids(self, uow_factory, tenant) -> None:
        ids = [uuid.uuid4() for _ in range(MANY)]
        async with uow_factory() as uow:
            repository = uow.attribution
            assert await repository.bookings(tenant.id, ids) == []
            assert await repository.closed_deals(tenant.id, ids) == []
            assert await repository.latest_runs_of(tenant.id, ids) == {}
            domains = [f"{i}.example" for i in range(MANY)]
            assert await repository.closed_deals_reached(tenant.id, domains, []) == []
