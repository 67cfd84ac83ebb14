"""The Pipedrive emulator over real HTTP against crm_apis.md §2 (examples, auth, OAuth,
pagination, rate limits, faults, state)."""

from collections.abc import AsyncIterator
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from dealflow_emulators.pipedrive import build_app
from dealflow_libs.testing.http import serve

TOKEN = "pd-dev-api-token"
H = {"x-api-token": TOKEN}


@pytest.fixture(scope="module")
async def url() -> AsyncIterator[str]:
    async with serve(build_app()) as base:
        yield base


@pytest.fixture
async def pd(url: str) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=url, headers=H, timeout=10) as client:
        assert (await client.post("/_emulator/reset")).status_code == 204
        yield client


async def _person(pd: httpx.AsyncClient, email: str = "jane@acme.com") -> int:
    body = {"name": "Jane Doe", "email": [{"value": email, "primary": True, "label": "work"}]}
    answer = await pd.post("/v1/persons", json=body)
    assert answer.status_code == 201, answer.text
    person_id: int = answer.json()["data"]["id"]
    return person_id


async def test_person_search_answers_the_documented_shape(pd: httpx.AsyncClient) -> None:
    person_id = await _person(pd)
    await _person(pd, "other@acme.com")
    params = {"term": "Jane@Acme.com", "fields": "email", "exact_match": "true"}
    for path in ("/v1/persons/search", "/api/v1/persons/search", "/api/v2/persons/search"):
        body = (await pd.get(path, params=params)).json()
        assert body["success"] is True
        [hit] = body["data"]["items"]
        assert hit["result_score"] == 1.0
        item = hit["item"]
        assert item["id"] == person_id
        assert item["type"] == "person"
        assert item["name"] == "Jane Doe"
        assert item["emails"] == ["jane@acme.com"]  # strings in search results
        assert item["owner"] == {"id": 1}
        assert item["organization"] is None
    v1 = (await pd.get("/v1/persons/search", params=params)).json()
    assert v1["additional_data"]["pagination"]["more_items_in_collection"] is False
    v2 = (await pd.get("/api/v2/persons/search", params=params)).json()
    assert v2["additional_data"] == {"next_cursor": None}
    short = await pd.get("/v1/persons/search", params={"term": "j"})
    assert short.status_code == 400
    assert short.json()["success"] is False


async def test_person_records_differ_per_version(pd: httpx.AsyncClient) -> None:
    org = (await pd.post("/v1/organizations", json={"name": "Acme"})).json()["data"]
    body = {
        "name": "Jane Doe",
        "emails": [{"value": "jane@acme.com", "primary": True, "label": "work"}],
        "org_id": org["id"],
        "owner_id": 1,
        "visible_to": 3,
    }
    v2 = (await pd.post("/api/v2/persons", json=body)).json()["data"]
    assert v2["emails"] == [{"value": "jane@acme.com", "primary": True, "label": "work"}]
    assert v2["org_id"] == org["id"]
    assert v2["owner_id"] == 1
    assert v2["add_time"].endswith("Z")
    v1 = (await pd.get(f"/v1/persons/{v2['id']}")).json()["data"]
    assert v1["email"] == v2["emails"]
    assert v1["first_name"] == "Jane"
    assert v1["org_id"]["value"] == org["id"]
    assert v1["org_id"]["name"] == "Acme"
    assert v1["owner_id"]["id"] == 1
    assert len(v1["add_time"]) == len("2025-01-01 10:00:00")
    missing = await pd.post("/v1/persons", json={"email": "x@y.z"})
    assert missing.status_code == 400
    assert missing.json() == {
        "success": False,
        "error": "Name must be given",
        "error_info": "Please check developers.pipedrive.com",
        "data": None,
        "additional_data": None,
    }


