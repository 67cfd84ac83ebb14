"""The Close emulator over real HTTP against crm_apis.md §3 (examples, auth, OAuth, search,
pagination, RateLimit header, faults, state)."""

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from dealflow_emulators.close import build_app
from dealflow_libs.testing.http import serve

KEY = "close-dev-api-key"


@pytest.fixture(scope="module")
async def url() -> AsyncIterator[str]:
    async with serve(build_app()) as base:
        yield base


@pytest.fixture
async def cl(url: str) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=f"{url}/api/v1", auth=(KEY, ""), timeout=10) as client:
        assert (await client.post(f"{url}/_emulator/reset")).status_code == 204
        yield client


def _lead_body(email: str = "jane@acme.com") -> dict[str, Any]:
    return {
        "name": "Acme Inc",
        "contacts": [
            {
                "name": "Jane Doe",
                "title": "CEO",
                "emails": [{"type": "office", "email": email}],
                "phones": [{"type": "office", "phone": "+16503334444"}],
            }
        ],
    }


def _email_query(*emails: str) -> dict[str, Any]:
    """The search body Cal.com sends (crm_apis.md §3.5 a)."""
    conditions = [
        {
            "type": "field_condition",
            "negate": False,
            "field": {
                "type": "regular_field",
                "object_type": "contact_email",
                "field_name": "email",
            },
            "condition": {"type": "text", "mode": "full_words", "value": email},
        }
        for email in emails
    ]
    return {
        "limit": None,
        "_fields": {"contact": ["id", "name", "emails"]},
        "query": {
            "type": "and",
            "negate": False,
            "queries": [
                {"type": "object_type", "object_type": "contact", "negate": False},
                {
                    "type": "and",
                    "negate": False,
                    "queries": [
                        {
                            "type": "has_related",
                            "negate": False,
                            "this_object_type": "contact",
                            "related_object_type": "contact_email",
                            "related_query": {"type": "or", "negate": False, "queries": conditions},
                        }
                    ],
                },
            ],
        },
        "results_limit": None,
        "sort": [],
    }


async def test_lead_with_nested_contact_as_documented(cl: httpx.AsyncClient) -> None:
    answer = await cl.post("/lead/", json=_lead_body())
    assert answer.status_code == 200
    lead = answer.json()
    assert lead["id"].startswith("lead_")
    assert lead["display_name"] == "Acme Inc"
    assert lead["status_label"] == "Potential"
    assert lead["html_url"] == f"https://app.close.com/lead/{lead['id']}/"
    [contact] = lead["contacts"]
    assert contact["id"].startswith("cont_")
    assert contact["emails"] == [
        {"type": "office", "email": "jane@acme.com", "email_lower": "jane@acme.com"}
    ]
    assert contact["organization_id"].startswith("orga_")
    assert lead["contact_ids"] == [contact["id"]]
    assert lead["opportunities"] == []
    both = await cl.post("/lead/", json={"status": "Potential", "status_id": lead["status_id"]})
    assert both.status_code == 400
    nested = await cl.post("/lead/", json={"name": "X", "opportunities": [{"value": 1}]})
    assert nested.status_code == 400
    assert "opportunities" in nested.json()["field-errors"]


async def test_contact_on_a_lead_and_without_one(cl: httpx.AsyncClient) -> None:
    lead = (await cl.post("/lead/", json={"name": "Acme Inc"})).json()
    body = {"lead_id": lead["id"], "name": "Jane Doe", "emails": [{"email": "jane@acme.com"}]}
    contact = (await cl.post("/contact/", json=body)).json()
    assert contact["lead_id"] == lead["id"]
    assert contact["display_name"] == "Jane Doe"
    alone = (await cl.post("/contact/", json={"name": "Solo Sam"})).json()
    own_lead = (await cl.get(f"/lead/{alone['lead_id']}/")).json()
    assert own_lead["display_name"] == "Solo Sam"  # a lead named after the contact
    bad = await cl.post("/contact/", json={"lead_id": lead["id"], "emails": [{"email": "nope"}]})
    assert bad.status_code == 400
    assert bad.json() == {
        "errors": [],
        "field-errors": {"emails": "Each email needs a valid `email`."},
    }
    listed = (await cl.get("/contact", params={"lead_id": lead["id"]})).json()  # no slash too
    assert [c["id"] for c in listed["data"]] == [contact["id"]]


