"""PipedriveAdapter against the Pipedrive emulator over real HTTP (crm_apis.md §2)."""

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta, timezone
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
from crm_push.providers.pipedrive import (
    MARKER_FIELD_NAME,
    PipedriveAdapter,
    api_token_auth,
    pipedrive_http,
)
from crm_push.providers.transport import FailureKind, ProviderError, ProviderHttp
from dealflow_emulators.pipedrive import PipedriveConfig, build_app
from dealflow_libs.testing.http import serve

from .emulated import CLIENT_TIMEOUT, EmulatorControl, assert_calls_are_clean, short_timeout

TOKEN = PipedriveConfig().api_keys[0]
ACME = CompanyData(domain="acme.com", name="Acme")
JANE = ContactData(email="jane@acme.com", full_name="Jane Doe", company=ACME)
BERLIN = timezone(timedelta(hours=2))


@pytest.fixture(scope="module")
async def pd_url() -> AsyncIterator[str]:
    async with serve(build_app()) as url:
        yield url


@pytest.fixture
async def emulator(pd_url: str) -> AsyncIterator[EmulatorControl]:
    async with httpx.AsyncClient(base_url=pd_url, timeout=10) as http:
        control = EmulatorControl(http)
        await control.reset()
        yield control


@pytest.fixture
async def client(emulator: EmulatorControl) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=CLIENT_TIMEOUT) as http:
        yield http


@pytest.fixture
def http(pd_url: str, client: httpx.AsyncClient) -> ProviderHttp:
    return pipedrive_http(client, pd_url, api_token_auth(TOKEN))


@pytest.fixture
def adapter(http: ProviderHttp) -> PipedriveAdapter:
    return PipedriveAdapter(http)


def fresh(adapter: PipedriveAdapter) -> PipedriveAdapter:
    """A new adapter on the same connection, as the worker's next attempt builds one."""
    return PipedriveAdapter(adapter.http)


def a_deal(**changes: Any) -> DealData:
    values: dict[str, Any] = {
        "deal_id": "deal-1",
        "name": "Acme - Intro call",
        "pipeline_id": "1",
        "stage_id": "2",
        "state": DealState.OPEN,
        "value": Decimal("1500"),
        "currency": "EUR",
        "owner_id": "2",
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
        "owner_id": "2",
        "meeting_url": "https://meet.example/abc",
    }
    return MeetingData(**(values | changes))


async def one(emulator: EmulatorControl, kind: str) -> dict[str, Any]:
    [record] = await emulator.objects(kind)
    return record


async def marker_code(emulator: EmulatorControl) -> str:
    fields = await emulator.objects("deal_fields")
    [code] = [f["field_code"] for f in fields if f["field_name"] == MARKER_FIELD_NAME]
    return str(code)


# -- account -------------------------------------------------------------------------------------


async def test_verify_pipelines_and_users(adapter: PipedriveAdapter) -> None:
    await adapter.verify()
    pipelines = await adapter.pipelines()
    assert [(p.id, p.name) for p in pipelines] == [("1", "Sales"), ("2", "Partners")]
    assert [s.name for s in pipelines[0].stages] == [
        "Qualified",
        "Contact Made",
        "Demo Scheduled",
        "Proposal Made",
        "Negotiations Started",
    ]
    assert [(s.id, s.pipeline_id, s.order) for s in pipelines[1].stages] == [
        ("6", "2", 1),
        ("7", "2", 2),
    ]
    users = await adapter.users()
    assert [(u.id, u.email, u.name) for u in users] == [
        ("1", "owner@example.com", "Ada Owner"),
        ("2", "ben@example.com", "Ben Seller"),
    ]
    assert [c.operation for c in adapter.http.calls] == [
        "verify",
        "list_pipelines",
        "list_stages",
        "list_users",
    ]


# -- contacts ------------------------------------------------------------------------------------


async def test_contact_upserted_twice_is_one_person_in_one_organization(
    adapter: PipedriveAdapter, emulator: EmulatorControl
) -> None:
    first = await adapter.upsert_contact(JANE, None)
    again = await adapter.upsert_contact(JANE, None)  # found by email, not created again
    by_id = await adapter.upsert_contact(JANE, first)
    assert first == again == by_id
    assert first.company_id is not None
    person = await one(emulator, "persons")
    org = await one(emulator, "organizations")
    assert person["id"] == int(first.contact_id)
    assert person["name"] == "Jane Doe"
    assert [e["value"] for e in person["emails"]] == ["jane@acme.com"]
    assert person["org_id"] == org["id"] == int(first.company_id)
    assert org["name"] == "Acme"
    writes = [c for c in adapter.http.calls if c.method != "GET"]
    assert [c.operation for c in writes] == ["create_organization", "create_person"]

    colleague = ContactData(
        email="Max@Acme.com", first_name="Max", last_name="Muster", company=ACME
    )
    max_ref = await adapter.upsert_contact(colleague, None)
    assert max_ref.company_id == first.company_id  # the organization is found by name
    assert (await emulator.state())["counts"]["organizations"] == 1