async def test_organization_search_finds_a_name_exactly(pd: httpx.AsyncClient) -> None:
    acme = (await pd.post("/api/v2/organizations", json={"name": "Acme"})).json()["data"]
    await pd.post("/api/v2/organizations", json={"name": "Acme Labs"})
    params = {"term": "ACME", "fields": "name", "exact_match": "true"}
    for path in ("/v1/organizations/search", "/api/v2/organizations/search"):
        body = (await pd.get(path, params=params)).json()
        [hit] = body["data"]["items"]
        assert hit["item"] == {
            "id": acme["id"],
            "type": "organization",
            "name": "Acme",
            "address": None,
            "visible_to": 3,
            "owner": {"id": 1},
            "custom_fields": [],
            "notes": [],
        }
    loose = await pd.get("/api/v2/organizations/search", params={"term": "acme"})
    assert len(loose.json()["data"]["items"]) == 2


async def test_deal_custom_fields_are_declared_then_kept(pd: httpx.AsyncClient) -> None:
    listed = (await pd.get("/api/v2/dealFields")).json()["data"]
    assert {"title", "value"} <= {f["field_code"] for f in listed if not f["is_custom_field"]}
    created = await pd.post(
        "/api/v2/dealFields", json={"field_name": "Dealflow ID", "field_type": "varchar"}
    )
    field = created.json()["data"]
    assert field["is_custom_field"] is True
    code = field["field_code"]
    assert len(code) == 40
    refused = await pd.post("/api/v2/dealFields", json={"field_name": "X", "field_type": "blob"})
    assert refused.status_code == 400

    person_id = await _person(pd)
    body = {"title": "Deal", "person_id": person_id, "custom_fields": {code: "dealflow:deal:1"}}
    deal = (await pd.post("/api/v2/deals", json=body)).json()["data"]
    assert deal["custom_fields"] == {code: "dealflow:deal:1"}
    v1 = (await pd.get(f"/v1/deals/{deal['id']}")).json()["data"]
    assert v1[code] == "dealflow:deal:1"  # v1 lists custom fields at the top
    patched = await pd.patch(f"/api/v2/deals/{deal['id']}", json={"title": "Renamed"})
    assert patched.json()["data"]["custom_fields"] == {code: "dealflow:deal:1"}
    listed_deals = await pd.get("/api/v2/deals", params={"person_id": person_id})
    assert [d["custom_fields"][code] for d in listed_deals.json()["data"]] == ["dealflow:deal:1"]
    bad = await pd.post("/api/v2/deals", json={**body, "custom_fields": ["x"]})
    assert bad.status_code == 400


async def test_deal_create_and_stage_moves_per_version(pd: httpx.AsyncClient) -> None:
    person_id = await _person(pd)
    org_id = (await pd.post("/api/v2/organizations", json={"name": "Acme"})).json()["data"]["id"]
    v1_body = {
        "title": "Intro call - Jane Doe",
        "value": "1500",
        "currency": "USD",
        "person_id": person_id,
        "org_id": org_id,
        "stage_id": 3,
        "user_id": 1,
        "status": "open",
        "expected_close_date": "2025-02-01",
        "visible_to": "3",
    }
    created = await pd.post("/v1/deals", json=v1_body)
    assert created.status_code == 201
    deal = created.json()["data"]
    assert deal["user_id"]["id"] == 1
    assert deal["person_id"]["value"] == person_id
    assert deal["person_id"]["email"][0]["value"] == "jane@acme.com"
    assert deal["org_id"]["value"] == org_id
    assert deal["pipeline_id"] == 1
    assert deal["value"] == 1500
    assert deal["status"] == "open"
    assert deal["active"] is True
    assert created.json()["related_objects"]["person"][str(person_id)]["name"] == "Jane Doe"

    moved = (await pd.put(f"/v1/deals/{deal['id']}", json={"stage_id": 4})).json()["data"]
    assert moved["stage_id"] == 4
    assert moved["stage_change_time"] is not None

    flat = (await pd.get(f"/api/v2/deals/{deal['id']}")).json()["data"]
    assert flat["owner_id"] == 1
    assert flat["person_id"] == person_id
    assert flat["org_id"] == org_id
    won = await pd.patch(f"/api/v2/deals/{deal['id']}", json={"status": "won", "value": 2000})
    assert won.json()["data"]["status"] == "won"
    assert won.json()["data"]["won_time"] is not None
    assert won.json()["data"]["value"] == 2000
    lost = await pd.patch(
        f"/api/v2/deals/{deal['id']}", json={"status": "lost", "lost_reason": "budget"}
    )
    assert lost.json()["data"]["lost_reason"] == "budget"
    assert lost.json()["data"]["won_time"] is None

    v2 = await pd.post(
        "/api/v2/deals", json={"title": "B", "person_id": person_id, "pipeline_id": 2}
    )
    assert v2.json()["data"]["stage_id"] == 6  # the pipeline's first stage
    strict = await pd.post(
        "/api/v2/deals", json={"title": "C", "person_id": person_id, "value": "9"}
    )
    assert strict.status_code == 400  # v2 does not coerce strings into numbers
    wrong = await pd.post(
        "/v1/deals", json={"title": "D", "person_id": person_id, "stage_id": 6, "pipeline_id": 1}
    )
    assert wrong.status_code == 400
    orphan = await pd.post("/v1/deals", json={"title": "E"})
    assert orphan.status_code == 400
    assert (await pd.get("/v1/deals/9999")).status_code == 404