async def test_search_finds_contacts_by_email(cl: httpx.AsyncClient) -> None:
    jane = (await cl.post("/lead/", json=_lead_body())).json()["contacts"][0]
    await cl.post("/lead/", json=_lead_body("john@other.com"))
    found = (await cl.post("/data/search/", json=_email_query("JANE@acme.com"))).json()
    assert found == {
        "data": [
            {
                "__object_type": "contact",
                "id": jane["id"],
                "lead_id": jane["lead_id"],
                "name": "Jane Doe",
                "emails": jane["emails"],
            }
        ],
        "cursor": None,
    }
    both = await cl.post("/data/search/", json=_email_query("jane@acme.com", "john@other.com"))
    assert len(both.json()["data"]) == 2
    none = (await cl.post("/data/search/", json=_email_query("nobody@acme.com"))).json()
    assert none["data"] == []
    bad = await cl.post("/data/search/", json={"query": {"type": "telepathy"}})
    assert bad.status_code == 400
    assert bad.json()["errors"]


async def test_search_finds_leads_through_their_contacts_emails(cl: httpx.AsyncClient) -> None:
    """lead -> contact -> contact_email, ORed with the lead's name; a lead's relation is not
    asked of a contact (each `has_related` names `this_object_type`)."""
    acme = (await cl.post("/lead/", json=_lead_body())).json()
    named = (await cl.post("/lead/", json={"name": "Globex"})).json()
    await cl.post("/lead/", json=_lead_body("joe@other.com") | {"name": "Other"})
    at_domain = {
        "type": "has_related",
        "this_object_type": "lead",
        "related_object_type": "contact",
        "related_query": {
            "type": "has_related",
            "this_object_type": "contact",
            "related_object_type": "contact_email",
            "related_query": {
                "type": "field_condition",
                "field": {
                    "type": "regular_field",
                    "object_type": "contact_email",
                    "field_name": "email",
                },
                "condition": {"type": "text", "mode": "full_words", "value": "acme.com"},
            },
        },
    }
    by_name = {
        "type": "field_condition",
        "field": {"type": "regular_field", "object_type": "lead", "field_name": "name"},
        "condition": {"type": "text", "mode": "full_words", "value": "globex"},
    }
    query = {
        "type": "and",
        "queries": [
            {"type": "object_type", "object_type": "lead"},
            {"type": "or", "queries": [at_domain, by_name]},
        ],
    }
    body = {"query": query, "_fields": {"lead": ["id", "name"]}}
    found = (await cl.post("/data/search/", json=body)).json()["data"]
    assert found == [
        {"__object_type": "lead", "id": acme["id"], "name": "Acme Inc"},
        {"__object_type": "lead", "id": named["id"], "name": "Globex"},
    ]


