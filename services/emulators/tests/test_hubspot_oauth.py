"""HubSpot OAuth and Bearer auth as crm_apis.md §1.1 and §1.4 document them."""

import asyncio
from urllib.parse import parse_qs, urlsplit

import httpx

from dealflow_emulators.hubspot import HubSpotConfig

CLIENT = {"client_id": HubSpotConfig().client_id, "client_secret": HubSpotConfig().client_secret}
REDIRECT = "https://app.dealflow.example/v1/crm/callback/hubspot"
SCOPES = "crm.objects.contacts.read crm.objects.contacts.write"


async def _authorize(http: httpx.AsyncClient, scope: str = SCOPES) -> str:
    answer = await http.get(
        "/oauth/authorize",
        params={"client_id": CLIENT["client_id"], "redirect_uri": REDIRECT, "scope": scope,
                "state": "signed-state"},
    )  # fmt: skip
    assert answer.status_code == 302
    location = urlsplit(answer.headers["location"])
    query = parse_qs(location.query)
    assert f"{location.scheme}://{location.netloc}{location.path}" == REDIRECT
    assert query["state"] == ["signed-state"]
    return query["code"][0]


async def _tokens(http: httpx.AsyncClient, scope: str = SCOPES) -> dict[str, object]:
    code = await _authorize(http, scope)
    answer = await http.post(
        "/oauth/v1/token",
        data={"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT, **CLIENT},
    )
    assert answer.status_code == 200
    body: dict[str, object] = answer.json()
    return body


async def test_code_exchange_answers_snake_case_with_30_minutes(
    hubspot_url: str, control: httpx.AsyncClient
) -> None:
    async with httpx.AsyncClient(base_url=hubspot_url) as http:
        tokens = await _tokens(http)
        owners = await http.get(
            "/crm/v3/objects/contacts",
            headers={"Authorization": f"Bearer {tokens['access_token']}"},
        )
        introspected = await http.get(f"/oauth/v1/access-tokens/{tokens['access_token']}")

    assert set(tokens) == {"access_token", "refresh_token", "expires_in", "token_type"}
    assert tokens["expires_in"] == 1800
    assert tokens["token_type"] == "bearer"
    assert owners.status_code == 200
    assert introspected.json()["hub_id"] == HubSpotConfig().hub_id
    assert introspected.json()["scopes"] == SCOPES.split()


async def test_a_code_is_single_use(hubspot_url: str, control: httpx.AsyncClient) -> None:
    async with httpx.AsyncClient(base_url=hubspot_url) as http:
        code = await _authorize(http)
        form = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": REDIRECT,
            **CLIENT,
        }
        first = await http.post("/oauth/v1/token", data=form)
        second = await http.post("/oauth/v1/token", data=form)

    assert first.status_code == 200
    assert second.status_code == 400
    assert second.json()["error"] == "invalid_grant"
    assert {"error_description", "status", "message"} <= set(second.json())


async def test_refresh_grant_and_its_invalid_grant_body(
    hubspot_url: str, control: httpx.AsyncClient
) -> None:
    async with httpx.AsyncClient(base_url=hubspot_url) as http:
        tokens = await _tokens(http)
        refreshed = await http.post(
            "/oauth/v1/token",
            data={"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"],
                  "redirect_uri": REDIRECT, **CLIENT},
        )  # fmt: skip
        bad = await http.post(
            "/oauth/v1/token",
            data={"grant_type": "refresh_token", "refresh_token": "nope", **CLIENT},
        )
        wrong_secret = await http.post(
            "/oauth/v1/token",
            data={"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"],
                  "client_id": CLIENT["client_id"], "client_secret": "wrong"},
        )  # fmt: skip

    assert refreshed.status_code == 200
    assert refreshed.json()["access_token"] != tokens["access_token"]
    assert refreshed.json()["refresh_token"] == tokens["refresh_token"]  # HubSpot keeps it
    assert bad.status_code == 400
    assert bad.json() == {
        "error": "invalid_grant",
        "error_description": "refresh token is invalid, expired or revoked",
        "status": "BAD_REFRESH_TOKEN",
        "message": "refresh token is invalid, expired or revoked",
    }
    assert wrong_secret.json()["error"] == "invalid_client"


async def test_missing_or_unknown_bearer_is_invalid_authentication(
    hubspot_url: str, control: httpx.AsyncClient
) -> None:
    async with httpx.AsyncClient(base_url=hubspot_url) as http:
        missing = await http.get("/crm/v3/objects/contacts")
        unknown = await http.get(
            "/crm/v3/objects/contacts", headers={"Authorization": "Bearer pat-na1-unknown"}
        )

    for answer in (missing, unknown):
        assert answer.status_code == 401
        body = answer.json()
        assert body["status"] == "error"
        assert body["category"] == "INVALID_AUTHENTICATION"
        assert body["correlationId"]


