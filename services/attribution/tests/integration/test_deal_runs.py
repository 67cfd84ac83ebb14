"""Won deals get one run per model over the account journey; value changes supersede, reopening
voids; every consumer is idempotent (inbox claims)."""

import uuid
from datetime import timedelta

import orjson
from sqlalchemy import select

from attribution.attributing import account_touches_of, tenant_terms
from attribution.db.tables import attribution_runs, outbox, tenants
from attribution.deal_events import record_deal_events
from attribution.domain.deal_runs import DEFAULT_MODELS, ClosedDeal
from attribution.domain.weighting import Milestones
from dealflow_libs.testing.kafka import TopicProbe, header, publish_event
from dealflow_libs.testing.tenants import seed_tenant
from dealflow_schemas.attribution import ATTRIBUTION_TOPIC, DealAttributed, DealAttributionVoided
from dealflow_schemas.deals import DEALS_TOPIC, DealReopened, DealStatus, DealValueChanged, DealWon

from .factories import WON_AT, deal_event, post_journey


def is_run(record) -> bool:  # type: ignore[no-untyped-def]
    return header(record, "ce_type") == DealAttributed.ce_type


def attributed(records) -> list[DealAttributed]:  # type: ignore[no-untyped-def]
    return [DealAttributed.model_validate(orjson.loads(r.value)) for r in records]


class TestWonDeals:
    async def test_won_value_changed_reopened(
        self, client, tenant, producer, uow_factory, attribution_events: TopicProbe
    ) -> None:
        domain = f"{uuid.uuid4().hex[:8]}.com"
        deal_id = uuid.uuid4()
        await post_journey(client, tenant, domain)
        subject = str(deal_id)

        won = deal_event(DealWon, tenant.id, deal_id, domain)
        await publish_event(producer, DEALS_TOPIC, won, key=subject)
        first = attributed(
            await attribution_events.wait_for(
                lambda r: header(r, "ce_subject") == subject and is_run(r),
                count=len(DEFAULT_MODELS),
            )
        )
        assert sorted(e.model for e in first) == sorted(m.value for m in DEFAULT_MODELS)
        by_model = {e.model: e for e in first}
        linear = by_model["linear"]
        # Two people at the company before the win; the other company and the later touch are out.
        assert {c.channel: (c.minor_units, c.weight) for c in linear.channels} == {
            "Paid Search": (50000, "1/2"),
            "Outbound Email": (50000, "1/2"),
        }
        assert all(sum(c.minor_units for c in e.channels) == 100000 for e in first)
        assert all(e.supersedes is None for e in first)
        first_touch = {c.channel: c.minor_units for c in by_model["first_touch"].channels}
        assert first_touch == {"Outbound Email": 0, "Paid Search": 100000}

        # A new value: every model runs again, each superseding its run.
        changed = deal_event(DealValueChanged, tenant.id, deal_id, domain, value="2000.00")
        await publish_event(producer, DEALS_TOPIC, changed, key=subject)
        records = await attribution_events.wait_for(
            lambda r: header(r, "ce_subject") == subject and is_run(r),
            count=2 * len(DEFAULT_MODELS),
        )
        second = attributed(records[len(DEFAULT_MODELS) :])
        assert {e.model: e.supersedes for e in second} == {e.model: e.run_id for e in first}
        assert all(e.value_minor == 200000 for e in second)

        reopened = deal_event(
            DealReopened,
            tenant.id,
            deal_id,
            domain,
            status=DealStatus.ACTIVE,
            from_status=DealStatus.WON,
        )
        await publish_event(producer, DEALS_TOPIC, reopened, key=subject)
        # Winning again afterwards starts fresh: its runs supersede nothing (the others are void).
        again = deal_event(DealWon, tenant.id, deal_id, domain, value="2000.00")
        await publish_event(producer, DEALS_TOPIC, again, key=subject)
        records = await attribution_events.wait_for(
            lambda r: header(r, "ce_subject") == subject and is_run(r),
            count=3 * len(DEFAULT_MODELS),
        )
        third = attributed(records[2 * len(DEFAULT_MODELS) :])
        assert all(e.supersedes is None for e in third)
        async with uow_factory() as uow:
            latest = await uow.attribution.latest_runs(tenant.id, deal_id)
        assert {m: r.run_id for m, r in latest.items()} == {e.model: e.run_id for e in third}
        assert not any(r.voided for r in latest.values())

    async def test_reopen_voids_and_redelivery_changes_nothing(
        self, client, tenant, uow_factory, sessions
    ) -> None:
        domain = f"{uuid.uuid4().hex[:8]}.com"
        deal_id = uuid.uuid4()
        await post_journey(client, tenant, domain)
        consumer = "attribution-deals"
        won_id = str(uuid.uuid4())
        won = deal_event(DealWon, tenant.id, deal_id, domain)
        await record_deal_events(uow_factory(consumer), [(won_id, won)])
        # The same delivery again, and the same win under another id (inputs unchanged).
        await record_deal_events(uow_factory(consumer), [(won_id, won)])
        await record_deal_events(uow_factory(consumer), [(str(uuid.uuid4()), won)])
        assert await count_runs(sessions, deal_id) == len(DEFAULT_MODELS)
        assert len(await outbox_keys(sessions, str(deal_id))) == len(DEFAULT_MODELS)

        reopened = deal_event(
            DealReopened, tenant.id, deal_id, domain, status=DealStatus.ACTIVE,
            from_status=DealStatus.WON,
        )  # fmt: skip
        await record_deal_events(uow_factory(consumer), [(str(uuid.uuid4()), reopened)])
        async with uow_factory() as uow:
            latest = await uow.attribution.latest_runs(tenant.id, deal_id)
        assert len(latest) == len(DEFAULT_MODELS)
        assert all(run.voided for run in latest.values())
        # Downstream is told once which runs no longer count (a redelivery adds nothing).
        await record_deal_events(uow_factory(consumer), [(str(uuid.uuid4()), reopened)])
        *runs, last = await outbox_keys(sessions, str(deal_id))
        assert len(runs) == len(DEFAULT_MODELS)
        voided = DealAttributionVoided.model_validate_json(last)
        assert voided.run_ids == sorted(run.run_id for run in latest.values())
        assert voided.reason == "deal reopened from won"
        # A value change of a deal that is not won runs nothing.
        changed = deal_event(
            DealValueChanged, tenant.id, deal_id, domain, value="5.00", status=DealStatus.ACTIVE
        )
        await record_deal_events(uow_factory(consumer), [(str(uuid.uuid4()), changed)])
        assert await count_runs(sessions, deal_id) == len(DEFAULT_MODELS)


