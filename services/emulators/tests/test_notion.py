"""The Notion emulator over real HTTP against notify_notion.md §3 (find the contact by Email,
update its properties, versions, errors, rate limit, faults, state)."""

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from dealflow_emulators.notion import build_app
from dealflow_emulators.notion.records import CONTACTS_DATA_SOURCE_ID, CONTACTS_DATABASE_ID
from dealflow_libs.testing.http import serve

TOKEN = "ntn_dev_integration_token"
LEGACY = {"Authorization": f"Bearer {TOKEN}", "Notion-Version": "2022-06-28"}
CURRENT = {**LEGACY, "Notion-Version": "2025-09-03"}
PRE_CALL = {
    "Booking Status": {"select": {"name": "Booked"}},
    "Diagnostic Call Date": {"date": {"start": "2025-12-09"}},
    "Christmas Campaign Status": {"status": {"name": "Pre-Call Prep"}},
}


@pytest.fixture(scope="module")
async def url() -> AsyncIterator[str]:
    async with serve(build_app()) as base:
        yield base


@pytest.fixture
async def notion(url: str) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=url, headers=LEGACY, timeout=10) as client:
        assert (await client.post("/_emulator/reset")).status_code == 204
        yield client


async def _seed(notion: httpx.AsyncClient, *rows: dict[str, Any]) -> list[dict[str, Any]]:
    answer = await notion.post("/_emulator/seed/pages", json=list(rows))
    assert answer.status_code == 201, answer.text
    results: list[dict[str, Any]] = answer.json()["results"]
    return results


def _by_email(email: str, **extra: Any) -> dict[str, Any]:
    return {"filter": {"property": "Email", "email": {"equals": email}}, "page_size": 10, **extra}


async def test_find_the_contact_by_email_legacy_and_data_source(notion: httpx.AsyncClient) -> None:
    [jane] = await _seed(notion, {"Name": "Jane", "Email": "jane@prospect.io"})
    await _seed(notion, {"Name": "John", "Email": "john@prospect.io"})
    legacy = await notion.post(
        f"/v1/databases/{CONTACTS_DATABASE_ID}/query", json=_by_email("jane@prospect.io")
    )
    body = legacy.json()
    assert body["object"] == "list"
    assert body["has_more"] is False
    assert body["next_cursor"] is None
    assert body["type"] == "page_or_database"
    [page] = body["results"]
    assert page["object"] == "page"
    assert page["id"] == jane["id"]
    assert page["parent"] == {"type": "database_id", "database_id": CONTACTS_DATABASE_ID}
    assert page["properties"]["Email"]["email"] == "jane@prospect.io"
    assert page["properties"]["Name"]["title"][0]["plain_text"] == "Jane"
    database = (await notion.get(f"/v1/databases/{CONTACTS_DATABASE_ID}", headers=CURRENT)).json()
    assert database["data_sources"] == [{"id": CONTACTS_DATA_SOURCE_ID, "name": "Contacts"}]
    assert "properties" not in database
    schema = (
        await notion.get(f"/v1/data_sources/{CONTACTS_DATA_SOURCE_ID}", headers=CURRENT)
    ).json()
    assert schema["properties"]["Booking Status"]["type"] == "select"
    current = await notion.post(
        f"/v1/data_sources/{CONTACTS_DATA_SOURCE_ID}/query",
        headers=CURRENT,
        json=_by_email("jane@prospect.io"),
    )
    assert current.json()["type"] == "page_or_data_source"
    assert current.json()["results"][0]["parent"]["data_source_id"] == CONTACTS_DATA_SOURCE_ID
    old = await notion.post(f"/v1/data_sources/{CONTACTS_DATA_SOURCE_ID}/query", json={})
    assert old.status_code == 400
    assert old.json()["code"] == "invalid_request_url"
    none = await notion.post(f"/v1/databases/{CONTACTS_DATABASE_ID}/query", json=_by_email("x@y.z"))
    assert none.json()["results"] == []