async def test_opportunity_in_cents_and_won_sets_date_won(cl: httpx.AsyncClient) -> None:
    lead = (await cl.post("/lead/", json=_lead_body())).json()
    statuses = (await cl.get("/status/opportunity/")).json()["data"]
    by_type = {s["type"]: s for s in statuses}
    body = {
        "lead_id": lead["id"],
        "contact_id": lead["contacts"][0]["id"],
        "status_id": by_type["active"]["id"],
        "value": 150000,
        "value_period": "one_time",
        "confidence": 50,
        "note": "Booked via scheduler",
    }
    opp = (await cl.post("/opportunity/", json=body)).json()
    assert opp["id"].startswith("oppo_")
    assert opp["value"] == 150000
    assert opp["value_formatted"] == "$1,500"
    assert opp["expected_value"] == 75000
    assert opp["status_type"] == "active"
    assert opp["pipeline_name"] == "Sales"
    assert opp["lead_name"] == "Acme Inc"
    assert opp["date_won"] is None
    # an offset whose date differs from UTC's right now: the client's today must win
    hours = -12 if datetime.now(UTC).hour < 12 else 14
    won = await cl.put(
        f"/opportunity/{opp['id']}/",
        json={"status_id": by_type["won"]["id"]},
        headers={"X-TZ-Offset": f"{hours:+03d}:00"},
    )
    assert won.json()["status_type"] == "won"
    date_won = won.json()["date_won"]
    assert date_won == (datetime.now(UTC) + timedelta(hours=hours)).date().isoformat()
    back = await cl.put(f"/opportunity/{opp['id']}/", json={"status_id": by_type["active"]["id"]})
    assert back.json()["date_won"] == date_won  # moving back does not clear it
    dollars = await cl.post("/opportunity/", json={**body, "value": 1500.5})
    assert dollars.status_code == 400
    assert dollars.json()["field-errors"] == {"value": "Must be an integer."}
    untitled = (await cl.post("/opportunity/", json={"value": 100})).json()
    assert untitled["lead_name"] == "Untitled"
    assert untitled["status_type"] == "active"  # the default pipeline's first status
    listed = (await cl.get("/opportunity/", params={"lead_id": lead["id"]})).json()
    assert [o["id"] for o in listed["data"]] == [opp["id"]]


async def test_pipelines_statuses_users_and_me(cl: httpx.AsyncClient) -> None:
    [pipeline] = (await cl.get("/pipeline/")).json()["data"]
    assert pipeline["id"].startswith("pipe_")
    assert [s["type"] for s in pipeline["statuses"]] == ["active", "active", "won", "lost"]
    made = await cl.post("/pipeline/", json={"name": "Partners"})
    assert made.status_code == 201
    status = await cl.post(
        "/status/opportunity/",
        json={"label": "Signed", "type": "won", "pipeline_id": made.json()["id"]},
    )
    assert status.json()["id"].startswith("stat_")
    lead_statuses = (await cl.get("/status/lead/")).json()["data"]
    assert lead_statuses[0]["label"] == "Potential"
    users = (await cl.get("/user/")).json()
    assert {u["email"] for u in users["data"]} == {"owner@example.com", "ben@example.com"}
    assert users["has_more"] is False
    me = (await cl.get("/me/")).json()
    assert me["organizations"][0]["id"].startswith("orga_")
    assert me["id"] == users["data"][0]["id"]


async def test_custom_activity_as_calcom_writes_it(cl: httpx.AsyncClient) -> None:
    lead = (await cl.post("/lead/", json=_lead_body())).json()
    contact_id = lead["contacts"][0]["id"]
    kind = (await cl.post("/custom_activity/", json={"name": "Dealflow Meeting"})).json()
    assert kind["id"].startswith("actitype_")
    fields = {}
    for name, ftype, extra in (
        ("Attendees", "contact", {"accepts_multiple_values": True}),
        ("Date & Time", "datetime", {"required": True}),
        ("Time zone", "text", {}),
    ):
        body = {"name": name, "type": ftype, "custom_activity_type_id": kind["id"], **extra}
        made = (await cl.post("/custom_field/activity/", json=body)).json()
        assert made["id"].startswith("cf_")
        fields[name] = f"custom.{made['id']}"
    listed = (await cl.get(f"/custom_activity/{kind['id']}/")).json()
    assert len(listed["fields"]) == 3
    body = {
        "custom_activity_type_id": kind["id"],
        "lead_id": lead["id"],
        "contact_id": contact_id,
        "status": "published",
        fields["Attendees"]: [contact_id],
        fields["Date & Time"]: "2025-01-20T14:00:00Z",
        fields["Time zone"]: "Europe/Berlin",
    }
    act = (await cl.post("/activity/custom/", json=body)).json()
    assert act["id"].startswith("acti_")
    assert act[fields["Date & Time"]] == "2025-01-20T14:00:00Z"
    moved = await cl.put(
        f"/activity/custom/{act['id']}/", json={fields["Date & Time"]: "2025-01-21T09:00:00Z"}
    )
    assert moved.json()[fields["Date & Time"]] == "2025-01-21T09:00:00Z"
    missing = {k: v for k, v in body.items() if k != fields["Date & Time"]}
    refused = await cl.post("/activity/custom/", json=missing)
    assert refused.status_code == 400
    assert refused.json()["field-errors"] == {fields["Date & Time"]: "This field is required."}
    draft = await cl.post("/activity/custom/", json={**missing, "status": "draft"})
    assert draft.status_code == 200
    no_lead = await cl.post("/activity/custom/", json={"custom_activity_type_id": kind["id"]})
    assert no_lead.json()["field-errors"] == {"lead_id": "This field is required."}
    unknown = await cl.post("/activity/custom/", json={**body, "custom.cf_nope": "x"})
    assert unknown.status_code == 400
    assert (await cl.delete(f"/activity/custom/{act['id']}/")).status_code == 200
    assert (await cl.get(f"/activity/custom/{act['id']}/")).status_code == 404