async def count_runs(sessions, deal_id: uuid.UUID) -> int:  # type: ignore[no-untyped-def]
    async with sessions() as session:
        rows = await session.scalars(
            select(attribution_runs.c.run_id).where(attribution_runs.c.deal_id == deal_id)
        )
        return len(list(rows))


async def outbox_keys(sessions, key: str) -> list[bytes]:  # type: ignore[no-untyped-def]
    async with sessions() as session:
        rows = await session.scalars(
            select(outbox.c.value)
            .where(outbox.c.topic == ATTRIBUTION_TOPIC, outbox.c.key == key)
            .order_by(outbox.c.id)
        )
        return list(rows)


class TestQueries:
    async def test_deal_attribution_and_channel_report(self, client, sessions, uow_factory) -> None:
        tenant = await seed_tenant(sessions, tenants, prefix="a")
        consumer = "attribution-deals"
        deals = []
        for prefix, value in (("", "1000.00"), ("b-", "333.33")):
            domain = f"{uuid.uuid4().hex[:8]}.com"
            deal_id = uuid.uuid4()
            await post_journey(client, tenant, domain, prefix)
            won = deal_event(DealWon, tenant.id, deal_id, domain, value=value)
            await record_deal_events(uow_factory(consumer), [(str(uuid.uuid4()), won)])
            deals.append(deal_id)

        answer = await client.get(
            f"/v1/deals/{deals[0]}/attribution",
            params={"model": "position_based"},
            headers=tenant.auth,
        )
        assert answer.status_code == 200, answer.text
        body = answer.json()
        assert (body["model"], body["value_minor"], body["currency"]) == (
            "position_based",
            100000,
            "USD",
        )
        assert [
            (
                t["touch_id"],
                t["channel"],
                t["roles"],
                t["raw_weight"],
                t["weight"],
                t["minor_units"],
            )
            for t in body["touches"]
        ] == [
            ("t1", "Paid Search", ["first"], "2/5", "1/2", 50000),
            ("t2", "Outbound Email", ["last"], "2/5", "1/2", 50000),
        ]
        assert all(t["reason"] for t in body["touches"])
        # t4 (after the win) is not an input of the run; the explanation still says why.
        assert [(e["touch_id"], e["reason"]) for e in body["excluded"]] == [
            ("t4", "after_conversion")
        ]
        assert body["supersedes"] is None

        missing = await client.get(f"/v1/deals/{uuid.uuid4()}/attribution", headers=tenant.auth)
        assert missing.status_code == 404
        bad_model = await client.get(
            f"/v1/deals/{deals[0]}/attribution", params={"model": "nope"}, headers=tenant.auth
        )
        assert bad_model.status_code == 422

        report = (
            await client.get(
                "/v1/reports/channels",
                params={"days": 3650, "model": "first_touch"},
                headers=tenant.auth,
            )
        ).json()
        assert report["currency"] == "USD"
        rows = {r["channel"]: r for r in report["channels"]}
        assert (
            rows["Paid Search"]["deals_attributed"],
            rows["Paid Search"]["credited_deals"],
            rows["Paid Search"]["attributed_value"],
            rows["Paid Search"]["avg_deal_value"],
            rows["Paid Search"]["percentage_of_revenue"],
        ) == (2, "2.000000", 133333, 66666, 10000)
        assert rows["Outbound Email"]["attributed_value"] == 0
        assert sum(r["percentage_of_revenue"] for r in report["channels"]) == 10_000

        linear = (
            await client.get(
                "/v1/reports/channels",
                params={"days": 3650, "model": "linear"},
                headers=tenant.auth,
            )
        ).json()
        assert sum(r["percentage_of_revenue"] for r in linear["channels"]) == 10_000
        assert sum(r["attributed_value"] for r in linear["channels"]) == 133333


