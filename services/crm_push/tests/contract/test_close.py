"""CloseAdapter against the Close emulator over real HTTP (crm_apis.md §3)."""

import base64
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import httpx
import pytest

from crm_push.providers.base import (
    CompanyData,
    ContactData,
    DealData,
    DealState,
    MeetingData,
    MeetingState,
    Pipeline,
    marker,
)
from crm_push.providers.close import (
    MEETING_FIELDS,
    MEETING_TYPE_NAME,
    CloseAdapter,
    MeetingSchema,
    api_key_auth,
    close_http,
)
from crm_push.providers.transport import FailureKind, ProviderError, ProviderHttp
from dealflow_emulators.close import CloseConfig, build_app
from dealflow_libs.testing.http import serve

from .emulated import CLIENT_TIMEOUT, EmulatorControl, assert_calls_are_clean, short_timeout

KEY = CloseConfig().api_keys[0]
ACME = CompanyData(domain="acme.com", name="Acme")
JANE = ContactData(email="jane@acme.com", full_name="Jane Doe", phone="+4930123", company=ACME)
BERLIN = timezone(timedelta(hours=2))


@pytest.fixture(scope="module")
async def close_url() -> AsyncIterator[str]:
    async with serve(build_app()) as url:
        yield url


@pytest.fixture
async def emulator(close_url: str) -> AsyncIterator[EmulatorControl]:
    async with httpx.AsyncClient(base_url=close_url, timeout=10) as http:
        control = EmulatorControl(http)
        await control.reset()
        yield control


@pytest.fixture
async def api(close_url: str, emulator: EmulatorControl) -> AsyncIterator[httpx.AsyncClient]:
    """Close itself, for what a user would do there by hand."""
    async with httpx.AsyncClient(base_url=f"{close_url}/api/v1", auth=(KEY, "")) as http:
        yield http


@pytest.fixture
async def client(emulator: EmulatorControl) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=CLIENT_TIMEOUT) as http:
        yield http


@pytest.fixture
def http(close_url: str, client: httpx.AsyncClient) -> ProviderHttp:
    return close_http(client, close_url, api_key_auth(KEY))


@pytest.fixture
def adapter(http: ProviderHttp) -> CloseAdapter:
    return CloseAdapter(http)


@pytest.fixture
async def sales(adapter: CloseAdapter) -> Pipeline:
    [pipeline] = await adapter.pipelines()
    return pipeline


def status(pipeline: Pipeline, label: str) -> str:
    [found] = [s.id for s in pipeline.stages if s.name == label]
    return found


def a_deal(**changes: Any) -> DealData:
    values: dict[str, Any] = {
        "deal_id": "deal-1",
        "name": "Acme - Intro call",
        "pipeline_id": None,
        "stage_id": None,
        "state": DealState.OPEN,
        "value": Decimal("1500.25"),
        "currency": "USD",
        "owner_id": None,
        "expected_close_date": date(2026, 3, 1),
    }
    return DealData(**(values | changes))


def a_meeting(**changes: Any) -> MeetingData:
    values: dict[str, Any] = {
        "meeting_id": "meeting-1",
        "title": "Intro call",
        "starts_at": datetime(2026, 1, 20, 16, 0, tzinfo=BERLIN),
        "ends_at": datetime(2026, 1, 20, 16, 45, tzinfo=BERLIN),
        "time_zone": "Europe/Berlin",
        "state": MeetingState.SCHEDULED,
        "owner_id": None,
        "meeting_url": "https://meet.example/abc",
    }
    return MeetingData(**(values | changes))


async def one(emulator: EmulatorControl, kind: str) -> dict[str, Any]:
    [record] = await emulator.objects(kind)
    return record


def fields_of(schema: MeetingSchema, activity: dict[str, Any]) -> dict[str, Any]:
    """A custom activity's values by field key (`start`, `status`, ...)."""
    return {spec.key: activity.get(schema.key(spec.key)) for spec in MEETING_FIELDS}


# -- account -------------------------------------------------------------------------------------


