"""Deal commands and queries over real HTTP: stages, won/lost/reopen, edits, pipeline, analytics,
companies, CRM sync."""

import asyncio
import uuid

import orjson

from dealflow_libs.testing.factories import meeting_event
from dealflow_libs.testing.kafka import TopicProbe, header
from dealflow_libs.testing.tenants import seed_tenant
from dealflow_schemas.meetings import MeetingBooked
from deals.db.tables import tenants


async def new_deal(client, tenant, publish, *, company: str | None = None) -> dict:
    company = company or f"corp-{uuid.uuid4().hex[:6]}.com"
    await publish(
        meeting_event(
            MeetingBooked, tenant_id=tenant.id, email=f"ceo@{company}", company_domain=company
        )
    )
    for _ in range(150):
        items = (
            await client.get("/v1/deals", params={"company_domain": company}, headers=tenant.auth)
        ).json()["items"]
        if items:
            return items[0]
        await asyncio.sleep(0.1)
    raise TimeoutError(company)


class TestStagesAndClosing:
    async def test_move_win_history_and_events(
        self, client, tenant, publish, deal_events: TopicProbe
    ) -> None:
        deal = await new_deal(client, tenant, publish)
        path = f"/v1/deals/{deal['deal_id']}"

        moved = await client.post(
            f"{path}/stage",
            json={"stage": "proposal", "reason": "demo went well", "changed_by": "ana@us.com"},
            headers=tenant.auth,
        )
        assert moved.status_code == 200, moved.text
        assert (moved.json()["stage"], moved.json()["probability"]) == ("proposal", 40)

        won = await client.post(
            f"{path}/won",
            json={"value": "48000.00", "changed_by": "ana@us.com"},
            headers=tenant.auth,
        )
        assert won.status_code == 200, won.text
        body = won.json()
        assert (body["status"], body["stage"], body["probability"], body["value"]) == (
            "won",
            "closed_won",
            100,
            "48000.00",
        )
        assert body["closed_at"] is not None
        assert body["days_to_close"] == 0

        history = (await client.get(f"{path}/history", headers=tenant.auth)).json()
        assert [(h["kind"], h["from_stage"], h["to_stage"], h["changed_by"]) for h in history] == [
            ("created", None, "booked", "meetings"),
            ("stage_changed", "booked", "proposal", "ana@us.com"),
            ("won", "proposal", "closed_won", "ana@us.com"),
        ]
        assert history[1]["reason"] == "demo went well"
        records = await deal_events.wait_for(
            lambda r: header(r, "ce_subject") == deal["deal_id"], count=3
        )
        assert [header(r, "ce_type") for r in records] == [
            "dealflow.deal.created.v1",
            "dealflow.deal.stage_changed.v1",
            "dealflow.deal.won.v1",
        ]
        assert orjson.loads(records[-1].value)["deal"]["value"] == "48000.00"

        blocked = await client.post(
            f"{path}/stage", json={"stage": "negotiation"}, headers=tenant.auth
        )
        assert blocked.status_code == 409
        assert "reopen" in blocked.json()["message"]

    async def test_lost_needs_a_reason_from_the_list(self, client, tenant, publish) -> None:
        deal = await new_deal(client, tenant, publish)
        path = f"/v1/deals/{deal['deal_id']}"
        missing = await client.post(f"{path}/lost", json={}, headers=tenant.auth)
        assert missing.status_code == 422
        assert "reason" in missing.json()["message"]
        wrong = await client.post(f"{path}/lost", json={"reason": "bad_vibes"}, headers=tenant.auth)
        assert wrong.status_code == 422
        assert "price_too_high" in wrong.json()["message"]

        lost = await client.post(
            f"{path}/lost",
            json={"reason": "chose_competitor", "notes": "Went with X"},
            headers=tenant.auth,
        )
        assert lost.status_code == 200
        assert (lost.json()["status"], lost.json()["lost_reason"], lost.json()["lost_notes"]) == (
            "lost",
            "chose_competitor",
            "Went with X",
        )

    async def test_reopen_returns_to_the_stage_it_closed_at(
        self, client, tenant, publish, deal_events: TopicProbe
    ) -> None:
        deal = await new_deal(client, tenant, publish)
        path = f"/v1/deals/{deal['deal_id']}"
        await client.post(f"{path}/stage", json={"stage": "negotiation"}, headers=tenant.auth)
        await client.post(f"{path}/lost", json={"reason": "timing_not_right"}, headers=tenant.auth)
        reopened = await client.post(
            f"{path}/reopen", json={"reason": "budget back"}, headers=tenant.auth
        )
        assert reopened.status_code == 200, reopened.text
        assert (
            reopened.json()["status"],
            reopened.json()["stage"],
            reopened.json()["lost_reason"],
        ) == ("active", "negotiation", None)
        history = (await client.get(f"{path}/history", headers=tenant.auth)).json()
        assert history[-1]["kind"] == "reopened"
        assert (history[-1]["from_status"], history[-1]["to_status"]) == ("lost", "active")
        await deal_events.wait_for(
            lambda r: (
                header(r, "ce_subject") == deal["deal_id"]
                and header(r, "ce_type") == "dealflow.deal.reopened.v1"
            )
        )
        again = await client.post(f"{path}/reopen", json={}, headers=tenant.auth)
        assert again.status_code == 422

    async def test_reopen_is_refused_while_the_company_has_another_active_deal(
        self, client, tenant, publish
    ) -> None:
        company = f"twice-{uuid.uuid4().hex[:6]}.com"
        first = await new_deal(client, tenant, publish, company=company)
        await client.post(
            f"/v1/deals/{first['deal_id']}/lost", json={"reason": "no_budget"}, headers=tenant.auth
        )
        await publish(
            meeting_event(
                MeetingBooked, tenant_id=tenant.id, email=f"cfo@{company}", company_domain=company
            )
        )
        for _ in range(150):
            active = (
                await client.get(
                    "/v1/deals",
                    params={"company_domain": company, "status": "active"},
                    headers=tenant.auth,
                )
            ).json()["items"]
            if active:
                break
            await asyncio.sleep(0.1)
        assert active
        assert active[0]["deal_id"] != first["deal_id"]
        response = await client.post(
            f"/v1/deals/{first['deal_id']}/reopen", json={}, headers=tenant.auth
        )
        assert response.status_code == 409
        assert "already has an active deal" in response.json()["message"]

    async def test_closed_stages_only_through_won_and_lost(self, client, tenant, publish) -> None:
        deal = await new_deal(client, tenant, publish)
        response = await client.post(
            f"/v1/deals/{deal['deal_id']}/stage", json={"stage": "closed_won"}, headers=tenant.auth
        )
        assert response.status_code == 422
        assert "/won" in response.json()["message"]


