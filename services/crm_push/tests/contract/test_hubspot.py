"""HubSpotAdapter against the HubSpot emulator over real HTTP (crm_apis.md §1)."""

import asyncio
import dataclasses
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest

from crm_push.providers.base import (
    CompanyData,
    ContactData,
    ContactRef,
    DealData,
    DealState,
    MeetingData,
    MeetingState,
    marker,
)
from crm_push.providers.hubspot import HubSpotAdapter, hubspot_http
from crm_push.providers.transport import (
    CallRecord,
    FailureKind,
    ProviderError,
    ProviderHttp,
    StaticAuth,
    recording_calls,
)

from .emulated import assert_calls_are_clean, short_timeout

TOKEN = "pat-na1-dealflow-dev"  # the emulator's private-app token (docs/emulators.md)
STARTS = datetime(2026, 1, 20, 14, 0, tzinfo=UTC)

pytestmark = pytest.mark.usefixtures("hubspot_control")


def jane(**changes: Any) -> ContactData:
    base = ContactData(
        email="Jane@Acme.com",
        full_name="Jane Doe",
        phone="+1 555 0100",
        company=CompanyData(domain="acme.com", name="Acme"),
        properties={"hs_analytics_source_data_1": "newsletter"},
    )
    return dataclasses.replace(base, **changes)


def a_deal(**changes: Any) -> DealData:
    base = DealData(
        deal_id="d-1",
        name="Acme - intro",
        pipeline_id="default",
        stage_id="appointmentscheduled",
        state=DealState.OPEN,
        value=Decimal("1500"),
        currency="usd",
        owner_id="123456",
        expected_close_date=date(2026, 2, 1),
        properties={"hs_analytics_source": "PAID_SEARCH"},
    )
    return dataclasses.replace(base, **changes)


def a_meeting(**changes: Any) -> MeetingData:
    base = MeetingData(
        meeting_id="m-1",
        title="Diagnostic call",
        starts_at=STARTS,
        ends_at=STARTS + timedelta(minutes=30),
        time_zone="Europe/Berlin",
        state=MeetingState.SCHEDULED,
        owner_id="123456",
        meeting_url="https://meet.example/abc",
    )
    return dataclasses.replace(base, **changes)


async def objects(control: httpx.AsyncClient, kind: str) -> list[dict[str, Any]]:
    state = (await control.get("/state")).json()
    return [o for o in state["objects"][kind] if not o["archived"]]


async def linked(hubspot_url: str, from_type: str, from_id: str, to_type: str) -> set[str]:
    path = f"/crm/v4/objects/{from_type}/{from_id}/associations/{to_type}"
    headers = {"Authorization": f"Bearer {TOKEN}"}
    async with httpx.AsyncClient(base_url=hubspot_url, headers=headers) as http:
        answer = (await http.get(path)).raise_for_status().json()
    return {str(r["toObjectId"]) for r in answer["results"]}


async def fault(control: httpx.AsyncClient, **spec: Any) -> None:
    (await control.post("/faults", json=spec)).raise_for_status()