async def test_verify_pipelines_and_users(adapter: CloseAdapter) -> None:
    await adapter.verify()
    [sales] = await adapter.pipelines()
    assert sales.name == "Sales"
    assert [(s.name, s.order) for s in sales.stages] == [
        ("Active", 1),
        ("Demo Completed", 2),
        ("Won", 3),
        ("Lost", 4),
    ]
    assert all(s.id.startswith("stat_") and s.pipeline_id == sales.id for s in sales.stages)
    users = await adapter.users()
    assert [(u.email, u.name) for u in users] == [
        ("owner@example.com", "Ada Owner"),
        ("ben@example.com", "Ben Seller"),
    ]
    assert all(u.id.startswith("user_") for u in users)


# -- contacts and leads --------------------------------------------------------------------------


async def test_contact_upserted_twice_is_one_contact_on_one_lead(
    adapter: CloseAdapter, emulator: EmulatorControl
) -> None:
    first = await adapter.upsert_contact(JANE, None)
    again = await adapter.upsert_contact(JANE, None)  # found by email, not created again
    by_id = await adapter.upsert_contact(JANE, first)
    assert first == again == by_id
    contact = await one(emulator, "contacts")
    lead = await one(emulator, "leads")
    assert (contact["id"], contact["lead_id"]) == (first.contact_id, first.company_id)
    assert lead["id"] == first.company_id
    assert (lead["name"], lead["url"]) == ("Acme", "https://acme.com")
    assert contact["name"] == "Jane Doe"
    assert [e["email"] for e in contact["emails"]] == ["jane@acme.com"]
    assert [p["phone"] for p in contact["phones"]] == ["+4930123"]
    writes = [c.operation for c in adapter.http.calls if c.method != "GET"]
    assert writes == ["search_contact", "search_lead", "create_lead", "search_contact"]

    colleague = ContactData(
        email="max@ACME.com", first_name="Max", last_name="Muster", company=ACME
    )
    max_ref = await adapter.upsert_contact(colleague, None)
    assert max_ref.company_id == first.company_id  # a contact at the domain: the same lead
    counts = (await emulator.state())["counts"]
    assert (counts["leads"], counts["contacts"]) == (1, 2)


async def test_a_longer_address_is_not_taken_for_the_email(
    adapter: CloseAdapter, emulator: EmulatorControl, api: httpx.AsyncClient
) -> None:
    """`full_words` finds jane@acme.com.au for jane@acme.com: the adapter compares."""
    other = {
        "name": "Acme Australia",
        "contacts": [{"name": "Jane Roe", "emails": [{"email": "jane@acme.com.au"}]}],
    }
    (await api.post("/lead/", json=other)).raise_for_status()
    ref = await adapter.upsert_contact(JANE, None)
    counts = (await emulator.state())["counts"]
    assert (counts["leads"], counts["contacts"]) == (2, 2)
    lead = next(x for x in await emulator.objects("leads") if x["id"] == ref.company_id)
    assert lead["name"] == "Acme"


async def test_a_new_contact_joins_the_lead_named_like_its_company(
    adapter: CloseAdapter, emulator: EmulatorControl, api: httpx.AsyncClient
) -> None:
    made = (await api.post("/lead/", json={"name": "ACME"})).json()
    ref = await adapter.upsert_contact(JANE, None)
    assert ref.company_id == made["id"]
    assert (await emulator.state())["counts"]["leads"] == 1


async def test_a_personal_address_gets_a_lead_named_after_the_person(
    adapter: CloseAdapter, emulator: EmulatorControl
) -> None:
    ref = await adapter.upsert_contact(
        ContactData(email="sam@gmail.com", first_name="Sam", last_name="Private"), None
    )
    lead = await one(emulator, "leads")
    assert (lead["id"], lead["name"]) == (ref.company_id, "Sam Private")


async def test_contact_found_by_email_is_brought_up_to_date(
    adapter: CloseAdapter, emulator: EmulatorControl, api: httpx.AsyncClient
) -> None:
    body = {"name": "Acme", "contacts": [{"name": "jd", "emails": [{"email": "Jane@Acme.com"}]}]}
    (await api.post("/lead/", json=body)).raise_for_status()
    await adapter.upsert_contact(JANE, None)
    contact = await one(emulator, "contacts")
    assert contact["name"] == "Jane Doe"
    assert [p["phone"] for p in contact["phones"]] == ["+4930123"]
    assert [e["email"] for e in contact["emails"]] == ["Jane@Acme.com"]


