"""Reports over the real stack: rates, conversion (or a 422 naming the missing pair), model
comparison, the funnel by period and by cohort, and history as of an instant."""

import uuid
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import delete, select

from attribution.db.tables import attribution_runs, report_credits, tenants
from attribution.deal_events import record_deal_events
from attribution.reporting import channels_report, compare_report
from attribution.use_cases import record_meeting_events
from dealflow_libs.testing.factories import meeting_event
from dealflow_libs.testing.kafka import TopicProbe, header, publish_event
from dealflow_libs.testing.tenants import TenantCredentials, seed_tenant
from dealflow_schemas.deals import (
    DEALS_TOPIC,
    DealCreated,
    DealReopened,
    DealStatus,
    DealValueChanged,
    DealWon,
)
from dealflow_schemas.meetings import (
    MEETINGS_TOPIC,
    MeetingAttended,
    MeetingBooked,
    MeetingNoShow,
    MeetingStatus,
)

from .factories import WON_AT, deal_event

DEALS = "attribution-deals"
MEETINGS = "attribution-meetings"


async def post_touches(client, tenant, *items: tuple[str, str, datetime, str]) -> None:  # type: ignore[no-untyped-def]
    body = {
        "touches": [
            {
                "touch_id": touch_id,
                "person_email": email,
                "occurred_at": at.isoformat(),
                "activity_type": kind,
            }
            for touch_id, email, at, kind in items
        ]
    }
    answer = await client.post("/v1/touches", json=body, headers=tenant.auth)
    assert answer.json()["created"] == len(items), answer.text


async def won_deal(  # type: ignore[no-untyped-def]
    client, tenant, uow_factory, *, value: str, currency: str
) -> uuid.UUID:
    """A won deal whose journey is a call then an email (linear: half each)."""
    domain = f"{uuid.uuid4().hex[:8]}.com"
    deal_id = uuid.uuid4()
    await post_touches(
        client,
        tenant,
        (f"{domain}-1", f"ana@{domain}", WON_AT - timedelta(days=9), "call"),
        (f"{domain}-2", f"ana@{domain}", WON_AT - timedelta(days=3), "email_replied"),
    )
    won = deal_event(DealWon, tenant.id, deal_id, domain, value=value, currency=currency)
    await record_deal_events(uow_factory(DEALS), [(str(uuid.uuid4()), won)])
    return deal_id


async def new_tenant(sessions) -> TenantCredentials:  # type: ignore[no-untyped-def]
    return await seed_tenant(sessions, tenants, prefix="r", currency="USD")


async def put_rates(client, tenant, *rates: tuple[str, str, str, str]) -> dict:  # type: ignore[no-untyped-def, type-arg]
    body = {
        "rates": [{"base": b, "quote": q, "rate": r, "effective_from": d} for b, q, r, d in rates]
    }
    answer = await client.put("/v1/settings/currency-rates", json=body, headers=tenant.auth)
    assert answer.status_code == 200, answer.text
    return answer.json()  # type: ignore[no-any-return]


class TestCurrencyRates:
    async def test_rates_are_validated_upserted_and_listed(self, client, sessions) -> None:
        tenant = await new_tenant(sessions)
        path = "/v1/settings/currency-rates"
        for bad, field in (
            ({"base": "EURO", "quote": "USD", "rate": "1.1"}, "base"),
            ({"base": "EUR", "quote": "EUR", "rate": "1.1"}, "differ"),
            ({"base": "EUR", "quote": "USD", "rate": "0"}, "positive"),
            ({"base": "EUR", "quote": "USD", "rate": "NaN"}, "positive"),
            ({"base": "EUR", "quote": "USD", "rate": "abc"}, "decimal"),
            ({"base": "EUR", "quote": "USD", "rate": "1e40"}, "12 digits"),
        ):
            item = {**bad, "effective_from": "2026-01-01"}
            answer = await client.put(path, json={"rates": [item]}, headers=tenant.auth)
            assert answer.status_code == 422, (bad, answer.text)
            assert field in answer.text, answer.text
        await put_rates(
            client,
            tenant,
            ("EUR", "USD", "1.10", "2026-01-01"),
            ("GBP", "USD", "1.2700", "2026-01-01"),
        )
        body = await put_rates(client, tenant, ("EUR", "USD", "1.0842", "2026-01-01"))
        assert body["rates"] == [
            {"base": "EUR", "quote": "USD", "rate": "1.0842", "effective_from": "2026-01-01"},
            {"base": "GBP", "quote": "USD", "rate": "1.27", "effective_from": "2026-01-01"},
        ]
        listed = await client.get(path, headers=tenant.auth)
        assert listed.json() == body
        other = await new_tenant(sessions)
        assert (await client.get(path, headers=other.auth)).json() == {"rates": []}