async def test_contact_found_by_email_is_brought_up_to_date(
    adapter: PipedriveAdapter, emulator: EmulatorControl, client: httpx.AsyncClient, pd_url: str
) -> None:
    body = {"name": "jane", "emails": [{"value": "JANE@acme.com", "primary": True}]}
    made = await client.post(f"{pd_url}/api/v2/persons", json=body, headers={"x-api-token": TOKEN})
    person_id = made.json()["data"]["id"]
    ref = await adapter.upsert_contact(
        ContactData(email="jane@acme.com", full_name="Jane Doe", phone="+4930123", company=ACME),
        None,
    )
    assert ref.contact_id == str(person_id)
    person = await one(emulator, "persons")
    assert person["name"] == "Jane Doe"
    assert [p["value"] for p in person["phones"]] == ["+4930123"]
    assert [e["value"] for e in person["emails"]] == ["JANE@acme.com"]  # kept as it was
    assert person["org_id"] == int(ref.company_id or 0) > 0


async def test_a_deleted_person_is_created_again(
    adapter: PipedriveAdapter, emulator: EmulatorControl, client: httpx.AsyncClient, pd_url: str
) -> None:
    gone = await adapter.upsert_contact(JANE, None)
    await client.delete(
        f"{pd_url}/api/v2/persons/{gone.contact_id}", headers={"x-api-token": TOKEN}
    )
    back = await adapter.upsert_contact(JANE, gone)
    assert back.contact_id != gone.contact_id
    assert back.company_id == gone.company_id
    live = [p for p in await emulator.objects("persons") if not p["is_deleted"]]
    assert [p["id"] for p in live] == [int(back.contact_id)]


# -- deals ---------------------------------------------------------------------------------------


async def test_deal_created_moved_won_and_lost(
    adapter: PipedriveAdapter, emulator: EmulatorControl
) -> None:
    contact = await adapter.upsert_contact(JANE, None)
    deal_id = await adapter.upsert_deal(a_deal(), contact, None, recover=False)
    deal = await one(emulator, "deals")
    code = await marker_code(emulator)
    assert deal["id"] == int(deal_id)
    assert (deal["title"], deal["pipeline_id"], deal["stage_id"]) == ("Acme - Intro call", 1, 2)
    assert (deal["value"], deal["currency"], deal["owner_id"]) == (1500, "EUR", 2)
    assert (deal["person_id"], deal["org_id"]) == (int(contact.contact_id), int(contact.company_id))
    assert deal["expected_close_date"] == "2026-03-01"
    assert deal["custom_fields"] == {code: marker("deal", "deal-1")}

    moved = await adapter.upsert_deal(a_deal(stage_id="7"), contact, deal_id, recover=False)
    assert moved == deal_id
    deal = await one(emulator, "deals")
    assert (deal["pipeline_id"], deal["stage_id"]) == (2, 7)  # the stage decides the pipeline

    won = a_deal(stage_id="7", state=DealState.WON, value=Decimal("2500.50"))
    await adapter.upsert_deal(won, contact, deal_id, recover=False)
    deal = await one(emulator, "deals")
    assert (deal["status"], deal["value"], deal["stage_id"]) == ("won", 2500.5, 7)
    assert deal["won_time"] is not None

    lost = a_deal(stage_id=None, state=DealState.LOST, lost_reason="No budget")
    await adapter.upsert_deal(lost, contact, deal_id, recover=False)
    deal = await one(emulator, "deals")
    assert (deal["status"], deal["lost_reason"], deal["stage_id"]) == ("lost", "No budget", 7)
    assert len(await emulator.objects("deal_fields")) == 7  # the marker field declared once


async def test_deal_given_only_a_pipeline_starts_in_its_first_stage(
    adapter: PipedriveAdapter, emulator: EmulatorControl
) -> None:
    contact = await adapter.upsert_contact(JANE, None)
    await adapter.upsert_deal(a_deal(pipeline_id="2", stage_id=None), contact, None, recover=False)
    deal = await one(emulator, "deals")
    assert (deal["pipeline_id"], deal["stage_id"]) == (2, 6)