async def test_pipelines_stages_users_and_activity_types(pd: httpx.AsyncClient) -> None:
    v1 = (await pd.get("/v1/pipelines")).json()["data"]
    assert [p["order_nr"] for p in v1] == [0, 1]
    assert v1[0]["selected"] is True
    v2 = (await pd.get("/api/v2/pipelines")).json()
    assert set(v2["data"][0]) >= {
        "id",
        "name",
        "order_nr",
        "is_deleted",
        "is_deal_probability_enabled",
    }
    assert v2["additional_data"] == {"next_cursor": None}
    stages = (await pd.get("/v1/stages", params={"pipeline_id": 1})).json()["data"]
    assert [s["order_nr"] for s in stages] == [1, 2, 3, 4, 5]
    assert stages[0]["pipeline_name"] == "Sales"
    v2_stages = (await pd.get("/api/v2/stages", params={"pipeline_id": 2})).json()["data"]
    assert [s["name"] for s in v2_stages] == ["Lead In", "Agreement"]
    users = (await pd.get("/v1/users")).json()["data"]
    assert {u["email"] for u in users} == {"owner@example.com", "ben@example.com"}
    me = (await pd.get("/v1/users/me")).json()["data"]
    assert me["is_you"] is True
    assert me["company_domain"] == "emulated"
    types = (await pd.get("/v1/activityTypes")).json()["data"]
    assert "meeting" in {t["key_string"] for t in types}
    assert (await pd.get("/api/v2/users")).status_code == 404  # users stay on v1


async def test_meeting_activity_v1_and_v2(pd: httpx.AsyncClient) -> None:
    person_id = await _person(pd)
    deal_id = (await pd.post("/v1/deals", json={"title": "T", "person_id": person_id})).json()[
        "data"
    ]["id"]
    body = {
        "subject": "Intro call",
        "type": "meeting",
        "due_date": "2025-01-20",
        "due_time": "14:00",
        "duration": "01:00",
        "note": "HTML allowed",
        "location": "https://meet.example/abc",
        "person_id": person_id,
        "deal_id": deal_id,
        "user_id": 1,
        "busy_flag": True,
        "done": 0,
        "participants": [{"person_id": person_id, "primary_flag": True}],
        "attendees": [{"email_address": "jane@acme.com"}],
    }
    act = (await pd.post("/v1/activities", json=body)).json()["data"]
    assert act["type"] == "meeting"
    assert act["due_time"] == "14:00"
    assert act["done"] is False
    moved = await pd.put(f"/v1/activities/{act['id']}", json={"due_time": "15:30", "done": 1})
    assert moved.json()["data"]["due_time"] == "15:30"
    assert moved.json()["data"]["done"] is True
    v2 = (await pd.get(f"/api/v2/activities/{act['id']}")).json()["data"]
    assert v2["location"] == {"value": "https://meet.example/abc"}
    assert v2["owner_id"] == 1
    assert v2["participants"] == [{"person_id": person_id, "primary": True}]
    assert (await pd.post("/api/v2/activities", json={**body, "done": 0})).status_code == 400
    assert (await pd.post("/v1/activities", json={**body, "type": "party"})).status_code == 400
    assert (await pd.post("/v1/activities", json={**body, "due_time": "2pm"})).status_code == 400
    gone = await pd.delete(f"/api/v2/activities/{act['id']}")
    assert gone.json() == {"success": True, "data": {"id": act["id"]}}
    assert (await pd.get(f"/v1/activities/{act['id']}")).status_code == 404