async def test_notes_and_meetings(cl: httpx.AsyncClient, url: str) -> None:
    lead = (await cl.post("/lead/", json=_lead_body())).json()
    note = (
        await cl.post("/activity/note/", json={"lead_id": lead["id"], "note": "No-show"})
    ).json()
    assert note["_type"] == "Note"
    assert note["note"] == "No-show"
    notes = (await cl.get("/activity/note/", params={"lead_id": lead["id"]})).json()["data"]
    assert [n["id"] for n in notes] == [note["id"]]
    create = await cl.post("/activity/meeting/", json={"lead_id": lead["id"]})
    assert create.status_code == 405  # meetings come from calendar sync
    seeded = await cl.post(
        f"{url}/_emulator/seed/meetings",
        json=[{"lead_id": lead["id"], "title": "Intro", "starts_at": "2025-01-20T14:00:00Z"}],
    )
    meeting = seeded.json()["results"][0]
    updated = await cl.put(
        f"/activity/meeting/{meeting['id']}/", json={"user_note_html": "<p>ok</p>"}
    )
    assert updated.json()["user_note_html"] == "<p>ok</p>"
    moved = await cl.put(f"/activity/meeting/{meeting['id']}/", json={"starts_at": "2025-02-01"})
    assert moved.status_code == 400


async def test_auth_basic_key_bearer_and_failures(cl: httpx.AsyncClient, url: str) -> None:
    async with httpx.AsyncClient(base_url=f"{url}/api/v1") as bare:
        none = await bare.get("/me/")
        assert none.status_code == 401
        assert "error" in none.json()
        wrong = await bare.get("/me/", auth=("not-a-key", ""))
        assert wrong.status_code == 401
        redirect = await bare.get(
            f"{url}/oauth2/authorize/",
            params={
                "client_id": "dealflow-dev",
                "response_type": "code",
                "redirect_uri": "http://app/cb",
                "state": "xyz",
            },
        )
        query = parse_qs(urlsplit(redirect.headers["location"]).query)
        assert query["state"] == ["xyz"]
        form = {
            "client_id": "dealflow-dev",
            "client_secret": "dealflow-dev-secret",
            "grant_type": "authorization_code",
            "code": query["code"][0],
            "redirect_uri": "http://app/cb",
        }
        token = await bare.post(f"{url}/oauth2/token/", data=form)
        assert token.status_code == 200
        grant = token.json()
        assert grant["token_type"] == "Bearer"
        assert grant["organization_id"].startswith("orga_")
        bearer = {"Authorization": f"Bearer {grant['access_token']}"}
        assert (await bare.get("/me/", headers=bearer)).status_code == 200
        await bare.post(f"{url}/_emulator/faults", json={"kind": "expire_tokens"})
        expired = await bare.get("/me/", headers=bearer)
        assert expired.status_code == 401
        refresh = {
            "client_id": "dealflow-dev",
            "client_secret": "dealflow-dev-secret",
            "grant_type": "refresh_token",
            "refresh_token": grant["refresh_token"],
        }
        refreshed = await bare.post(f"{url}/oauth2/token/", data=refresh)
        assert refreshed.status_code == 200
        fresh = {"Authorization": f"Bearer {refreshed.json()['access_token']}"}
        assert (await bare.get("/me", headers=fresh)).status_code == 200
        reused = await bare.post(f"{url}/oauth2/token/", data=form)
        assert reused.status_code == 400
        assert reused.json()["error"] == "invalid_grant"
    await cl.post(f"{url}/_emulator/faults", json={"kind": "revoke"})
    assert (await cl.get("/me/")).status_code == 401