class TestAccount:
    async def test_pipelines_come_with_their_stages_in_order(self, hubspot: HubSpotAdapter) -> None:
        [pipeline] = await hubspot.pipelines()

        assert pipeline.id == "default"
        assert [s.id for s in pipeline.stages][:2] == ["appointmentscheduled", "qualifiedtobuy"]
        assert [s.id for s in pipeline.stages][-2:] == ["closedwon", "closedlost"]
        assert pipeline.stages[0].probability == 20
        assert [s.order for s in pipeline.stages] == list(range(7))

    async def test_users_are_the_owners(self, hubspot: HubSpotAdapter) -> None:
        users = await hubspot.users()

        assert [(u.id, u.email, u.name) for u in users] == [
            ("123456", "owner@dealflow.example", "Olivia Owner"),
            ("123457", "sam@dealflow.example", "Sam Seller"),
        ]

    async def test_verify_lists_pipelines(self, hubspot: HubSpotAdapter) -> None:
        await hubspot.verify()

        assert [c.operation for c in hubspot.http.calls] == ["verify"]

    async def test_ensure_schema_creates_the_marker_property_once(
        self, hubspot: HubSpotAdapter, hubspot_control: httpx.AsyncClient
    ) -> None:
        await hubspot.ensure_schema()
        await hubspot.ensure_schema()

        properties = await objects(hubspot_control, "properties")
        assert sorted((p["objectType"], p["name"]) for p in properties) == [
            ("deals", "dealflow_id"),
            ("meetings", "dealflow_id"),
        ]
        assert {p["groupName"] for p in properties} == {"dealinformation", "meetinginformation"}
        operations = [c.operation for c in hubspot.http.calls]
        assert operations.count("create_property") == 2

    async def test_a_strict_portal_takes_deals_only_once_the_schema_exists(
        self, hubspot: HubSpotAdapter, hubspot_control: httpx.AsyncClient
    ) -> None:
        await hubspot_control.patch("/config", json={"strict_properties": True})
        contact = await hubspot.upsert_contact(jane(properties={}), None)
        deal = a_deal(properties={})

        with pytest.raises(ProviderError) as refused:
            await hubspot.upsert_deal(deal, contact, None, recover=False)
        await hubspot.ensure_schema()
        deal_id = await hubspot.upsert_deal(deal, contact, None, recover=False)

        assert refused.value.kind is FailureKind.REJECTED
        assert "dealflow_id" in refused.value.message
        [stored] = await objects(hubspot_control, "deals")
        assert stored["id"] == deal_id


class TestContacts:
    async def test_the_same_email_twice_is_one_contact(
        self, hubspot: HubSpotAdapter, hubspot_control: httpx.AsyncClient
    ) -> None:
        first = await hubspot.upsert_contact(jane(), None)
        again = await hubspot.upsert_contact(jane(full_name="Jane Q. Doe"), None)

        assert again == first
        [contact] = await objects(hubspot_control, "contacts")
        assert contact["id"] == first.contact_id
        props = contact["properties"]
        assert (props["email"], props["firstname"], props["lastname"]) == (
            "jane@acme.com",
            "Jane",
            "Q. Doe",
        )
        assert props["hs_analytics_source_data_1"] == "newsletter"
        assert len(await objects(hubspot_control, "companies")) == 1

    async def test_contact_and_company_are_associated(
        self, hubspot: HubSpotAdapter, hubspot_control: httpx.AsyncClient, hubspot_url: str
    ) -> None:
        ref = await hubspot.upsert_contact(jane(), None)
        colleague = await hubspot.upsert_contact(
            jane(email="bob@acme.com", full_name="Bob Roe"), None
        )

        [company] = await objects(hubspot_control, "companies")
        assert ref.company_id == colleague.company_id == company["id"]
        assert company["properties"]["domain"] == "acme.com"
        assert company["properties"]["name"] == "Acme"
        found = await linked(hubspot_url, "companies", company["id"], "contacts")
        assert found == {ref.contact_id, colleague.contact_id}

    async def test_a_known_contact_is_updated_by_id(
        self, hubspot: HubSpotAdapter, hubspot_control: httpx.AsyncClient
    ) -> None:
        ref = await hubspot.upsert_contact(jane(), None)
        hubspot.http.take_calls()

        again = await hubspot.upsert_contact(jane(phone="+1 555 0199"), ref)

        assert again == ref
        assert [c.operation for c in hubspot.http.calls] == ["update_contact"]
        [contact] = await objects(hubspot_control, "contacts")
        assert contact["properties"]["phone"] == "+1 555 0199"

    async def test_a_contact_without_company_has_none(self, hubspot: HubSpotAdapter) -> None:
        ref = await hubspot.upsert_contact(jane(company=None), None)

        assert ref.company_id is None

    async def test_a_contact_made_elsewhere_is_found_with_its_company(
        self, hubspot_url: str, hubspot_control: httpx.AsyncClient, client: httpx.AsyncClient
    ) -> None:
        """A push that knows no ids (another writer made the contact) upserts by email and
        finds the company through the contact: nothing is made twice, nothing is searched."""
        auth = StaticAuth({"Authorization": f"Bearer {TOKEN}"})
        existing = await HubSpotAdapter(hubspot_http(client, hubspot_url, auth)).upsert_contact(
            jane(), None
        )
        http = hubspot_http(client, hubspot_url, auth)

        ref = await HubSpotAdapter(http).upsert_contact(jane(phone="+1 555 0199"), None)

        assert ref == existing
        assert [c.operation for c in http.calls] == ["upsert_contact", "read_contact_companies"]
        [contact] = await objects(hubspot_control, "contacts")
        assert contact["properties"]["phone"] == "+1 555 0199"
        assert len(await objects(hubspot_control, "companies")) == 1

    async def test_concurrent_new_contacts_share_one_request_per_step(
        self, hubspot_url: str, hubspot_control: httpx.AsyncClient
    ) -> None:
        """Pushes in flight together make one batch call per step (upsert, company search,
        company create), each push's log still holding its own input and answer."""
        counting = CountingTransport(httpx.AsyncHTTPTransport())
        async with httpx.AsyncClient(transport=counting, timeout=5) as batching:
            auth = StaticAuth({"Authorization": f"Bearer {TOKEN}"})
            adapter = HubSpotAdapter(hubspot_http(batching, hubspot_url, auth), batch_window=0.05)
            people = [
                jane(email=f"p{n}@firm{n}.com", company=CompanyData(f"firm{n}.com", f"Firm {n}"))
                for n in range(8)
            ]

            async def push(person: ContactData) -> tuple[ContactRef, list[CallRecord]]:
                with recording_calls() as calls:
                    return await adapter.upsert_contact(person, None), calls

            refs = await asyncio.gather(*(push(p) for p in people))

        assert counting.paths == [
            "/crm/v3/objects/contacts/batch/upsert",
            "/crm/v3/objects/companies/search",
            "/crm/v3/objects/companies/batch/create",
        ]
        contacts = {c["properties"]["email"]: c for c in await objects(hubspot_control, "contacts")}
        companies = {c["id"]: c for c in await objects(hubspot_control, "companies")}
        for person, (ref, calls) in zip(people, refs, strict=True):
            assert contacts[person.email]["id"] == ref.contact_id
            assert ref.company_id is not None
            assert companies[ref.company_id]["properties"]["domain"] == person.email.split("@")[1]
            upsert, search, create = calls
            assert upsert.request_body["inputs"][0]["id"] == person.email
            assert upsert.crm_id == ref.contact_id
            assert search.request_body == {"domain": person.email.split("@")[1]}
            assert create.crm_id == ref.company_id