class TestEdits:
    async def test_patch_value_and_fields(
        self, client, tenant, publish, deal_events: TopicProbe
    ) -> None:
        deal = await new_deal(client, tenant, publish)
        path = f"/v1/deals/{deal['deal_id']}"
        patched = await client.patch(
            path,
            json={
                "value": "12000.50",
                "currency": "GBP",
                "name": "Big one",
                "owner": "ana@us.com",
                "expected_close_date": "2027-03-31",
            },
            headers=tenant.auth,
        )
        assert patched.status_code == 200, patched.text
        body = patched.json()
        assert (
            body["value"],
            body["currency"],
            body["name"],
            body["owner"],
            body["expected_close_date"],
        ) == ("12000.50", "GBP", "Big one", "ana@us.com", "2027-03-31")
        assert body["weighted_value"] == "1200.05"
        types = [
            header(r, "ce_type")
            for r in await deal_events.wait_for(
                lambda r: header(r, "ce_subject") == deal["deal_id"], count=3
            )
        ]
        assert types[1:] == ["dealflow.deal.value_changed.v1", "dealflow.deal.updated.v1"]

    async def test_bad_patch_is_422(self, client, tenant, publish) -> None:
        deal = await new_deal(client, tenant, publish)
        assert (
            await client.patch(f"/v1/deals/{deal['deal_id']}", json={}, headers=tenant.auth)
        ).status_code == 422
        bad = await client.patch(
            f"/v1/deals/{deal['deal_id']}", json={"currency": "euro"}, headers=tenant.auth
        )
        assert bad.status_code == 422
        assert "currency" in bad.json()["message"]

    async def test_unknown_deal_and_auth(self, client, tenant) -> None:
        assert (
            await client.get(f"/v1/deals/{uuid.uuid4()}", headers=tenant.auth)
        ).status_code == 404
        assert (await client.get("/v1/deals")).status_code == 401