async def test_filter_key_must_match_the_property_type(notion: httpx.AsyncClient) -> None:
    path = f"/v1/databases/{CONTACTS_DATABASE_ID}/query"
    wrong = await notion.post(
        path, json={"filter": {"property": "Email", "rich_text": {"equals": "a@b.c"}}}
    )
    assert wrong.status_code == 400
    assert wrong.json()["object"] == "error"
    assert wrong.json()["code"] == "validation_error"
    unknown = await notion.post(
        path, json={"filter": {"property": "Mail", "email": {"equals": "a"}}}
    )
    assert unknown.json()["message"] == "Could not find property with name or id: Mail"
    [jane] = await _seed(notion, {"Name": "Jane", "Email": "jane@prospect.io", "Notes": "vip"})
    compound = {
        "filter": {
            "and": [
                {"property": "Email", "email": {"contains": "@prospect.io"}},
                {"property": "Notes", "rich_text": {"equals": "VIP"}},
            ]
        }
    }
    assert [p["id"] for p in (await notion.post(path, json=compound)).json()["results"]] == [
        jane["id"]
    ]


async def test_pre_call_update_as_documented(notion: httpx.AsyncClient) -> None:
    [jane] = await _seed(notion, {"Name": "Jane", "Email": "jane@prospect.io"})
    answer = await notion.patch(f"/v1/pages/{jane['id']}", json={"properties": PRE_CALL})
    assert answer.status_code == 200
    props = answer.json()["properties"]
    assert props["Booking Status"]["select"]["name"] == "Booked"
    assert props["Diagnostic Call Date"]["date"] == {
        "start": "2025-12-09",
        "end": None,
        "time_zone": None,
    }
    assert props["Christmas Campaign Status"]["status"]["name"] == "Pre-Call Prep"
    by_id = {props["Notes"]["id"]: {"rich_text": [{"type": "text", "text": {"content": "hi"}}]}}
    noted = await notion.patch(
        f"/v1/pages/{jane['id'].replace('-', '')}", json={"properties": by_id}
    )
    assert noted.json()["properties"]["Notes"]["rich_text"][0]["plain_text"] == "hi"
    read = (await notion.get(f"/v1/pages/{jane['id']}")).json()
    assert read["properties"]["Booking Status"]["select"]["name"] == "Booked"


@pytest.mark.parametrize(
    ("properties", "message_part"),
    [
        ({"Christmas Campaign Status": {"status": {"name": "Brand New"}}}, "does not exist"),
        ({"Diagnostic Call Date": {"date": {"start": "09/12/2025"}}}, "ISO 8601"),
        ({"Booking Status": {"status": {"name": "Booked"}}}, "should be defined"),
        ({"LastEditedTime": {"date": {"start": "2025-01-01"}}}, "Could not find property"),
        ({"Notes": {"rich_text": [{"text": {"content": "x" * 2001}}]}}, "2000"),
    ],
)
async def test_invalid_updates_are_validation_errors(
    notion: httpx.AsyncClient, properties: dict[str, Any], message_part: str
) -> None:
    [jane] = await _seed(notion, {"Name": "Jane", "Email": "jane@prospect.io"})
    before = (await notion.get(f"/v1/pages/{jane['id']}")).json()["properties"]
    # a valid property goes first: the 400 must leave it unwritten too
    body = {"properties": {"Booking Status": {"select": {"name": "Not Booked"}}, **properties}}
    answer = await notion.patch(f"/v1/pages/{jane['id']}", json=body)
    assert answer.status_code == 400
    body = answer.json()
    assert body["object"] == "error"
    assert body["status"] == 400
    assert body["code"] == "validation_error"
    assert message_part in body["message"]
    after = (await notion.get(f"/v1/pages/{jane['id']}")).json()["properties"]
    assert after == before


async def test_new_select_option_is_created_and_empty_body_refused(
    notion: httpx.AsyncClient,
) -> None:
    [jane] = await _seed(notion, {"Name": "Jane", "Email": "jane@prospect.io"})
    made = await notion.patch(
        f"/v1/pages/{jane['id']}",
        json={"properties": {"Booking Status": {"select": {"name": "Waitlist"}}}},
    )
    assert made.json()["properties"]["Booking Status"]["select"]["name"] == "Waitlist"
    empty = await notion.patch(f"/v1/pages/{jane['id']}", json={})
    assert empty.json()["message"] == (
        "body failed validation: body.properties should be defined, instead was `undefined`."
    )