class TestConversion:
    async def test_missing_rate_is_a_422_naming_the_pair_then_converted(
        self, client, sessions, uow_factory
    ) -> None:
        tenant = await new_tenant(sessions)
        await won_deal(client, tenant, uow_factory, value="1000.00", currency="USD")
        await won_deal(client, tenant, uow_factory, value="500.00", currency="EUR")
        params = {"days": 3650, "model": "linear"}
        answer = await client.get("/v1/reports/channels", params=params, headers=tenant.auth)
        assert answer.status_code == 422, answer.text
        assert answer.json()["message"] == "no EUR->USD rate on or before 2026-11-25"
        assert answer.json()["missing"] == [{"base": "EUR", "quote": "USD", "date": "2026-11-25"}]
        # A rate from after the close does not apply; the one before it does.
        await put_rates(
            client,
            tenant,
            ("EUR", "USD", "1.10", "2026-11-01"),
            ("EUR", "USD", "9.99", "2026-11-26"),
        )
        report = (
            await client.get("/v1/reports/channels", params=params, headers=tenant.auth)
        ).json()
        assert report["currency"] == "USD"
        rows = {r["channel"]: r["attributed_value"] for r in report["channels"]}
        # 1,000 USD + 500 EUR x 1.10 = 1,550 USD, half to each channel.
        assert rows == {"Phone": 77_500, "Outbound Email": 77_500}
        # In EUR: only EUR->USD is known, so its exact inverse: 1,000 / 1.1 = 909.0909... EUR.
        in_eur = (
            await client.get(
                "/v1/reports/channels", params={**params, "currency": "EUR"}, headers=tenant.auth
            )
        ).json()
        values = [r["attributed_value"] for r in in_eur["channels"]]
        assert sum(values) == 90_909 + 50_000
        assert sum(r["percentage_of_revenue"] for r in in_eur["channels"]) == 10_000

    async def test_compare_columns_sum_to_the_same_revenue(
        self, client, sessions, uow_factory
    ) -> None:
        tenant = await new_tenant(sessions)
        await put_rates(client, tenant, ("USD", "EUR", "0.9", "2026-01-01"))
        await won_deal(client, tenant, uow_factory, value="1000.00", currency="USD")
        await won_deal(client, tenant, uow_factory, value="333.33", currency="EUR")
        params = {"days": 3650, "models": "first_touch,linear,time_decay,markov"}
        answer = await client.get("/v1/reports/compare", params=params, headers=tenant.auth)
        assert answer.status_code == 200, answer.text
        body = answer.json()
        # 1,000 USD + 333.33 EUR / 0.9 = 370.3666... -> 370.37 USD.
        assert (body["deals"], body["won_value"], body["currency"]) == (2, 137_037, "USD")
        assert body["totals"] == dict.fromkeys(body["models"], 137_037)
        assert body["missing_runs"] == dict.fromkeys(body["models"], 0)
        cells = {r["channel"]: r["models"] for r in body["channels"]}
        assert cells["Phone"]["first_touch"]["attributed_value"] == 137_037
        assert cells["Outbound Email"]["first_touch"]["attributed_value"] == 0
        # A model the tenant does not run leaves every deal out, and says so.
        params = {"days": 3650, "models": "linear,shapley"}
        body = (await client.get("/v1/reports/compare", params=params, headers=tenant.auth)).json()
        assert (body["deals"], body["missing_runs"]) == (0, {"linear": 0, "shapley": 2})
        bad = await client.get(
            "/v1/reports/compare", params={"models": "linear,nope"}, headers=tenant.auth
        )
        assert bad.status_code == 422
        assert "nope" in bad.text