class CountingTransport(httpx.AsyncBaseTransport):
    """Passes requests on, keeping the path of each."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.paths: list[str] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.paths.append(request.url.path)
        return await self.inner.handle_async_request(request)


class TestDeals:
    async def test_a_deal_is_created_with_its_properties_and_associations(
        self, hubspot: HubSpotAdapter, hubspot_control: httpx.AsyncClient, hubspot_url: str
    ) -> None:
        contact = await hubspot.upsert_contact(jane(), None)

        deal_id = await hubspot.upsert_deal(a_deal(), contact, None, recover=False)

        [deal] = await objects(hubspot_control, "deals")
        assert deal["id"] == deal_id
        props = deal["properties"]
        assert props["dealname"] == "Acme - intro"
        assert (props["pipeline"], props["dealstage"]) == ("default", "appointmentscheduled")
        assert props["amount"] == "1500"
        assert props["closedate"] == "2026-02-01T00:00:00.000Z"
        assert props["hubspot_owner_id"] == "123456"
        assert props["deal_currency_code"] == "USD"
        assert props["dealflow_id"] == marker("deal", "d-1")
        assert props["hs_analytics_source"] == "PAID_SEARCH"
        assert await linked(hubspot_url, "deals", deal_id, "contacts") == {contact.contact_id}
        assert await linked(hubspot_url, "deals", deal_id, "companies") == {contact.company_id}

    async def test_no_stage_on_a_new_deal_is_the_pipelines_first(
        self, hubspot: HubSpotAdapter, hubspot_control: httpx.AsyncClient
    ) -> None:
        contact = await hubspot.upsert_contact(jane(company=None), None)

        await hubspot.upsert_deal(a_deal(stage_id=None), contact, None, recover=False)

        [deal] = await objects(hubspot_control, "deals")
        assert deal["properties"]["dealstage"] == "appointmentscheduled"

    async def test_stage_changes_update_the_same_deal(
        self, hubspot: HubSpotAdapter, hubspot_control: httpx.AsyncClient
    ) -> None:
        contact = await hubspot.upsert_contact(jane(), None)
        deal_id = await hubspot.upsert_deal(a_deal(), contact, None, recover=False)

        again = await hubspot.upsert_deal(
            a_deal(stage_id="presentationscheduled", value=Decimal("2500.50")),
            contact,
            deal_id,
            recover=False,
        )

        assert again == deal_id
        [deal] = await objects(hubspot_control, "deals")
        assert deal["properties"]["dealstage"] == "presentationscheduled"
        assert deal["properties"]["amount"] == "2500.50"

    async def test_won_with_value_goes_to_the_closed_won_stage(
        self, hubspot: HubSpotAdapter, hubspot_control: httpx.AsyncClient
    ) -> None:
        contact = await hubspot.upsert_contact(jane(), None)
        deal_id = await hubspot.upsert_deal(a_deal(), contact, None, recover=False)
        closed_at = datetime(2026, 2, 3, 9, 30, tzinfo=UTC)

        await hubspot.upsert_deal(
            a_deal(state=DealState.WON, stage_id=None, value=Decimal("4200"), closed_at=closed_at),
            contact,
            deal_id,
            recover=False,
        )

        [deal] = await objects(hubspot_control, "deals")
        props = deal["properties"]
        assert (props["dealstage"], props["hs_is_closed_won"]) == ("closedwon", "true")
        assert props["amount"] == "4200"
        assert props["closedate"] == "2026-02-03T09:30:00.000Z"

    async def test_lost_with_reason(
        self, hubspot: HubSpotAdapter, hubspot_control: httpx.AsyncClient
    ) -> None:
        contact = await hubspot.upsert_contact(jane(), None)
        deal_id = await hubspot.upsert_deal(a_deal(), contact, None, recover=False)

        await hubspot.upsert_deal(
            a_deal(state=DealState.LOST, stage_id=None, lost_reason="Went with a competitor"),
            contact,
            deal_id,
            recover=False,
        )

        [deal] = await objects(hubspot_control, "deals")
        props = deal["properties"]
        assert (props["dealstage"], props["hs_is_closed"]) == ("closedlost", "true")
        assert props["hs_is_closed_won"] == "false"
        assert props["closed_lost_reason"] == "Went with a competitor"

    async def test_a_mapped_stage_of_another_pipeline_moves_the_deal_there(
        self, hubspot: HubSpotAdapter, hubspot_control: httpx.AsyncClient
    ) -> None:
        seeded = {
            "id": "777",
            "label": "Partners",
            "stages": [
                {"id": "7771", "label": "Intro"},
                {
                    "id": "7772",
                    "label": "Won",
                    "metadata": {"isClosed": "true", "probability": "1.0"},
                },
                {
                    "id": "7773",
                    "label": "Lost",
                    "metadata": {"isClosed": "true", "probability": "0.0"},
                },
            ],
        }
        await hubspot_control.post("/seed/pipelines", json=[seeded])
        contact = await hubspot.upsert_contact(jane(), None)
        deal_id = await hubspot.upsert_deal(a_deal(), contact, None, recover=False)

        await hubspot.upsert_deal(
            a_deal(pipeline_id="777", stage_id=None, state=DealState.WON),
            contact,
            deal_id,
            recover=False,
        )

        [deal] = await objects(hubspot_control, "deals")
        assert (deal["properties"]["pipeline"], deal["properties"]["dealstage"]) == ("777", "7772")

    async def test_a_deal_deleted_in_the_crm_is_made_again(
        self, hubspot: HubSpotAdapter, hubspot_control: httpx.AsyncClient, hubspot_url: str
    ) -> None:
        contact = await hubspot.upsert_contact(jane(), None)
        deal_id = await hubspot.upsert_deal(a_deal(), contact, None, recover=False)
        async with httpx.AsyncClient(base_url=hubspot_url) as http:
            headers = {"Authorization": f"Bearer {TOKEN}"}
            await http.delete(f"/crm/v3/objects/deals/{deal_id}", headers=headers)

        again = await hubspot.upsert_deal(a_deal(), contact, deal_id, recover=False)

        assert again != deal_id
        [deal] = await objects(hubspot_control, "deals")
        assert deal["id"] == again


class TestMeetings:
    async def test_a_meeting_is_created_on_the_contact_and_deal(
        self, hubspot: HubSpotAdapter, hubspot_control: httpx.AsyncClient, hubspot_url: str
    ) -> None:
        contact = await hubspot.upsert_contact(jane(), None)
        deal_id = await hubspot.upsert_deal(a_deal(), contact, None, recover=False)

        meeting_id = await hubspot.upsert_meeting(
            a_meeting(), contact, deal_id, None, recover=False
        )

        [meeting] = await objects(hubspot_control, "meetings")
        props = meeting["properties"]
        assert meeting["id"] == meeting_id
        assert props["hs_meeting_title"] == "Diagnostic call"
        assert props["hs_timestamp"] == props["hs_meeting_start_time"] == "2026-01-20T14:00:00.000Z"
        assert props["hs_meeting_end_time"] == "2026-01-20T14:30:00.000Z"
        assert props["hs_meeting_outcome"] == "SCHEDULED"
        assert props["hubspot_owner_id"] == "123456"
        assert props["dealflow_id"] == marker("meeting", "m-1")
        assert "Europe/Berlin" in props["hs_meeting_body"]
        assert await linked(hubspot_url, "meetings", meeting_id, "contacts") == {contact.contact_id}
        assert await linked(hubspot_url, "meetings", meeting_id, "deals") == {deal_id}

    async def test_reschedule_moves_the_same_meeting(
        self, hubspot: HubSpotAdapter, hubspot_control: httpx.AsyncClient
    ) -> None:
        contact = await hubspot.upsert_contact(jane(), None)
        meeting_id = await hubspot.upsert_meeting(a_meeting(), contact, None, None, recover=False)
        later = STARTS + timedelta(days=1, hours=2)
        moved = a_meeting(
            state=MeetingState.RESCHEDULED, starts_at=later, ends_at=later + timedelta(minutes=45)
        )

        again = await hubspot.upsert_meeting(moved, contact, None, meeting_id, recover=False)

        assert again == meeting_id
        [meeting] = await objects(hubspot_control, "meetings")
        props = meeting["properties"]
        assert props["hs_meeting_start_time"] == "2026-01-21T16:00:00.000Z"
        assert props["hs_meeting_end_time"] == "2026-01-21T16:45:00.000Z"
        assert props["hs_timestamp"] == "2026-01-21T16:00:00.000Z"
        assert props["hs_meeting_outcome"] == "RESCHEDULED"

    @pytest.mark.parametrize(
        ("state", "outcome", "notes", "outcome_code", "shown"),
        [
            (MeetingState.CANCELLED, "CANCELED", None, None, None),
            (MeetingState.NO_SHOW, "NO_SHOW", "Did not join; emailed twice", None, "emailed twice"),
            (MeetingState.COMPLETED, "COMPLETED", "Budget in Q2", "qualified", "Qualified"),
        ],
    )
    async def test_the_state_is_the_meetings_outcome(
        self,
        hubspot: HubSpotAdapter,
        hubspot_control: httpx.AsyncClient,
        state: MeetingState,
        outcome: str,
        notes: str | None,
        outcome_code: str | None,
        shown: str | None,
    ) -> None:
        contact = await hubspot.upsert_contact(jane(), None)
        meeting_id = await hubspot.upsert_meeting(a_meeting(), contact, None, None, recover=False)

        await hubspot.upsert_meeting(
            a_meeting(state=state, notes=notes, outcome=outcome_code),
            contact,
            None,
            meeting_id,
            recover=False,
        )

        [meeting] = await objects(hubspot_control, "meetings")
        assert meeting["properties"]["hs_meeting_outcome"] == outcome
        if shown is not None:
            assert shown in meeting["properties"]["hs_meeting_body"]

    async def test_a_deal_given_later_is_associated_on_the_next_upsert(
        self, hubspot: HubSpotAdapter, hubspot_url: str
    ) -> None:
        contact = await hubspot.upsert_contact(jane(), None)
        meeting_id = await hubspot.upsert_meeting(a_meeting(), contact, None, None, recover=False)
        assert await linked(hubspot_url, "meetings", meeting_id, "deals") == set()
        deal_id = await hubspot.upsert_deal(a_deal(), contact, None, recover=False)

        await hubspot.upsert_meeting(a_meeting(), contact, deal_id, meeting_id, recover=False)

        assert await linked(hubspot_url, "meetings", meeting_id, "deals") == {deal_id}
        assert await linked(hubspot_url, "deals", deal_id, "meetings") == {meeting_id}


class TestRecovery:
    """A create whose answer was lost: the retry (recover=True) finds it by its marker."""

    async def test_a_deal_created_during_a_timeout_is_found_not_made_twice(
        self, hubspot: HubSpotAdapter, hubspot_control: httpx.AsyncClient
    ) -> None:
        contact = await hubspot.upsert_contact(jane(), None)
        await fault(
            hubspot_control,
            kind="timeout",
            count=1,
            apply=True,
            hold_seconds=1,
            method="POST",
            path_prefix="/crm/v3/objects/deals",
        )

        with short_timeout(hubspot.http), pytest.raises(ProviderError) as lost:
            await hubspot.upsert_deal(a_deal(), contact, None, recover=False)
        deal_id = await hubspot.upsert_deal(a_deal(), contact, None, recover=True)

        assert (lost.value.kind, lost.value.uncertain) == (FailureKind.UNAVAILABLE, True)
        [deal] = await objects(hubspot_control, "deals")
        assert deal["id"] == deal_id

    async def test_a_meeting_created_behind_a_server_error_is_found_not_made_twice(
        self, hubspot: HubSpotAdapter, hubspot_control: httpx.AsyncClient, hubspot_url: str
    ) -> None:
        contact = await hubspot.upsert_contact(jane(), None)
        deal_id = await hubspot.upsert_deal(a_deal(), contact, None, recover=False)
        await fault(
            hubspot_control,
            kind="server_error",
            count=1,
            apply=True,
            status=502,
            method="POST",
            path_prefix="/crm/v3/objects/meetings",
        )

        with pytest.raises(ProviderError) as lost:
            await hubspot.upsert_meeting(a_meeting(), contact, None, None, recover=False)
        meeting_id = await hubspot.upsert_meeting(
            a_meeting(state=MeetingState.RESCHEDULED), contact, deal_id, None, recover=True
        )

        assert (lost.value.kind, lost.value.status, lost.value.uncertain) == (
            FailureKind.UNAVAILABLE,
            502,
            True,
        )
        [meeting] = await objects(hubspot_control, "meetings")
        assert meeting["id"] == meeting_id
        assert meeting["properties"]["hs_meeting_outcome"] == "RESCHEDULED"
        assert await linked(hubspot_url, "meetings", meeting_id, "deals") == {deal_id}

    async def test_recover_with_nothing_made_creates(
        self, hubspot: HubSpotAdapter, hubspot_control: httpx.AsyncClient
    ) -> None:
        contact = await hubspot.upsert_contact(jane(), None)

        deal_id = await hubspot.upsert_deal(a_deal(), contact, None, recover=True)

        [deal] = await objects(hubspot_control, "deals")
        assert deal["id"] == deal_id
        assert [c.operation for c in hubspot.http.calls][-2:] == ["search_deal", "create_deal"]


class TestFailures:
    async def test_a_429_is_rate_limited_with_retry_after(
        self, hubspot: HubSpotAdapter, hubspot_control: httpx.AsyncClient
    ) -> None:
        await fault(hubspot_control, kind="rate_limit", count=1, retry_after_ms=2000)

        with pytest.raises(ProviderError) as limited:
            await hubspot.verify()

        assert limited.value.kind is FailureKind.RATE_LIMITED
        assert limited.value.retry_after == 2.0
        assert limited.value.code == "RATE_LIMITS"
        assert limited.value.retryable

    async def test_a_5xx_is_unavailable(
        self, hubspot: HubSpotAdapter, hubspot_control: httpx.AsyncClient
    ) -> None:
        await fault(hubspot_control, kind="server_error", count=1, status=503)

        with pytest.raises(ProviderError) as down:
            await hubspot.pipelines()

        assert (down.value.kind, down.value.status) == (FailureKind.UNAVAILABLE, 503)
        assert not down.value.uncertain  # a read: nothing can have happened

    async def test_a_revoked_token_is_unauthorized(
        self, hubspot: HubSpotAdapter, hubspot_control: httpx.AsyncClient
    ) -> None:
        await fault(hubspot_control, kind="revoke")

        with pytest.raises(ProviderError) as refused:
            await hubspot.upsert_contact(jane(), None)

        assert refused.value.kind is FailureKind.UNAUTHORIZED
        assert refused.value.code == "INVALID_AUTHENTICATION"

    async def test_the_daily_quota_is_exhausted_not_rate_limited(
        self, hubspot: HubSpotAdapter, hubspot_control: httpx.AsyncClient
    ) -> None:
        await hubspot_control.patch("/config", json={"daily_limit": 1})
        await hubspot.verify()

        with pytest.raises(ProviderError) as spent:
            await hubspot.verify()

        assert spent.value.kind is FailureKind.QUOTA_EXHAUSTED
        assert not spent.value.retryable

    async def test_a_timeout_on_a_read_is_unavailable_and_certain(
        self, hubspot: HubSpotAdapter, hubspot_control: httpx.AsyncClient
    ) -> None:
        await fault(hubspot_control, kind="timeout", count=1, hold_seconds=1)

        with short_timeout(hubspot.http), pytest.raises(ProviderError) as slow:
            await hubspot.users()

        assert (slow.value.kind, slow.value.code, slow.value.uncertain) == (
            FailureKind.UNAVAILABLE,
            "timeout",
            False,
        )


class TestCallLog:
    async def test_every_call_is_recorded_without_the_token(
        self, hubspot: HubSpotAdapter, hubspot_transport: ProviderHttp
    ) -> None:
        await hubspot.ensure_schema()
        contact = await hubspot.upsert_contact(jane(), None)
        deal_id = await hubspot.upsert_deal(a_deal(), contact, None, recover=True)
        await hubspot.upsert_meeting(a_meeting(), contact, deal_id, None, recover=False)

        calls = hubspot_transport.take_calls()

        assert [c.operation for c in calls] == [
            "read_properties",
            "create_property",
            "read_properties",
            "create_property",
            "upsert_contact",
            "search_company",
            "create_company",
            "search_deal",
            "create_deal",
            "create_meeting",
        ]
        assert all(c.status in (200, 201, 404) and c.duration_ms >= 0 for c in calls)
        create = next(c for c in calls if c.operation == "create_deal")
        assert create.path == "/crm/v3/objects/deals/batch/create"
        assert create.request_body["inputs"][0]["properties"]["dealname"] == "Acme - intro"
        assert create.response_body["id"] == deal_id
        assert_calls_are_clean(calls, TOKEN)
        assert hubspot_transport.calls == []

    async def test_a_failed_call_is_recorded_with_its_error(
        self, hubspot: HubSpotAdapter, hubspot_control: httpx.AsyncClient
    ) -> None:
        await fault(hubspot_control, kind="server_error", count=1, status=500)

        with pytest.raises(ProviderError):
            await hubspot.upsert_contact(jane(), ContactRef("101"))

        [call] = hubspot.http.calls
        assert (call.operation, call.status, call.error_code) == (
            "update_contact",
            500,
            "INTERNAL_ERROR",
        )
        assert call.error_message == "internal error"