async def test_auth_header_query_bearer_and_failures(pd: httpx.AsyncClient, url: str) -> None:
    async with httpx.AsyncClient(base_url=url) as bare:
        none = await bare.get("/v1/users")
        assert none.status_code == 401
        assert none.json()["success"] is False
        assert none.json()["data"] is None
        wrong = await bare.get("/api/v2/pipelines", headers={"x-api-token": "nope"})
        assert wrong.status_code == 401
        assert wrong.json()["error"] == "unauthorized access"
        query = await bare.get("/v1/users", params={"api_token": TOKEN})
        assert query.status_code == 200
    read = await pd.get("/v1/users")
    write = await pd.post("/v1/organizations", json={"name": "Acme"})
    assert (
        int(write.headers["x-daily-requests-left"])
        == int(read.headers["x-daily-requests-left"]) - 1
    )


async def _oauth(url: str) -> dict[str, str]:
    async with httpx.AsyncClient(base_url=url) as client:
        redirect = await client.get(
            "/oauth/authorize",
            params={"client_id": "dealflow-dev", "redirect_uri": "http://app/cb", "state": "s1"},
        )
        assert redirect.status_code == 302
        query = parse_qs(urlsplit(redirect.headers["location"]).query)
        assert query["state"] == ["s1"]
        token = await client.post(
            "/oauth/token",
            auth=("dealflow-dev", "dealflow-dev-secret"),
            data={
                "grant_type": "authorization_code",
                "code": query["code"][0],
                "redirect_uri": "http://app/cb",
            },
        )
        assert token.status_code == 200, token.text
        grant: dict[str, str] = token.json()
        return grant


async def test_oauth_code_refresh_and_api_domain(pd: httpx.AsyncClient, url: str) -> None:
    grant = await _oauth(url)
    assert grant["token_type"] == "Bearer"
    assert grant["expires_in"] == 3600
    assert grant["api_domain"] == url  # clients call {api_domain}/api/v1/...
    bearer = {"Authorization": f"Bearer {grant['access_token']}"}
    async with httpx.AsyncClient(base_url=grant["api_domain"], headers=bearer) as client:
        answer = await client.get("/api/v1/users/me")
        assert answer.status_code == 200
        assert "x-daily-requests-left" not in answer.headers  # API-token calls only
        assert (
            await pd.post("/_emulator/faults", json={"kind": "expire_tokens"})
        ).status_code == 201
        expired = await client.get("/api/v1/users/me")
        assert expired.status_code == 401
        assert expired.json()["error"] == "Access token expired"
        refreshed = await client.post(
            "/oauth/token",
            auth=("dealflow-dev", "dealflow-dev-secret"),
            data={"grant_type": "refresh_token", "refresh_token": grant["refresh_token"]},
        )
        assert refreshed.status_code == 200
        client.headers["Authorization"] = f"Bearer {refreshed.json()['access_token']}"
        assert (await client.get("/api/v2/pipelines")).status_code == 200
        reused = await client.post(
            "/oauth/token",
            auth=("dealflow-dev", "dealflow-dev-secret"),
            data={"grant_type": "authorization_code", "code": "made-up"},
        )
        assert reused.status_code == 400
        assert reused.json()["error"] == "invalid_grant"
        bad_client = await client.post(
            "/oauth/token",
            auth=("dealflow-dev", "wrong"),
            data={"grant_type": "refresh_token", "refresh_token": grant["refresh_token"]},
        )
        assert bad_client.status_code == 401
        assert bad_client.json()["error"] == "invalid_client"
        no_grant = await client.post("/oauth/token", auth=("dealflow-dev", "dealflow-dev-secret"))
        assert no_grant.status_code == 400