class TestAccountJourney:
    async def test_colleagues_and_linked_people_join_and_personal_mailboxes_only_by_link(
        self, client, sessions, uow_factory
    ) -> None:
        tenant = await seed_tenant(sessions, tenants, prefix="a", personal_domains=["freelance.io"])
        people = [
            "jane@acme.com",
            "joe@eu.acme.com",  # a subdomain: the company is the registrable domain
            "pat@gmail.com",  # linked to acme's deal (an attendee)
            "sam@gmail.com",
            "kim@other.com",
            "jo@freelance.io",  # the tenant's personal domain: linked to its deal
            "lin@freelance.io",  # the same domain, not linked: no company, not in
        ]
        body = {
            "touches": [
                {
                    "touch_id": f"t{i}",
                    "person_email": email,
                    "occurred_at": (WON_AT - timedelta(days=i + 1)).isoformat(),
                    "activity_type": "call",
                }
                for i, email in enumerate(people)
            ]
        }
        answer = await client.post("/v1/touches", json=body, headers=tenant.auth)
        assert answer.json()["created"] == len(people), answer.text

        def closed(domain: str, *linked: str) -> ClosedDeal:
            return ClosedDeal(
                tenant.id, uuid.uuid4(), True, domain, linked, 100, "USD", WON_AT, Milestones()
            )

        acme, freelance = (
            closed("acme.com", "pat@gmail.com"),
            closed("freelance.io", "jo@freelance.io"),
        )
        async with uow_factory() as uow:
            terms = (await tenant_terms(uow, [tenant.id]))[tenant.id]
            pools = await account_touches_of(uow, terms, [acme, freelance], until=None)
        assert {t.person_email for t in pools[acme.deal_id]} == {
            "jane@acme.com",
            "joe@eu.acme.com",
            "pat@gmail.com",
        }
        assert {t.person_email for t in pools[freelance.deal_id]} == {"jo@freelance.io"}