async def test_deal_create_that_timed_out_is_recovered_not_repeated(
    adapter: PipedriveAdapter, emulator: EmulatorControl
) -> None:
    contact = await adapter.upsert_contact(JANE, None)
    await adapter.ensure_schema()
    await emulator.fault(
        kind="timeout",
        count=1,
        apply=True,
        hold_seconds=1,
        method="POST",
        path_prefix="/api/v2/deals",
    )
    with short_timeout(adapter.http), pytest.raises(ProviderError) as lost_answer:
        await adapter.upsert_deal(a_deal(), contact, None, recover=False)
    assert lost_answer.value.kind is FailureKind.UNAVAILABLE
    assert lost_answer.value.uncertain
    assert (await emulator.state())["counts"]["deals"] == 1  # the create happened

    retry = fresh(adapter)
    deal_id = await retry.upsert_deal(a_deal(value=Decimal(1800)), contact, None, recover=True)
    deal = await one(emulator, "deals")
    assert deal["id"] == int(deal_id)
    assert deal["value"] == 1800  # the found deal is brought up to date
    assert "create_deal" not in [c.operation for c in retry.http.calls[-3:]]


async def test_recover_with_nothing_to_find_creates(
    adapter: PipedriveAdapter, emulator: EmulatorControl
) -> None:
    contact = await adapter.upsert_contact(JANE, None)
    other = await adapter.upsert_deal(a_deal(deal_id="other"), contact, None, recover=False)
    deal_id = await adapter.upsert_deal(a_deal(), contact, None, recover=True)
    assert deal_id != other
    assert (await emulator.state())["counts"]["deals"] == 2


async def test_deal_deleted_in_pipedrive_is_created_again(
    adapter: PipedriveAdapter, emulator: EmulatorControl, client: httpx.AsyncClient, pd_url: str
) -> None:
    contact = await adapter.upsert_contact(JANE, None)
    first = await adapter.upsert_deal(a_deal(), contact, None, recover=False)
    await client.delete(f"{pd_url}/api/v2/deals/{first}", headers={"x-api-token": TOKEN})
    second = await adapter.upsert_deal(a_deal(), contact, first, recover=False)
    assert second != first
    statuses = sorted(d["status"] for d in await emulator.objects("deals"))
    assert statuses == ["deleted", "open"]


# -- meetings ------------------------------------------------------------------------------------


async def test_meeting_scheduled_rescheduled_cancelled_no_show_completed(
    adapter: PipedriveAdapter, emulator: EmulatorControl
) -> None:
    contact = await adapter.upsert_contact(JANE, None)
    activity_id = await adapter.upsert_meeting(a_meeting(), contact, None, None, recover=False)
    act = await one(emulator, "activities")
    assert act["id"] == int(activity_id)
    assert (act["type"], act["subject"]) == ("meeting", "Intro call")
    assert (act["due_date"], act["due_time"], act["duration"]) == ("2026-01-20", "14:00", "00:45")
    assert (act["person_id"], act["org_id"], act["owner_id"]) == (
        int(contact.contact_id),
        int(contact.company_id or 0),
        2,
    )
    assert act["participants"] == [{"person_id": int(contact.contact_id), "primary": True}]
    assert (act["done"], act["busy"]) == (False, True)
    assert "Status: Scheduled" in act["note"]
    assert "https://meet.example/abc" in act["note"]
    assert marker("meeting", "meeting-1") in act["note"]

    later = datetime(2026, 1, 22, 9, 30, tzinfo=UTC)
    moved = a_meeting(
        state=MeetingState.RESCHEDULED, starts_at=later, ends_at=later + timedelta(hours=1)
    )
    assert await adapter.upsert_meeting(moved, contact, None, activity_id, recover=False) == (
        activity_id
    )
    act = await one(emulator, "activities")  # the same activity, moved
    assert (act["due_date"], act["due_time"], act["duration"]) == ("2026-01-22", "09:30", "01:00")
    assert "Status: Rescheduled" in act["note"]

    cancelled = a_meeting(state=MeetingState.CANCELLED, notes="Prospect asked to cancel")
    await adapter.upsert_meeting(cancelled, contact, None, activity_id, recover=False)
    act = await one(emulator, "activities")
    assert (act["subject"], act["done"], act["busy"]) == ("Cancelled: Intro call", True, False)
    assert "Status: Cancelled" in act["note"]
    assert "Prospect asked to cancel" in act["note"]

    no_show = a_meeting(state=MeetingState.NO_SHOW)
    await adapter.upsert_meeting(no_show, contact, None, activity_id, recover=False)
    act = await one(emulator, "activities")
    assert (act["subject"], act["done"]) == ("No-show: Intro call", True)

    completed = a_meeting(
        state=MeetingState.COMPLETED, outcome="qualified", notes="Next: <b>proposal</b>"
    )
    await adapter.upsert_meeting(completed, contact, None, activity_id, recover=False)
    act = await one(emulator, "activities")
    assert (act["subject"], act["done"]) == ("Intro call", True)
    assert "Outcome: qualified" in act["note"]
    assert "Next: &lt;b&gt;proposal&lt;/b&gt;" in act["note"]  # text, escaped into the HTML note
    assert act["marked_as_done_time"] is not None


