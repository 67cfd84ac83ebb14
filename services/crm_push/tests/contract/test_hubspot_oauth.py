"""HubSpot's OAuth flow against the emulator (crm_apis.md §1.1): authorize, exchange, refresh."""

import dataclasses
import json
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from crm_push.providers import hubspot_oauth
from crm_push.providers.base import (
    CompanyData,
    ContactData,
    DealData,
    DealState,
    MeetingData,
    MeetingState,
)
from crm_push.providers.hubspot import HubSpotAdapter, hubspot_http
from crm_push.providers.hubspot_oauth import TokenGrant, authorize_url, exchange_code, oauth_http
from crm_push.providers.transport import FailureKind, ProviderError, ProviderHttp, StaticAuth

CLIENT_ID, CLIENT_SECRET = "dealflow-dev", "dealflow-dev-secret"  # the emulator's client
REDIRECT = "https://app.dealflow.example/v1/crm/callback/hubspot"
HUB_ID = 12345678

pytestmark = pytest.mark.usefixtures("hubspot_control")


@pytest.fixture
def oauth(hubspot_url: str, client: httpx.AsyncClient) -> ProviderHttp:
    return oauth_http(client, hubspot_url)


async def consent(hubspot_url: str, state: str = "signed-state") -> str:
    """The user's browser: the authorize URL, then the code from the redirect."""
    url = authorize_url(
        f"{hubspot_url}/oauth/authorize", client_id=CLIENT_ID, redirect_uri=REDIRECT, state=state
    )
    async with httpx.AsyncClient() as browser:
        answer = await browser.get(url)
    assert answer.status_code == 302
    location = urlsplit(answer.headers["location"])
    query = parse_qs(location.query)
    assert f"{location.scheme}://{location.netloc}{location.path}" == REDIRECT
    assert query["state"] == [state]
    return query["code"][0]


async def connect(hubspot_url: str, oauth: ProviderHttp) -> TokenGrant:
    code = await consent(hubspot_url)
    return await exchange_code(
        oauth, client_id=CLIENT_ID, client_secret=CLIENT_SECRET, redirect_uri=REDIRECT, code=code
    )


def logged(http: ProviderHttp) -> str:
    return json.dumps([dataclasses.asdict(c) for c in http.calls], default=str)


def test_the_authorize_url_carries_client_scopes_and_state() -> None:
    url = authorize_url(
        "https://app.hubspot.com/oauth/authorize",
        client_id="abc",
        redirect_uri=REDIRECT,
        scopes=("crm.objects.contacts.read", "crm.objects.deals.write"),
        optional_scopes=(),
        state="s t",
    )

    parts = urlsplit(url)
    assert parts.path == "/oauth/authorize"
    assert "scope=crm.objects.contacts.read%20crm.objects.deals.write" in parts.query
    assert parse_qs(parts.query) == {
        "client_id": ["abc"],
        "redirect_uri": [REDIRECT],
        "scope": ["crm.objects.contacts.read crm.objects.deals.write"],
        "state": ["s t"],
    }


async def test_the_code_exchange_gives_tokens_expiry_and_portal(
    hubspot_url: str, oauth: ProviderHttp
) -> None:
    before = datetime.now(UTC)

    grant = await connect(hubspot_url, oauth)

    assert grant.hub_id == HUB_ID
    assert grant.access_token
    assert grant.refresh_token
    assert before + timedelta(seconds=1799) <= grant.expires_at
    assert grant.expires_at <= datetime.now(UTC) + timedelta(seconds=1800)
    assert [c.operation for c in oauth.calls] == ["exchange_code", "introspect_token"]


async def test_the_granted_scopes_cover_every_adapter_call(
    hubspot_url: str, oauth: ProviderHttp, client: httpx.AsyncClient
) -> None:
    grant = await connect(hubspot_url, oauth)
    auth = StaticAuth({"Authorization": f"Bearer {grant.access_token}"})
    adapter = HubSpotAdapter(hubspot_http(client, hubspot_url, auth))

    await adapter.verify()
    await adapter.ensure_schema()
    assert await adapter.users()
    contact = await adapter.upsert_contact(
        ContactData("jane@acme.com", company=CompanyData("acme.com", "Acme")), None
    )
    deal = DealData("d-1", "Acme", None, None, DealState.WON, None, "USD", None)
    deal_id = await adapter.upsert_deal(deal, contact, None, recover=True)
    meeting = MeetingData(
        "m-1", "Call", datetime.now(UTC), None, None, MeetingState.SCHEDULED, None
    )
    await adapter.upsert_meeting(meeting, contact, deal_id, None, recover=True)