# -- opportunities -------------------------------------------------------------------------------


async def test_opportunity_created_moved_won_and_lost(
    adapter: CloseAdapter, emulator: EmulatorControl, sales: Pipeline
) -> None:
    users = await adapter.users()
    contact = await adapter.upsert_contact(JANE, None)
    first = a_deal(stage_id=status(sales, "Active"), owner_id=users[1].id)
    opp_id = await adapter.upsert_deal(first, contact, None, recover=False)
    opp = await one(emulator, "opportunities")
    assert opp["id"] == opp_id
    assert (opp["lead_id"], opp["contact_id"]) == (contact.company_id, contact.contact_id)
    assert (opp["value"], opp["value_currency"], opp["user_id"]) == (150025, "USD", users[1].id)
    assert opp["status_id"] == status(sales, "Active")
    assert opp["date_won"] == "2026-03-01"  # Close's expected close date of an active one
    assert opp["note"].splitlines() == [
        "Acme - Intro call",
        f"Dealflow reference: {marker('deal', 'deal-1')}",
    ]

    moved = a_deal(stage_id=status(sales, "Demo Completed"))
    assert await adapter.upsert_deal(moved, contact, opp_id, recover=False) == opp_id
    assert (await one(emulator, "opportunities"))["status_id"] == status(sales, "Demo Completed")

    won = a_deal(
        state=DealState.WON, value=Decimal(2500), closed_at=datetime(2026, 2, 2, 23, tzinfo=BERLIN)
    )
    await adapter.upsert_deal(won, contact, opp_id, recover=False)
    opp = await one(emulator, "opportunities")
    assert opp["status_id"] == status(sales, "Won")  # the pipeline's won status
    assert (opp["value"], opp["confidence"], opp["date_won"]) == (250000, 100, "2026-02-02")

    lost = a_deal(state=DealState.LOST, lost_reason="No budget")
    await adapter.upsert_deal(lost, contact, opp_id, recover=False)
    opp = await one(emulator, "opportunities")
    assert (opp["status_id"], opp["confidence"]) == (status(sales, "Lost"), 0)
    assert "Lost: No budget" in opp["note"].splitlines()


async def test_open_deal_without_a_stage_starts_in_the_first_active_status(
    adapter: CloseAdapter, emulator: EmulatorControl, sales: Pipeline
) -> None:
    contact = await adapter.upsert_contact(JANE, None)
    await adapter.upsert_deal(a_deal(pipeline_id=sales.id), contact, None, recover=False)
    assert (await one(emulator, "opportunities"))["status_id"] == status(sales, "Active")


async def test_opportunity_create_that_timed_out_is_recovered_not_repeated(
    adapter: CloseAdapter, emulator: EmulatorControl
) -> None:
    contact = await adapter.upsert_contact(JANE, None)
    await adapter.upsert_deal(a_deal(deal_id="deal-10"), contact, None, recover=False)
    await emulator.fault(
        kind="timeout",
        count=1,
        apply=True,
        hold_seconds=1,
        method="POST",
        path_prefix="/api/v1/opportunity",
    )
    with short_timeout(adapter.http), pytest.raises(ProviderError) as lost_answer:
        await adapter.upsert_deal(a_deal(), contact, None, recover=False)
    assert (lost_answer.value.kind, lost_answer.value.uncertain) == (FailureKind.UNAVAILABLE, True)

    found = await adapter.upsert_deal(a_deal(value=Decimal(99)), contact, None, recover=True)
    opportunities = await emulator.objects("opportunities")
    assert len(opportunities) == 2  # deal-10 and the one the timeout hid: nothing repeated
    [opp] = [o for o in opportunities if o["id"] == found]
    assert opp["value"] == 9900
    assert marker("deal", "deal-1") in opp["note"]