async def test_auth_version_and_not_found(notion: httpx.AsyncClient, url: str) -> None:
    async with httpx.AsyncClient(base_url=url) as bare:
        none = await bare.get("/v1/users/me", headers={"Notion-Version": "2022-06-28"})
        assert none.status_code == 401
        assert none.json()["code"] == "unauthorized"
        assert "x-notion-request-id" in none.headers
        no_version = await bare.get("/v1/users/me", headers={"Authorization": f"Bearer {TOKEN}"})
        assert no_version.status_code == 400
        assert no_version.json()["code"] == "missing_version"
    missing = await notion.get("/v1/pages/59833787-2cf9-4fdf-8782-e53db20768a5")
    assert missing.status_code == 404
    assert missing.json()["code"] == "object_not_found"
    private = await notion.post(
        "/_emulator/seed/databases",
        json=[{"title": "Private", "properties": {"Name": "title"}, "shared": False}],
    )
    private_id = private.json()["results"][0]["id"]
    assert (await notion.post(f"/v1/databases/{private_id}/query", json={})).status_code == 404
    me = (await notion.get("/v1/users/me")).json()
    assert me["type"] == "bot"


async def test_cursor_pagination(notion: httpx.AsyncClient) -> None:
    await _seed(notion, *({"Name": f"P{n}", "Email": f"p{n}@x.io"} for n in range(5)))
    seen, cursor = [], None
    while True:
        body: dict[str, Any] = {
            "page_size": 2,
            "sorts": [{"property": "Name", "direction": "ascending"}],
        }
        if cursor:
            body["start_cursor"] = cursor
        page = (await notion.post(f"/v1/databases/{CONTACTS_DATABASE_ID}/query", json=body)).json()
        seen += [p["properties"]["Name"]["title"][0]["plain_text"] for p in page["results"]]
        assert page["has_more"] is (page["next_cursor"] is not None)
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == ["P0", "P1", "P2", "P3", "P4"]
    too_big = await notion.post(
        f"/v1/databases/{CONTACTS_DATABASE_ID}/query", json={"page_size": 101}
    )
    assert too_big.status_code == 400


async def test_rate_limited_with_retry_after(notion: httpx.AsyncClient) -> None:
    await notion.patch("/_emulator/config", json={"rate_limit": 3, "rate_limit_interval_ms": 1000})
    answers = [await notion.get("/v1/users/me") for _ in range(4)]
    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    limited = answers[3].json()
    assert limited["object"] == "error"
    assert limited["code"] == "rate_limited"
    assert answers[3].headers["Retry-After"] == "1"


async def test_injected_faults_and_state(notion: httpx.AsyncClient) -> None:
    await notion.post("/_emulator/faults", json={"kind": "rate_limit", "count": 1})
    limited = await notion.get("/v1/users/me")
    assert limited.status_code == 429
    assert int(limited.headers["Retry-After"]) >= 1
    await notion.post("/_emulator/faults", json={"kind": "server_error", "count": 1, "status": 503})
    down = await notion.get("/v1/users/me")
    assert down.status_code == 503
    assert down.json()["code"] == "service_unavailable"
    await notion.post(
        "/_emulator/faults", json={"kind": "timeout", "count": 1, "hold_seconds": 0.1}
    )
    late = await notion.get("/v1/users/me")
    assert late.status_code == 504
    assert late.json()["code"] == "gateway_timeout"
    await _seed(notion, {"Name": "Jane", "Email": "jane@prospect.io"})
    state = (await notion.get("/_emulator/state")).json()
    assert state["counts"] == {"databases": 1, "pages": 1}
    assert state["objects"]["pages"][0]["values"]["Email"] == "jane@prospect.io"
    assert TOKEN not in str(state)
    await notion.post("/_emulator/faults", json={"kind": "revoke"})
    revoked = await notion.get("/v1/users/me")
    assert revoked.status_code == 401
    assert revoked.json()["code"] == "unauthorized"


async def test_property_ids_survive_a_reset(notion: httpx.AsyncClient) -> None:
    path = f"/v1/databases/{CONTACTS_DATABASE_ID}"
    before = (await notion.get(path)).json()["properties"]
    await notion.post("/_emulator/reset")
    assert (await notion.get(path)).json()["properties"] == before