async def test_expired_token_is_401_expired_and_a_refresh_works(
    hubspot_url: str, control: httpx.AsyncClient
) -> None:
    async with httpx.AsyncClient(base_url=hubspot_url) as http:
        tokens = await _tokens(http)
        old = {"Authorization": f"Bearer {tokens['access_token']}"}
        expired = await control.post("/faults", json={"kind": "expire_tokens"})
        refused = await http.get("/crm/v3/objects/contacts", headers=old)
        refreshed = await http.post(
            "/oauth/v1/token",
            data={
                "grant_type": "refresh_token",
                "refresh_token": tokens["refresh_token"],
                **CLIENT,
            },
        )
        new = {"Authorization": f"Bearer {refreshed.json()['access_token']}"}
        accepted = await http.get("/crm/v3/objects/contacts", headers=new)

    assert expired.json()["affected"] == 1
    assert refused.status_code == 401
    assert refused.json()["category"] == "EXPIRED_AUTHENTICATION"
    assert refused.json()["message"].startswith("The OAuth token used to make this call expired ")
    assert refused.json()["message"].endswith(" second(s) ago.")
    assert accepted.status_code == 200


async def test_tokens_expire_after_the_configured_lifetime(
    hubspot_url: str, control: httpx.AsyncClient
) -> None:
    await control.patch("/config", json={"access_token_ttl_seconds": 1})
    async with httpx.AsyncClient(base_url=hubspot_url) as http:
        tokens = await _tokens(http)
        assert tokens["expires_in"] == 1
        expired = {"Authorization": f"Bearer {tokens['access_token']}"}
        await asyncio.sleep(1.1)
        answer = await http.get("/crm/v3/objects/contacts", headers=expired)

    assert answer.json()["category"] == "EXPIRED_AUTHENTICATION"


async def test_revoke_stops_tokens_refresh_and_private_app_tokens(
    hubspot_url: str, hs: httpx.AsyncClient, control: httpx.AsyncClient
) -> None:
    async with httpx.AsyncClient(base_url=hubspot_url) as http:
        tokens = await _tokens(http)
        await control.post("/faults", json={"kind": "revoke"})
        access = await http.get(
            "/crm/v3/objects/contacts",
            headers={"Authorization": f"Bearer {tokens['access_token']}"},
        )
        refresh = await http.post(
            "/oauth/v1/token",
            data={
                "grant_type": "refresh_token",
                "refresh_token": tokens["refresh_token"],
                **CLIENT,
            },
        )
    private = await hs.get("/crm/v3/objects/contacts")

    assert access.status_code == 401
    assert refresh.json()["error"] == "invalid_grant"
    assert private.status_code == 401


async def test_a_token_without_the_scope_gets_403_missing_scopes(
    hubspot_url: str, control: httpx.AsyncClient
) -> None:
    async with httpx.AsyncClient(base_url=hubspot_url) as http:
        tokens = await _tokens(http, scope="crm.objects.contacts.read")
        answer = await http.get(
            "/crm/v3/objects/deals", headers={"Authorization": f"Bearer {tokens['access_token']}"}
        )

    assert answer.status_code == 403
    assert answer.json()["category"] == "MISSING_SCOPES"
    assert answer.json()["errors"][0]["context"] == {
        "requiredGranularScopes": ["crm.objects.deals.read"]
    }


async def test_an_oauth_apps_tokens_share_one_rate_limit_window(
    hubspot_url: str, control: httpx.AsyncClient
) -> None:
    await control.patch("/config", json={"rate_limit": 2})
    async with httpx.AsyncClient(base_url=hubspot_url) as http:
        tokens = await _tokens(http)
        old = {"Authorization": f"Bearer {tokens['access_token']}"}
        spent = [
            (await http.get("/crm/v3/objects/contacts", headers=old)).status_code for _ in range(2)
        ]
        refreshed = await http.post(
            "/oauth/v1/token",
            data={
                "grant_type": "refresh_token",
                "refresh_token": tokens["refresh_token"],
                **CLIENT,
            },
        )
        new = {"Authorization": f"Bearer {refreshed.json()['access_token']}"}
        after_refresh = await http.get("/crm/v3/objects/contacts", headers=new)

    assert spent == [200, 200]
    assert after_refresh.status_code == 429