async def test_a_refused_write_is_rejected_with_the_field_errors(
    adapter: CloseAdapter, emulator: EmulatorControl
) -> None:
    contact = await adapter.upsert_contact(JANE, None)
    with pytest.raises(ProviderError) as refused:
        await adapter.upsert_deal(a_deal(stage_id="stat_nope"), contact, None, recover=False)
    error = refused.value
    assert (error.kind, error.status, error.code) == (FailureKind.REJECTED, 400, "validation_error")
    assert "status_id: Object does not exist." in error.message
    assert adapter.http.calls[-1].error_message == "status_id: Object does not exist."


# -- meetings ------------------------------------------------------------------------------------


async def test_meeting_schema_is_declared_once(
    adapter: CloseAdapter, emulator: EmulatorControl
) -> None:
    schema = await adapter.ensure_schema()
    again = await CloseAdapter(adapter.http).ensure_schema()  # a new adapter finds it by name
    assert again == schema
    [kind] = await emulator.objects("custom_activity_types")
    assert (kind["id"], kind["name"]) == (schema.type_id, MEETING_TYPE_NAME)
    fields = await emulator.objects("activity_custom_fields")
    assert sorted(f["name"] for f in fields) == sorted(spec.name for spec in MEETING_FIELDS)
    [state] = [f for f in fields if f["name"] == "Status"]
    assert state["choices"] == ["Scheduled", "Rescheduled", "Cancelled", "Completed", "No-show"]


async def test_meeting_scheduled_rescheduled_cancelled_no_show_completed(
    adapter: CloseAdapter, emulator: EmulatorControl
) -> None:
    owner = (await adapter.users())[1]
    contact = await adapter.upsert_contact(JANE, None)
    activity_id = await adapter.upsert_meeting(
        a_meeting(owner_id=owner.id), contact, None, None, recover=False
    )
    schema = await adapter.ensure_schema()
    act = await one(emulator, "custom_activities")
    assert act["id"] == activity_id
    assert (act["custom_activity_type_id"], act["status"]) == (schema.type_id, "published")
    assert (act["lead_id"], act["contact_id"], act["user_id"]) == (
        contact.company_id,
        contact.contact_id,
        owner.id,
    )
    assert fields_of(schema, act) == {
        "title": "Intro call",
        "start": "2026-01-20T14:00:00+00:00",
        "end": "2026-01-20T14:45:00+00:00",
        "time_zone": "Europe/Berlin",
        "status": "Scheduled",
        "outcome": None,
        "notes": None,
        "link": "https://meet.example/abc",
        "opportunity": None,
        "dealflow_id": marker("meeting", "meeting-1"),
    }

    later = datetime(2026, 1, 22, 9, 30, tzinfo=UTC)
    moved = a_meeting(
        state=MeetingState.RESCHEDULED, starts_at=later, ends_at=later + timedelta(hours=1)
    )
    assert await adapter.upsert_meeting(moved, contact, None, activity_id, recover=False) == (
        activity_id
    )
    values = fields_of(schema, await one(emulator, "custom_activities"))  # the same activity
    assert (values["start"], values["end"], values["status"]) == (
        "2026-01-22T09:30:00+00:00",
        "2026-01-22T10:30:00+00:00",
        "Rescheduled",
    )

    cancelled = a_meeting(state=MeetingState.CANCELLED, notes="Prospect asked to cancel")
    await adapter.upsert_meeting(cancelled, contact, None, activity_id, recover=False)
    values = fields_of(schema, await one(emulator, "custom_activities"))
    assert (values["status"], values["notes"]) == ("Cancelled", "Prospect asked to cancel")

    await adapter.upsert_meeting(
        a_meeting(state=MeetingState.NO_SHOW), contact, None, activity_id, recover=False
    )
    values = fields_of(schema, await one(emulator, "custom_activities"))
    assert (values["status"], values["notes"]) == ("No-show", None)

    completed = a_meeting(state=MeetingState.COMPLETED, outcome="not_a_fit", location="Office")
    await adapter.upsert_meeting(completed, contact, None, activity_id, recover=False)
    values = fields_of(schema, await one(emulator, "custom_activities"))
    assert (values["status"], values["outcome"], values["notes"]) == (
        "Completed",
        "not a fit",
        "Location: Office",
    )