class TestFunnel:
    async def test_period_and_cohort_differ(self, client, sessions, uow_factory) -> None:
        tenant = await new_tenant(sessions)
        now = datetime.now(UTC)
        old, new = f"{uuid.uuid4().hex[:8]}.com", f"{uuid.uuid4().hex[:8]}.com"
        # ana@old was first seen 60 days ago and touched again 10 days ago; bo@new 20 days ago.
        await post_touches(
            client,
            tenant,
            (f"{old}-1", f"ana@{old}", now - timedelta(days=60), "email_sent"),
            (f"{old}-2", f"ana@{old}", now - timedelta(days=10), "call"),
            (f"{new}-1", f"bo@{new}", now - timedelta(days=20), "linkedin_message"),
        )
        # ana books a meeting (now), held yesterday and attended.
        booked = meeting_event(
            MeetingBooked,
            tenant_id=tenant.id,
            email=f"ana@{old}",
            company_domain=old,
            start=now - timedelta(days=1),
        )
        attended = meeting_event(
            MeetingAttended,
            tenant_id=tenant.id,
            meeting_id=booked.meeting_id,
            email=f"ana@{old}",
            company_domain=old,
            start=now - timedelta(days=1),
            status=MeetingStatus.COMPLETED,
            showed_up=True,
        )
        for event in (booked, attended):
            await record_meeting_events(uow_factory(MEETINGS), [(str(uuid.uuid4()), event)])
        # old.com's deal was created before the window and won 2 days ago; bo's opened 5 days ago.
        won = deal_event(
            DealWon,
            tenant.id,
            uuid.uuid4(),
            old,
            value="1000.00",
            created_at=now - timedelta(days=40),
            closed_at=now - timedelta(days=2),
        )
        opened = deal_event(
            DealCreated,
            tenant.id,
            uuid.uuid4(),
            new,
            value="300.00",
            currency="EUR",
            status=DealStatus.ACTIVE,
            created_at=now - timedelta(days=5),
        )
        for event in (won, opened):
            await record_deal_events(uow_factory(DEALS), [(str(uuid.uuid4()), event)])

        async def funnel(mode: str) -> dict:  # type: ignore[type-arg]
            answer = await client.get(
                "/v1/reports/funnel", params={"days": 30, "mode": mode}, headers=tenant.auth
            )
            assert answer.status_code == 200, answer.text
            return answer.json()  # type: ignore[no-any-return]

        missing = await client.get("/v1/reports/funnel", params={"days": 30}, headers=tenant.auth)
        assert missing.status_code == 422
        opened_on = (now - timedelta(days=5)).date().isoformat()
        assert missing.json()["message"] == f"no EUR->USD rate on or before {opened_on}"
        await put_rates(client, tenant, ("EUR", "USD", "1.25", "2026-01-01"))

        period = await funnel("period")
        assert pick(period) == {
            "total_leads": 2,
            "meetings_booked": 1,
            "meetings_showed": 1,
            "meetings_no_show": 0,
            "deals_created": 1,
            "deals_won": 1,
            "deals_lost": 0,
            "total_pipeline_value": 37_500,  # bo's 300 EUR at 1.25
            "total_won_value": 100_000,
            "show_rate": 10_000,
            "deal_win_rate": 10_000,
            "deal_conversion_rate": 10_000,
            "lead_to_meeting_rate": 5_000,
            "lead_to_win_rate": 5_000,
        }
        assert period["rate_terms"]["lead_to_win_rate"] == {"numerator": 1, "denominator": 2}
        cohort = await funnel("cohort")
        assert pick(cohort) == {
            "total_leads": 1,  # bo only: ana was first seen before the window
            "meetings_booked": 0,
            "meetings_showed": 0,
            "meetings_no_show": 0,
            "deals_created": 1,
            "deals_won": 0,
            "deals_lost": 0,
            "total_pipeline_value": 37_500,
            "total_won_value": 0,
            "show_rate": None,  # 0 / 0
            "deal_win_rate": None,
            "deal_conversion_rate": 0,
            "lead_to_meeting_rate": 0,
            "lead_to_win_rate": 0,
        }

    async def test_a_meeting_attendee_without_touches_is_a_lead(
        self, client, sessions, uow_factory
    ) -> None:
        # The leads read model's rule (a person with a touch or a meeting), not "a person with
        # a touch": ana books (her booking is her touch), eve only attends.
        tenant = await new_tenant(sessions)
        domain = f"{uuid.uuid4().hex[:8]}.com"
        ana, eve = f"ana@{domain}", f"eve@{domain}"
        booked = meeting_event(
            MeetingBooked,
            tenant_id=tenant.id,
            email=ana,
            company_domain=domain,
            attendees=[{"email": ana, "name": "Ana"}, {"email": eve, "name": "Eve"}],
        )
        await record_meeting_events(uow_factory(MEETINGS), [(str(uuid.uuid4()), booked)])
        listed = await client.get("/v1/leads", headers=tenant.auth)
        assert sorted(lead["email"] for lead in listed.json()["items"]) == [ana, eve]
        for mode in ("period", "cohort"):
            answer = await client.get(
                "/v1/reports/funnel", params={"days": 30, "mode": mode}, headers=tenant.auth
            )
            assert answer.status_code == 200, answer.text
            counts = answer.json()
            assert (counts["total_leads"], counts["lead_to_meeting_rate"]) == (2, 10_000), mode

    async def test_the_consumers_record_what_the_funnel_counts(
        self, client, sessions, producer, attribution_events: TopicProbe
    ) -> None:
        tenant = await new_tenant(sessions)
        now = datetime.now(UTC)
        domain = f"{uuid.uuid4().hex[:8]}.com"
        email = f"jo@{domain}"
        held = {"start": now - timedelta(hours=2), "email": email, "company_domain": domain}
        booked = meeting_event(MeetingBooked, tenant_id=tenant.id, **held)
        no_show = meeting_event(
            MeetingNoShow,
            tenant_id=tenant.id,
            meeting_id=booked.meeting_id,
            showed_up=False,
            **held,
        )
        # A later booking on the same key is the marker that the no-show was handled before it.
        marker = meeting_event(MeetingBooked, tenant_id=tenant.id, **held)
        key = str(booked.meeting_id)
        for event in (booked, no_show, marker):
            await publish_event(producer, MEETINGS_TOPIC, event, key=key)
        deal_id = uuid.uuid4()
        opened = deal_event(
            DealCreated, tenant.id, deal_id, domain, status=DealStatus.ACTIVE, created_at=now
        )
        won = deal_event(DealWon, tenant.id, deal_id, domain, created_at=now, closed_at=now)
        for event in (opened, won):
            await publish_event(producer, DEALS_TOPIC, event, key=str(deal_id))
        await attribution_events.wait_for(
            lambda r: header(r, "ce_subject") == str(marker.meeting_id), within=30
        )
        await attribution_events.wait_for(lambda r: header(r, "ce_subject") == str(deal_id))
        params = {"days": 1, "mode": "period"}
        body = (await client.get("/v1/reports/funnel", params=params, headers=tenant.auth)).json()
        assert pick(body) == {
            "total_leads": 1,
            "meetings_booked": 2,
            "meetings_showed": 0,
            "meetings_no_show": 1,
            "deals_created": 1,
            "deals_won": 1,
            "deals_lost": 0,
            "total_pipeline_value": 100_000,
            "total_won_value": 100_000,
            "show_rate": 0,
            "deal_win_rate": 10_000,
            "deal_conversion_rate": 10_000,
            "lead_to_meeting_rate": 10_000,
            "lead_to_win_rate": 10_000,
        }

    async def test_redelivered_and_older_events_change_no_state(
        self, sessions, uow_factory, client
    ) -> None:
        tenant = await new_tenant(sessions)
        domain = f"{uuid.uuid4().hex[:8]}.com"
        deal_id = uuid.uuid4()
        now = datetime.now(UTC)
        created = deal_event(
            DealCreated, tenant.id, deal_id, domain, status=DealStatus.ACTIVE, created_at=now
        )
        won = deal_event(DealWon, tenant.id, deal_id, domain, created_at=now, closed_at=now)
        await record_deal_events(uow_factory(DEALS), [(str(uuid.uuid4()), won)])
        # The creation arrives late (older than the win): the deal stays won.
        await record_deal_events(uow_factory(DEALS), [(str(uuid.uuid4()), created)])
        # Both in one batch, the older last: one row per deal, the newer state kept.
        other = uuid.uuid4()
        moved = [
            e.model_copy(
                update={"deal_id": other, "deal": e.deal.model_copy(update={"deal_id": other})}
            )
            for e in (won, created)
        ]
        batch = [(str(uuid.uuid4()), e) for e in moved]
        await record_deal_events(uow_factory(DEALS), batch)
        params = {"days": 1, "mode": "period"}
        body = (await client.get("/v1/reports/funnel", params=params, headers=tenant.auth)).json()
        assert (body["deals_created"], body["deals_won"]) == (2, 2)