class TestReadModels:
    async def test_pipeline_and_lost_analysis(self, client, tenant, publish) -> None:
        deals = [await new_deal(client, tenant, publish) for _ in range(4)]
        await client.patch(
            f"/v1/deals/{deals[0]['deal_id']}", json={"value": "1000"}, headers=tenant.auth
        )
        await client.patch(
            f"/v1/deals/{deals[1]['deal_id']}", json={"value": "3000"}, headers=tenant.auth
        )
        await client.post(
            f"/v1/deals/{deals[1]['deal_id']}/stage",
            json={"stage": "negotiation"},
            headers=tenant.auth,
        )
        await client.patch(
            f"/v1/deals/{deals[2]['deal_id']}", json={"value": "500"}, headers=tenant.auth
        )
        await client.post(
            f"/v1/deals/{deals[2]['deal_id']}/stage",
            json={"stage": "proposal"},
            headers=tenant.auth,
        )
        await client.post(
            f"/v1/deals/{deals[2]['deal_id']}/lost",
            json={"reason": "price_too_high"},
            headers=tenant.auth,
        )
        await client.post(
            f"/v1/deals/{deals[3]['deal_id']}/lost",
            json={"reason": "price_too_high"},
            headers=tenant.auth,
        )

        pipeline = (await client.get("/v1/pipeline", headers=tenant.auth)).json()
        by_stage = {s["stage"]: s for s in pipeline["stages"]}
        assert (by_stage["booked"]["count"], by_stage["booked"]["total_value"]) == (1, "1000.00")
        assert (
            by_stage["negotiation"]["count"],
            by_stage["negotiation"]["average_probability"],
        ) == (1, 60.0)
        weighted = (by_stage["booked"]["weighted_value"], by_stage["negotiation"]["weighted_value"])
        assert weighted == ("100.00", "1800.00")
        assert (pipeline["count"], pipeline["total_value"], pipeline["weighted_value"]) == (
            2,
            "4000.00",
            "1900.00",
        )
        assert pipeline["currencies"] == ["EUR"]

        lost = (
            await client.get("/v1/analytics/lost", params={"days": 30}, headers=tenant.auth)
        ).json()
        assert lost["total_lost"] == 2
        [reason] = lost["reasons"]
        assert (
            reason["reason"],
            reason["count"],
            reason["lost_value"],
            reason["average_days_in_pipeline"],
        ) == ("price_too_high", 2, "500.00", 0.0)
        assert (
            reason["most_lost_at_stage"] == "booked"
        )  # tie between proposal and booked: earlier stage

    async def test_companies(self, client, tenant, publish) -> None:
        company = f"co-{uuid.uuid4().hex[:6]}.io"
        deal = await new_deal(client, tenant, publish, company=company)
        listing = (
            await client.get("/v1/companies", params={"domain": company}, headers=tenant.auth)
        ).json()
        [found] = listing["items"]
        detail = (
            await client.get(f"/v1/companies/{found['company_id']}", headers=tenant.auth)
        ).json()
        assert [d["deal_id"] for d in detail["deals"]] == [deal["deal_id"]]
        assert [p["email"] for p in detail["people"]] == [f"ceo@{company}"]
        assert len(detail["meetings"]) == 1