async def test_no_secret_reaches_the_call_log(hubspot_url: str, oauth: ProviderHttp) -> None:
    code = await consent(hubspot_url)
    grant = await exchange_code(
        oauth, client_id=CLIENT_ID, client_secret=CLIENT_SECRET, redirect_uri=REDIRECT, code=code
    )
    await hubspot_oauth.refresh(
        oauth, client_id=CLIENT_ID, client_secret=CLIENT_SECRET, refresh_token=grant.refresh_token
    )

    text = logged(oauth)
    for secret in (CLIENT_SECRET, code, grant.access_token, grant.refresh_token):
        assert secret not in text
    exchange, introspect, refresh = oauth.calls
    assert exchange.request_body["client_id"] == CLIENT_ID
    assert exchange.request_body["code"] == "[redacted]"
    assert introspect.path == "/oauth/v1/access-tokens/[redacted]"
    assert refresh.response_body["access_token"] == "[redacted]"


async def test_refresh_gives_a_working_token(
    hubspot_url: str, oauth: ProviderHttp, client: httpx.AsyncClient
) -> None:
    grant = await connect(hubspot_url, oauth)

    fresh = await hubspot_oauth.refresh(
        oauth, client_id=CLIENT_ID, client_secret=CLIENT_SECRET, refresh_token=grant.refresh_token
    )

    assert fresh.access_token != grant.access_token
    assert fresh.hub_id is None
    assert fresh.expires_at > datetime.now(UTC) + timedelta(minutes=29)
    auth = StaticAuth({"Authorization": f"Bearer {fresh.access_token}"})
    await HubSpotAdapter(hubspot_http(client, hubspot_url, auth)).verify()
    assert oauth.calls[-1].operation == "refresh_token"


async def test_a_revoked_refresh_token_is_unauthorized(
    hubspot_url: str, oauth: ProviderHttp, hubspot_control: httpx.AsyncClient
) -> None:
    grant = await connect(hubspot_url, oauth)
    await hubspot_control.post("/faults", json={"kind": "revoke"})

    with pytest.raises(ProviderError) as refused:
        await hubspot_oauth.refresh(
            oauth,
            client_id=CLIENT_ID,
            client_secret=CLIENT_SECRET,
            refresh_token=grant.refresh_token,
        )

    assert refused.value.kind is FailureKind.UNAUTHORIZED
    assert (refused.value.status, refused.value.code) == (400, "invalid_grant")
    assert grant.refresh_token not in refused.value.message


async def test_a_used_code_is_unauthorized(hubspot_url: str, oauth: ProviderHttp) -> None:
    code = await consent(hubspot_url)
    await exchange_code(
        oauth, client_id=CLIENT_ID, client_secret=CLIENT_SECRET, redirect_uri=REDIRECT, code=code
    )

    with pytest.raises(ProviderError) as refused:
        await exchange_code(
            oauth,
            client_id=CLIENT_ID,
            client_secret=CLIENT_SECRET,
            redirect_uri=REDIRECT,
            code=code,
        )

    assert (refused.value.kind, refused.value.code) == (FailureKind.UNAUTHORIZED, "invalid_grant")


async def test_a_wrong_client_secret_is_unauthorized(hubspot_url: str, oauth: ProviderHttp) -> None:
    code = await consent(hubspot_url)

    with pytest.raises(ProviderError) as refused:
        await exchange_code(
            oauth, client_id=CLIENT_ID, client_secret="wrong", redirect_uri=REDIRECT, code=code
        )

    assert (refused.value.kind, refused.value.code) == (FailureKind.UNAUTHORIZED, "invalid_client")


async def test_a_token_endpoint_outage_is_unavailable(
    oauth: ProviderHttp, hubspot_control: httpx.AsyncClient
) -> None:
    await hubspot_control.post("/faults", json={"kind": "server_error", "count": 1, "status": 502})

    with pytest.raises(ProviderError) as down:
        await hubspot_oauth.refresh(
            oauth, client_id=CLIENT_ID, client_secret=CLIENT_SECRET, refresh_token="any"
        )

    assert down.value.kind is FailureKind.UNAVAILABLE