FUNNEL_FIELDS = (
    "total_leads",
    "meetings_booked",
    "meetings_showed",
    "meetings_no_show",
    "deals_created",
    "deals_won",
    "deals_lost",
    "total_pipeline_value",
    "total_won_value",
    "show_rate",
    "deal_win_rate",
    "deal_conversion_rate",
    "lead_to_meeting_rate",
    "lead_to_win_rate",
)


def pick(body: dict) -> dict:  # type: ignore[type-arg]
    return {key: body[key] for key in FUNNEL_FIELDS}


class TestAsOf:
    async def test_history_before_a_value_change_and_after_a_reopen(
        self, client, sessions, uow_factory
    ) -> None:
        tenant = await new_tenant(sessions)
        domain = f"{uuid.uuid4().hex[:8]}.com"
        deal_id = uuid.uuid4()
        await post_touches(
            client, tenant, (f"{domain}-1", f"ana@{domain}", WON_AT - timedelta(days=2), "call")
        )
        path = f"/v1/deals/{deal_id}/attribution"
        before_won = datetime.now(UTC)
        for kind, value, extra in (
            (DealWon, "1000.00", {}),
            (DealValueChanged, "2000.00", {}),
        ):
            event = deal_event(kind, tenant.id, deal_id, domain, value=value, **extra)
            await record_deal_events(uow_factory(DEALS), [(str(uuid.uuid4()), event)])
        second = (await client.get(path, headers=tenant.auth)).json()
        first_id = second["supersedes"]
        reopened = deal_event(
            DealReopened,
            tenant.id,
            deal_id,
            domain,
            status=DealStatus.ACTIVE,
            from_status=DealStatus.WON,
        )
        await record_deal_events(uow_factory(DEALS), [(str(uuid.uuid4()), reopened)])
        after_reopen = datetime.now(UTC)

        async def as_of(moment: datetime | str) -> tuple[int, dict]:  # type: ignore[type-arg]
            text = moment if isinstance(moment, str) else moment.isoformat()
            answer = await client.get(path, params={"as_of": text}, headers=tenant.auth)
            return answer.status_code, answer.json()

        just_before = datetime.fromisoformat(second["computed_at"]) - timedelta(microseconds=1)
        status, first = await as_of(just_before)
        assert (status, first["run_id"], first["value_minor"]) == (200, first_id, 100_000)
        status, current = await as_of(second["computed_at"])
        assert (status, current["run_id"], current["value_minor"]) == (
            200,
            second["run_id"],
            200_000,
        )
        assert (await as_of(before_won))[0] == 404  # not won yet
        assert (await as_of(after_reopen))[0] == 404  # reopened: nothing counts
        assert (await client.get(path, headers=tenant.auth)).status_code == 404
        naive = await client.get(path, params={"as_of": "2026-01-01T00:00:00"}, headers=tenant.auth)
        assert naive.status_code == 422

        async def report(moment: datetime) -> list[int]:
            params = {"days": 3650, "model": "linear", "as_of": moment.isoformat()}
            answer = await client.get("/v1/reports/channels", params=params, headers=tenant.auth)
            assert answer.status_code == 200, answer.text
            return [r["attributed_value"] for r in answer.json()["channels"]]

        assert await report(just_before) == [100_000]
        assert await report(datetime.fromisoformat(second["computed_at"])) == [200_000]
        assert await report(after_reopen) == []
        assert date.fromisoformat(second["conversion_at"][:10]) == WON_AT.date()