class TestCrmSync:
    async def test_hubspot_update_creates_then_moves_a_deal(self, client, tenant) -> None:
        external = f"hs-{uuid.uuid4().hex[:8]}"
        email = f"buyer@hub-{uuid.uuid4().hex[:6]}.com"
        created = await client.post(
            "/v1/sync/hubspot",
            json={
                "external_deal_id": external,
                "stage": "appointmentscheduled",
                "value": "9000",
                "contact_email": email,
            },
            headers=tenant.auth,
        )
        assert created.status_code == 201, created.text
        assert (created.json()["stage"], created.json()["external_ids"]) == (
            "qualification",
            {"hubspot": external},
        )

        won = await client.post(
            "/v1/sync/hubspot",
            json={"external_deal_id": external, "stage": "closedwon", "value": "9500"},
            headers=tenant.auth,
        )
        assert won.status_code == 200, won.text
        assert (won.json()["status"], won.json()["value"]) == ("won", "9500.00")

    async def test_a_deal_created_by_sync_is_named_and_priced_like_one_from_a_meeting(
        self, client, tenant, publish
    ) -> None:
        """One rule for company creation, the default deal name and the tenant's currency."""
        by_meeting = await new_deal(
            client, tenant, publish, company=f"mtg-{uuid.uuid4().hex[:6]}.com"
        )
        by_crm = await client.post(
            "/v1/sync/hubspot",
            json={
                "external_deal_id": f"hs-{uuid.uuid4().hex[:8]}",
                "stage": "qualifiedtobuy",
                "contact_email": f"Buyer@Crm-{uuid.uuid4().hex[:6]}-Widgets.co.uk",
            },
            headers=tenant.auth,
        )
        assert by_crm.status_code == 201, by_crm.text
        crm_deal = by_crm.json()
        domain = crm_deal["company"]["domain"]
        assert domain.endswith("-widgets.co.uk")
        assert domain == domain.lower()
        assert crm_deal["company"]["name"].endswith(" Widgets")
        assert crm_deal["name"] == f"{crm_deal['company']['name']} - new business"
        assert by_meeting["name"] == f"{by_meeting['company']['name']} - new business"
        assert crm_deal["currency"] == by_meeting["currency"] == "EUR"

    async def test_crm_and_stage_names_match_however_they_were_spelled(
        self, client, tenant
    ) -> None:
        saved = await client.put(
            "/v1/settings",
            json={"crm_stage_mappings": {"HubSpot": {"  Custom Stage ": "proposal"}}},
            headers=tenant.auth,
        )
        assert saved.status_code == 200, saved.text
        assert saved.json()["crm_stage_mappings"]["hubspot"]["custom stage"] == "proposal"
        synced = await client.post(
            "/v1/sync/hubspot",
            json={
                "external_deal_id": f"hs-{uuid.uuid4().hex[:8]}",
                "stage": "CUSTOM STAGE",
                "contact_email": f"a@cs-{uuid.uuid4().hex[:6]}.com",
            },
            headers=tenant.auth,
        )
        assert synced.status_code == 201, synced.text
        assert synced.json()["stage"] == "proposal"

    async def test_pipedrive_and_salesforce_defaults(self, client, tenant) -> None:
        pd = await client.post(
            "/v1/sync/pipedrive",
            json={
                "external_deal_id": "p1",
                "stage": "Negotiations Started",
                "contact_email": f"a@pd-{uuid.uuid4().hex[:6]}.com",
            },
            headers=tenant.auth,
        )
        assert pd.json()["stage"] == "negotiation"
        sf = await client.post(
            "/v1/sync/salesforce",
            json={
                "external_deal_id": "s1",
                "stage": "Prospecting",
                "contact_email": f"a@sf-{uuid.uuid4().hex[:6]}.com",
            },
            headers=tenant.auth,
        )
        assert sf.json()["stage"] == "qualification"

    async def test_unknown_stage_names_the_mapping_to_add(self, client, tenant) -> None:
        response = await client.post(
            "/v1/sync/hubspot",
            json={
                "external_deal_id": "x",
                "stage": "custom_stage_7",
                "contact_email": "a@b-corp.com",
            },
            headers=tenant.auth,
        )
        assert response.status_code == 422
        assert "crm_stage_mappings.hubspot['custom_stage_7']" in response.json()["message"]

        await client.put(
            "/v1/settings",
            json={"crm_stage_mappings": {"hubspot": {"custom_stage_7": "proposal"}}},
            headers=tenant.auth,
        )
        mapped = await client.post(
            "/v1/sync/hubspot",
            json={
                "external_deal_id": "x",
                "stage": "custom_stage_7",
                "contact_email": f"a@m-{uuid.uuid4().hex[:6]}.com",
            },
            headers=tenant.auth,
        )
        assert mapped.status_code == 201, mapped.text
        assert mapped.json()["stage"] == "proposal"

    async def test_unknown_crm_is_422(self, client, tenant) -> None:
        response = await client.post(
            "/v1/sync/zoho", json={"external_deal_id": "x", "stage": "a"}, headers=tenant.auth
        )
        assert response.status_code == 422
        assert "hubspot" in response.json()["message"]


async def test_asyncapi_documents_the_public_deal_stream(client) -> None:
    document = (await client.get("/asyncapi.json")).text
    for name in (
        "dealflow.deals.v1",
        "DealCreated",
        "DealStageChanged",
        "DealWon",
        "DealLost",
        "DealReopened",
        "dealflow.meetings.v1",  # what it consumes, each meeting event type by name
        "MeetingBooked",
        "MeetingOutcomeRecorded",
        "dealflow.attribution.v1",  # the journeys behind the deals' analytics
        "MeetingAttributed",
    ):
        assert name in document


async def test_a_crm_contact_at_a_tenant_personal_domain_creates_no_company(
    client, sessions
) -> None:
    """Deals applies the tenant's personal domains as meetings does (it used to ignore them)."""
    listing = await seed_tenant(
        sessions, tenants, prefix="pd", personal_domains=["family-mail.org"]
    )
    other = await seed_tenant(sessions, tenants, prefix="pd")
    update = {
        "external_deal_id": f"hs-{uuid.uuid4().hex[:8]}",
        "stage": "qualifiedtobuy",
        "contact_email": "jo@eu.family-mail.org",
    }

    refused = await client.post("/v1/sync/hubspot", json=update, headers=listing.auth)
    created = await client.post("/v1/sync/hubspot", json=update, headers=other.auth)

    assert refused.status_code == 404, refused.text
    assert "business contact_email" in refused.json()["message"]
    companies = await client.get("/v1/companies", headers=listing.auth)
    assert companies.json()["items"] == []
    assert created.status_code == 201, created.text
    assert created.json()["company"]["domain"] == "family-mail.org"