async def test_skip_limit_fields_pagination(cl: httpx.AsyncClient) -> None:
    for n in range(5):
        await cl.post("/lead/", json={"name": f"Lead {n}"})
    first = (await cl.get("/lead/", params={"_skip": 0, "_limit": 2, "_fields": "id,name"})).json()
    assert first["has_more"] is True
    assert first["total_results"] == 5
    assert [set(lead) for lead in first["data"]] == [{"id", "name"}, {"id", "name"}]
    last = (await cl.get("/lead/", params={"_skip": 4, "_limit": 2})).json()
    assert [lead["name"] for lead in last["data"]] == ["Lead 4"]
    assert last["has_more"] is False
    too_many = await cl.get("/lead/", params={"_limit": 101})
    assert too_many.status_code == 400
    assert too_many.json()["errors"]


async def test_ratelimit_header_on_every_answer_and_429(cl: httpx.AsyncClient, url: str) -> None:
    await cl.patch(f"{url}/_emulator/config", json={"rate_limit": 2})
    answers = [await cl.get("/user/") for _ in range(3)]
    assert [a.status_code for a in answers] == [200, 200, 429]
    assert answers[0].headers["RateLimit"] == "limit=2, remaining=1, reset=1"
    assert answers[1].headers["RateLimit"].startswith("limit=2, remaining=0, reset=")
    assert answers[2].headers["Retry-After"] == "1"
    assert "error" in answers[2].json()
    other_group = await cl.get("/lead/")
    assert other_group.status_code == 200  # limits count per endpoint group
    assert other_group.headers["RateLimit"] == "limit=2, remaining=1, reset=1"
    assert (await cl.post("/lead/", json={"name": "A"})).status_code == 200  # writes apart


async def test_injected_faults_and_state(cl: httpx.AsyncClient, url: str) -> None:
    await cl.post(f"{url}/_emulator/faults", json={"kind": "rate_limit", "count": 1})
    limited = await cl.get("/me/")
    assert limited.status_code == 429
    assert limited.headers["RateLimit"].startswith("limit=")
    assert int(limited.headers["Retry-After"]) >= 1
    await cl.post(f"{url}/_emulator/faults", json={"kind": "server_error", "count": 1})
    assert (await cl.get("/me/")).status_code == 500
    await cl.post(
        f"{url}/_emulator/faults", json={"kind": "timeout", "count": 1, "hold_seconds": 0.1}
    )
    assert (await cl.get("/me/")).status_code == 504
    await cl.post("/lead/", json=_lead_body())
    state = (await cl.get(f"{url}/_emulator/state")).json()
    assert state["emulator"] == "close"
    assert state["counts"]["leads"] == 1
    assert state["counts"]["contacts"] == 1
    assert state["objects"]["contacts"][0]["emails"][0]["email"] == "jane@acme.com"
    assert KEY not in str(state)


async def test_seeded_ids_survive_a_reset(cl: httpx.AsyncClient, url: str) -> None:
    """A connection configured with the pipeline and status ids keeps working after restarts."""
    before = (await cl.get("/pipeline/")).json()
    await cl.post(f"{url}/_emulator/reset")
    assert (await cl.get("/pipeline/")).json() == before