class TestReportCredits:
    async def test_the_summed_report_equals_the_runs_read_one_by_one(
        self, client, sessions, uow_factory
    ) -> None:
        tenant = await new_tenant(sessions)
        await put_rates(client, tenant, ("EUR", "USD", "1.0837", "2026-01-01"))
        await won_deal(client, tenant, uow_factory, value="1000.00", currency="USD")
        await won_deal(client, tenant, uow_factory, value="333.33", currency="USD")
        changed = await won_deal(client, tenant, uow_factory, value="500.00", currency="EUR")
        reopened = await won_deal(client, tenant, uow_factory, value="777.00", currency="USD")
        await won_deal(client, tenant, uow_factory, value="0.07", currency="EUR")
        for kind, deal_id, extra in (
            (DealValueChanged, changed, {"value": "650.00", "currency": "EUR"}),
            (DealReopened, reopened, {"status": DealStatus.ACTIVE, "from_status": DealStatus.WON}),
        ):
            event = deal_event(kind, tenant.id, deal_id, "x.com", **extra)  # type: ignore[arg-type]
            await record_deal_events(uow_factory(DEALS), [(str(uuid.uuid4()), event)])
        later = datetime.now(UTC) + timedelta(days=1)
        for model in ("linear", "time_decay", "first_touch"):
            summed = await channels_report(
                uow_factory(), tenant.id, model=model, days=3650, currency="USD"
            )
            one_by_one = await channels_report(
                uow_factory(), tenant.id, model=model, days=3650, currency="USD", as_of=later
            )
            assert summed.rows == one_by_one.rows
            # 1,000 + 333.33 + 650 EUR x 1.0837 (704.405 -> 704.40) + 0.07 x 1.0837 (0.0759 -> 0.08)
            assert sum(r.attributed_minor for r in summed.rows) == 100_000 + 33_333 + 70_440 + 8
        for models in (["linear", "first_touch", "time_decay", "markov"], ["linear", "shapley"]):
            compared = await compare_report(
                uow_factory(), tenant.id, models=models, days=3650, currency="USD"
            )
            history = await compare_report(
                uow_factory(), tenant.id, models=models, days=3650, currency="USD", as_of=later
            )
            assert compared.comparison == history.comparison
        assert compared.comparison.missing_runs == {"linear": 0, "shapley": 4}
        async with sessions() as session:
            projected = set(
                await session.scalars(
                    select(report_credits.c.run_id).where(report_credits.c.tenant_id == tenant.id)
                )
            )
        current = set()
        async with uow_factory() as uow:
            for deal_id in await tenant_deals(sessions, tenant.id):
                latest = await uow.attribution.latest_runs(tenant.id, deal_id)
                current |= {run.run_id for run in latest.values() if not run.voided}
        assert projected == current
        # A deleted run takes its credits with it.
        async with sessions() as session, session.begin():
            await session.execute(
                delete(attribution_runs).where(attribution_runs.c.deal_id == changed)
            )
        after = await channels_report(
            uow_factory(), tenant.id, model="linear", days=3650, currency="USD"
        )
        assert sum(r.attributed_minor for r in after.rows) == 100_000 + 33_333 + 8

    async def test_a_converted_tie_goes_to_the_channel_first_in_code_point_order(
        self, client, sessions, uow_factory
    ) -> None:
        tenant = await new_tenant(sessions)
        await put_rates(client, tenant, ("EUR", "USD", "1.1", "2026-01-01"))
        domain = f"{uuid.uuid4().hex[:8]}.com"
        body = {
            "touches": [
                {"touch_id": f"{domain}-1", "person_email": f"ana@{domain}",
                 "occurred_at": (WON_AT - timedelta(days=2)).isoformat(), "activity_type": "call"},
                {"touch_id": f"{domain}-2", "person_email": f"ana@{domain}",
                 "occurred_at": (WON_AT - timedelta(days=1)).isoformat(), "activity_type": "other",
                 "channel": "email"},
            ]
        }  # fmt: skip
        assert (await client.post("/v1/touches", json=body, headers=tenant.auth)).status_code == 200
        # 0.10 EUR, 5 cents each, is 11 US cents: 5.5 each, the tie to "Phone" ("P" < "e").
        won = deal_event(DealWon, tenant.id, uuid.uuid4(), domain, value="0.10", currency="EUR")
        await record_deal_events(uow_factory(DEALS), [(str(uuid.uuid4()), won)])
        later = datetime.now(UTC) + timedelta(days=1)
        for as_of in (None, later):
            report = await channels_report(
                uow_factory(), tenant.id, model="linear", days=3650, currency="USD", as_of=as_of
            )
            assert {r.channel: r.attributed_minor for r in report.rows} == {"Phone": 6, "email": 5}


async def tenant_deals(sessions, tenant_id: str) -> list[uuid.UUID]:  # type: ignore[no-untyped-def]
    async with sessions() as session:
        rows = await session.scalars(
            select(attribution_runs.c.deal_id)
            .where(attribution_runs.c.tenant_id == tenant_id)
            .distinct()
        )
        return list(rows)