async def test_v1_and_v2_pagination(pd: httpx.AsyncClient) -> None:
    for n in range(5):
        await pd.post("/v1/organizations", json={"name": f"Org {n}"})
    first = (await pd.get("/v1/organizations", params={"limit": 2})).json()
    assert [o["name"] for o in first["data"]] == ["Org 0", "Org 1"]
    assert first["additional_data"]["pagination"] == {
        "start": 0,
        "limit": 2,
        "more_items_in_collection": True,
        "next_start": 2,
    }
    last = (await pd.get("/v1/organizations", params={"start": 4, "limit": 2})).json()
    assert last["additional_data"]["pagination"]["more_items_in_collection"] is False
    names, cursor = [], None
    while True:
        params = {"limit": 2} | ({"cursor": cursor} if cursor else {})
        page = (await pd.get("/api/v2/organizations", params=params)).json()
        names += [o["name"] for o in page["data"]]
        cursor = page["additional_data"]["next_cursor"]
        if cursor is None:
            break
    assert names == [f"Org {n}" for n in range(5)]
    assert (await pd.get("/api/v2/organizations", params={"limit": 501})).status_code == 400


async def test_burst_window_headers_and_429(pd: httpx.AsyncClient) -> None:
    await pd.patch("/_emulator/config", json={"rate_limit": 3})
    answers = [await pd.get("/v1/users") for _ in range(4)]
    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    assert [a.headers["x-ratelimit-remaining"] for a in answers[:3]] == ["2", "1", "0"]
    assert answers[0].headers["x-ratelimit-limit"] == "3"
    assert 1 <= int(answers[3].headers["x-ratelimit-reset"]) <= 2  # the 2-s window
    assert "retry-after" not in answers[3].headers  # clients must read x-ratelimit-reset
    assert answers[3].json()["success"] is False
    assert answers[3].json()["errorCode"] == 429


async def test_daily_budget_exhaustion_is_a_429(pd: httpx.AsyncClient) -> None:
    await pd.patch("/_emulator/config", json={"daily_write_budget": 1})
    assert (await pd.post("/v1/organizations", json={"name": "A"})).status_code == 201
    over = await pd.post("/v1/organizations", json={"name": "B"})
    assert over.status_code == 429
    assert over.headers["x-daily-requests-left"] == "0"
    assert (await pd.get("/v1/organizations")).status_code == 200  # reads are not budgeted


async def test_injected_faults(pd: httpx.AsyncClient) -> None:
    await pd.post("/_emulator/faults", json={"kind": "rate_limit", "count": 1})
    limited = await pd.get("/v1/users")
    assert limited.status_code == 429
    assert limited.headers["x-ratelimit-remaining"] == "0"
    assert "x-ratelimit-reset" in limited.headers
    assert limited.json()["success"] is False
    await pd.post("/_emulator/faults", json={"kind": "server_error", "count": 1, "status": 503})
    down = await pd.get("/v1/users")
    assert down.status_code == 503
    assert down.json()["error"] == "Requested service is not available"
    await pd.post(
        "/_emulator/faults",
        json={"kind": "timeout", "count": 1, "hold_seconds": 0.2, "apply": True, "method": "POST"},
    )
    held = await pd.post("/v1/organizations", json={"name": "Late"})
    assert held.status_code == 201  # applied, answered late
    assert (await pd.get("/v1/users")).status_code == 200
    await pd.post("/_emulator/faults", json={"kind": "revoke"})
    revoked = await pd.get("/v1/users")
    assert revoked.status_code == 401
    assert revoked.json()["error"] == "unauthorized access"


async def test_state_lists_what_it_holds(pd: httpx.AsyncClient) -> None:
    person_id = await _person(pd)
    await pd.post("/v1/deals", json={"title": "T", "person_id": person_id})
    state = (await pd.get("/_emulator/state")).json()
    assert state["emulator"] == "pipedrive"
    assert state["counts"]["persons"] == 1
    assert state["counts"]["deals"] == 1
    assert state["objects"]["deals"][0]["person_id"] == person_id
    assert TOKEN not in str(state)
    log = (await pd.get("/_emulator/requests", params={"path_prefix": "/v1/deals"})).json()
    assert log["count"] == 1
    assert TOKEN not in str(log)