async def test_meeting_linked_to_a_deal_given_later(
    adapter: PipedriveAdapter, emulator: EmulatorControl
) -> None:
    contact = await adapter.upsert_contact(JANE, None)
    activity_id = await adapter.upsert_meeting(a_meeting(), contact, None, None, recover=False)
    assert (await one(emulator, "activities"))["deal_id"] is None
    deal_id = await adapter.upsert_deal(a_deal(), contact, None, recover=False)
    await adapter.upsert_meeting(a_meeting(), contact, deal_id, activity_id, recover=False)
    assert (await one(emulator, "activities"))["deal_id"] == int(deal_id)


async def test_meeting_create_answered_with_a_5xx_is_recovered_not_repeated(
    adapter: PipedriveAdapter, emulator: EmulatorControl
) -> None:
    contact = await adapter.upsert_contact(JANE, None)
    await adapter.upsert_meeting(
        a_meeting(meeting_id="meeting-10"), contact, None, None, recover=False
    )
    await emulator.fault(
        kind="server_error", count=1, apply=True, method="POST", path_prefix="/api/v2/activities"
    )
    with pytest.raises(ProviderError) as failed:
        await adapter.upsert_meeting(a_meeting(), contact, None, None, recover=False)
    assert (failed.value.kind, failed.value.uncertain) == (FailureKind.UNAVAILABLE, True)

    found = await adapter.upsert_meeting(a_meeting(), contact, None, None, recover=True)
    activities = await emulator.objects("activities")
    assert len(activities) == 2  # meeting-10 and the one the 5xx hid: nothing repeated
    [act] = [a for a in activities if a["id"] == int(found)]
    assert marker("meeting", "meeting-1") in act["note"]


# -- failures ------------------------------------------------------------------------------------


async def test_burst_429_is_rate_limited_with_the_window_reset(
    adapter: PipedriveAdapter, emulator: EmulatorControl
) -> None:
    await emulator.fault(kind="rate_limit", count=1, retry_after_ms=2000)
    with pytest.raises(ProviderError) as limited:
        await adapter.verify()
    assert limited.value.kind is FailureKind.RATE_LIMITED
    assert limited.value.retry_after == 2.0  # x-ratelimit-reset: Pipedrive sends no Retry-After


async def test_5xx_is_unavailable(adapter: PipedriveAdapter, emulator: EmulatorControl) -> None:
    await emulator.fault(kind="server_error", count=1, status=503)
    with pytest.raises(ProviderError) as failed:
        await adapter.pipelines()
    assert (failed.value.kind, failed.value.status) == (FailureKind.UNAVAILABLE, 503)
    assert failed.value.uncertain is False  # a read


async def test_revoked_token_is_unauthorized(
    adapter: PipedriveAdapter, emulator: EmulatorControl
) -> None:
    await emulator.fault(kind="revoke")
    with pytest.raises(ProviderError) as refused:
        await adapter.verify()
    assert (refused.value.kind, refused.value.status) == (FailureKind.UNAUTHORIZED, 401)
    assert refused.value.code == "401"


async def test_spent_daily_write_budget_is_quota_exhausted(
    adapter: PipedriveAdapter, emulator: EmulatorControl
) -> None:
    await emulator.configure(daily_write_budget=2)  # organization and person
    await adapter.upsert_contact(JANE, None)
    with pytest.raises(ProviderError) as spent:
        await adapter.upsert_deal(a_deal(), ContactRef("1"), None, recover=False)
    assert (spent.value.kind, spent.value.status) == (FailureKind.QUOTA_EXHAUSTED, 429)
    assert not spent.value.retryable


async def test_every_call_is_logged_and_the_token_never_is(
    adapter: PipedriveAdapter, emulator: EmulatorControl
) -> None:
    contact = await adapter.upsert_contact(JANE, None)
    deal_id = await adapter.upsert_deal(a_deal(), contact, None, recover=True)
    await adapter.upsert_meeting(a_meeting(), contact, deal_id, None, recover=True)
    await adapter.users()
    calls = adapter.http.calls
    assert_calls_are_clean(calls, TOKEN)
    received = await emulator.requests()
    assert len(received) == len(calls)  # nothing sent that the log does not show
    assert all("api_token" not in r["query"] for r in received)  # the header, never the query
    assert {c.operation for c in calls} >= {
        "search_person",
        "search_organization",
        "create_organization",
        "create_person",
        "list_deal_fields",
        "create_deal_field",
        "find_deal",
        "create_deal",
        "find_activity",
        "create_activity",
        "list_users",
    }