async def test_meeting_linked_to_a_deal_given_later(
    adapter: CloseAdapter, emulator: EmulatorControl
) -> None:
    contact = await adapter.upsert_contact(JANE, None)
    activity_id = await adapter.upsert_meeting(a_meeting(), contact, None, None, recover=False)
    opp_id = await adapter.upsert_deal(a_deal(), contact, None, recover=False)
    await adapter.upsert_meeting(a_meeting(), contact, opp_id, activity_id, recover=False)
    schema = await adapter.ensure_schema()
    assert fields_of(schema, await one(emulator, "custom_activities"))["opportunity"] == opp_id


async def test_meeting_create_answered_with_a_5xx_is_recovered_not_repeated(
    adapter: CloseAdapter, emulator: EmulatorControl
) -> None:
    contact = await adapter.upsert_contact(JANE, None)
    await adapter.ensure_schema()
    await emulator.fault(
        kind="server_error", count=1, apply=True, method="POST", path_prefix="/api/v1/activity"
    )
    with pytest.raises(ProviderError) as failed:
        await adapter.upsert_meeting(a_meeting(), contact, None, None, recover=False)
    assert (failed.value.kind, failed.value.uncertain) == (FailureKind.UNAVAILABLE, True)
    assert (await emulator.state())["counts"]["custom_activities"] == 1  # it happened

    retry = CloseAdapter(adapter.http)
    found = await retry.upsert_meeting(a_meeting(), contact, None, None, recover=True)
    assert (await one(emulator, "custom_activities"))["id"] == found


async def test_a_meeting_deleted_in_close_is_created_again(
    adapter: CloseAdapter, emulator: EmulatorControl, api: httpx.AsyncClient
) -> None:
    contact = await adapter.upsert_contact(JANE, None)
    first = await adapter.upsert_meeting(a_meeting(), contact, None, None, recover=False)
    (await api.delete(f"/activity/custom/{first}/")).raise_for_status()
    second = await adapter.upsert_meeting(a_meeting(), contact, None, first, recover=False)
    assert second != first
    assert (await one(emulator, "custom_activities"))["id"] == second


# -- failures ------------------------------------------------------------------------------------


async def test_429_is_rate_limited_with_retry_after(
    adapter: CloseAdapter, emulator: EmulatorControl
) -> None:
    await emulator.fault(kind="rate_limit", count=1, retry_after_ms=2000)
    with pytest.raises(ProviderError) as limited:
        await adapter.verify()
    assert (limited.value.kind, limited.value.retry_after) == (FailureKind.RATE_LIMITED, 2.0)


async def test_5xx_is_unavailable(adapter: CloseAdapter, emulator: EmulatorControl) -> None:
    await emulator.fault(kind="server_error", count=1, status=502)
    with pytest.raises(ProviderError) as failed:
        await adapter.users()
    assert (failed.value.kind, failed.value.status) == (FailureKind.UNAVAILABLE, 502)


async def test_revoked_key_is_unauthorized(
    adapter: CloseAdapter, emulator: EmulatorControl
) -> None:
    await emulator.fault(kind="revoke")
    with pytest.raises(ProviderError) as refused:
        await adapter.verify()
    assert (refused.value.kind, refused.value.status) == (FailureKind.UNAUTHORIZED, 401)
    assert refused.value.message.endswith("The API key or access token is invalid.")


async def test_every_call_is_logged_and_the_key_never_is(
    adapter: CloseAdapter, emulator: EmulatorControl
) -> None:
    contact = await adapter.upsert_contact(JANE, None)
    opp_id = await adapter.upsert_deal(a_deal(), contact, None, recover=True)
    await adapter.upsert_meeting(a_meeting(), contact, opp_id, None, recover=True)
    calls = adapter.http.calls
    assert_calls_are_clean(calls, KEY)
    assert_calls_are_clean(calls, base64.b64encode(f"{KEY}:".encode()).decode())
    assert len(await emulator.requests()) == len(calls)
    assert {c.operation for c in calls} >= {
        "search_contact",
        "search_lead",
        "create_lead",
        "list_pipelines",
        "find_opportunity",
        "create_opportunity",
        "list_activity_types",
        "create_activity_type",
        "list_activity_fields",
        "create_activity_field",
        "find_activity",
        "create_activity",
    }
