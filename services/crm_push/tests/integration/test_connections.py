"""Connecting (HubSpot OAuth with its state, keys verified before saving, Notion), settings
checked against the CRM, deals following the stage mapping, and the push log's contents."""

import asyncio
import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qs, urlparse

import httpx
import pytest

from crm_push.uow import CrmPushUnitOfWork
from dealflow_libs.testing.factories import deal_event, meeting_event
from dealflow_libs.testing.tenants import TenantCredentials
from dealflow_libs.testing.waiting import eventually
from dealflow_schemas.crm import PushTarget
from dealflow_schemas.deals import (
    DealCreated,
    DealLost,
    DealStage,
    DealStageChanged,
    DealStatus,
    DealWon,
    LostReason,
)
from dealflow_schemas.meetings import MeetingBooked

from .conftest import CONSOLE_URL
from .support import (
    HUBSPOT_TOKEN,
    NOTION_TOKEN,
    PIPEDRIVE_TOKEN,
    Emulators,
    Publish,
    ResultsOf,
    connect_hubspot,
)

NOTION_DATABASE = "0f6c5c7e-3b8d-4a59-9c0e-5d1b2f3a4c01"


async def consent(api: httpx.AsyncClient, body: dict[str, Any] | None = None) -> dict[str, str]:
    """Starts OAuth and consents at the emulator: the callback's query HubSpot sends back."""
    started = await api.post("/v1/crm/connect/hubspot", json=body)
    assert started.status_code == 200, started.text
    async with httpx.AsyncClient(timeout=10) as browser:
        consented = await browser.get(started.json()["authorize_url"], follow_redirects=False)
    assert consented.status_code == 302
    return {k: v[0] for k, v in parse_qs(urlparse(consented.headers["location"]).query).items()}


async def oauth_connect(api: httpx.AsyncClient) -> dict[str, Any]:
    """Starts OAuth, consents at the emulator, and calls the service's callback."""
    query = await consent(api)
    callback = await api.get(
        "/v1/crm/callback/hubspot",
        params=query,
        headers={"Authorization": ""},  # HubSpot's redirect carries no API key
    )
    assert callback.status_code == 200, callback.text
    answer: dict[str, Any] = callback.json()
    return answer


async def test_hubspot_oauth_connects_and_refuses_a_forged_state(
    api: httpx.AsyncClient,
    tenant: TenantCredentials,
    fresh_emulators: Emulators,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG, logger="crm_push")
    connection = await oauth_connect(api)
    # The token introspection puts the token in the path: no log line may carry it.
    leaks = [r.getMessage() for r in caplog.records if "access-tokens/" in r.getMessage()]
    assert all("[redacted]" in line for line in leaks), leaks
    assert (connection["provider"], connection["status"]) == ("hubspot", "connected")
    assert connection["account_id"] is not None  # the portal (hub_id)
    assert connection["token_expires_at"] is not None
    forged = await api.get("/v1/crm/callback/hubspot", params={"code": "x", "state": "v1:k:abc"})
    assert forged.status_code == 400
    assert forged.json()["error"] == "invalid_state"
    declined = await api.get("/v1/crm/callback/hubspot", params={"error": "access_denied"})
    assert declined.status_code == 400


async def test_a_callback_started_with_return_to_sends_the_browser_back_to_the_console(
    api: httpx.AsyncClient, tenant: TenantCredentials, fresh_emulators: Emulators
) -> None:
    back = f"{CONSOLE_URL}/settings/crm"
    query = await consent(api, {"return_to": back})
    callback = await api.get(
        "/v1/crm/callback/hubspot", params=query, headers={"Authorization": ""}
    )
    assert callback.status_code == 303, callback.text
    assert callback.headers["location"] == f"{back}?crm_connected=hubspot"
    connection = (await api.get("/v1/crm/connection")).json()["crm"]
    assert (connection["provider"], connection["status"]) == ("hubspot", "connected")

    # A refusal at HubSpot, or a code it no longer accepts, comes back in HubSpot's words.
    refused = await consent(api, {"return_to": back})
    declined = await api.get(
        "/v1/crm/callback/hubspot", params={"error": "access_denied", "state": refused["state"]}
    )
    assert declined.status_code == 303
    assert parse_qs(urlparse(declined.headers["location"]).query) == {
        "crm_error": ["HubSpot answered access_denied: nothing was connected"]
    }
    replayed = await api.get("/v1/crm/callback/hubspot", params=query)
    assert replayed.status_code == 303
    assert "crm_error" in parse_qs(urlparse(replayed.headers["location"]).query)


async def test_return_to_outside_the_console_is_refused(api: httpx.AsyncClient) -> None:
    for elsewhere in ("https://evil.example/settings", "http://console.example:8081/"):
        started = await api.post("/v1/crm/connect/hubspot", json={"return_to": elsewhere})
        assert started.status_code == 422, started.text
        assert started.json()["error"] == "invalid_return_to"
        assert "return_to must be a page under http://console.example:8080" in started.text


async def test_expired_tokens_are_refreshed_once_however_many_pushes_need_them(
    api: httpx.AsyncClient,
    tenant: TenantCredentials,
    fresh_emulators: Emulators,
    publish: Publish,
    results_of: ResultsOf,
) -> None:
    await oauth_connect(api)
    await fresh_emulators.post("hubspot", "/faults", {"kind": "expire_tokens"})
    events = [
        meeting_event(MeetingBooked, tenant_id=tenant.id, email=f"r{i}@acme.com") for i in range(8)
    ]
    ids = await asyncio.gather(*(publish(e) for e in events))
    results = [r for event_id in ids for r in await results_of(event_id)]
    assert all(r.success for r in results), results
    refreshes = [
        r
        for r in await fresh_emulators.requests("hubspot", path_prefix="/oauth/v1/token")
        if "refresh_token" in str(r.get("body"))
    ]
    assert len(refreshes) == 1, refreshes


async def test_keys_are_verified_before_they_are_saved_and_never_shown(
    api: httpx.AsyncClient, tenant: TenantCredentials, fresh_emulators: Emulators
) -> None:
    refused = await api.post("/v1/crm/connect/pipedrive", json={"api_token": "not-a-real-token"})
    assert refused.status_code == 422
    assert refused.json()["error"] == "credentials_refused"
    assert (await api.get("/v1/crm/connection")).json()["crm"] is None
    saved = await api.post("/v1/crm/connect/pipedrive", json={"api_token": PIPEDRIVE_TOKEN})
    assert saved.status_code == 201, saved.text
    shown = (await api.get("/v1/crm/connection")).text
    assert PIPEDRIVE_TOKEN not in shown
    assert (await api.post("/v1/crm/test")).json()["ok"] is True
    pipelines = (await api.get("/v1/crm/pipelines")).json()
    assert [p["name"] for p in pipelines] == ["Sales", "Partners"]
    stages = (await api.get(f"/v1/crm/stages/{pipelines[0]['id']}")).json()
    assert stages[0]["name"] == "Qualified"
    assert (await api.get("/v1/crm/stages/999")).status_code == 404
    users = (await api.get("/v1/crm/users")).json()
    assert "owner@example.com" in {u["email"] for u in users}
    gone = await api.delete("/v1/crm/disconnect")
    assert gone.status_code == 200
    assert (await api.get("/v1/crm/connection")).json()["crm"]["status"] == "disconnected"
    assert (await api.get("/v1/crm/pipelines")).status_code == 404


async def test_settings_are_checked_against_the_crm(
    api: httpx.AsyncClient, tenant: TenantCredentials, fresh_emulators: Emulators
) -> None:
    await connect_hubspot(api)
    wrong = await api.put(
        "/v1/crm/config",
        json={"pipeline_id": "default", "stage_mapping": {"met": "nope"}, "default_owner_id": "42"},
    )
    assert wrong.status_code == 422
    assert "stage_mapping.met 'nope'" in wrong.json()["message"]
    assert "default_owner_id '42'" in wrong.json()["message"]
    unknown_field = await api.put("/v1/crm/config", json={"field_mapping": {"contact": {"x": "y"}}})
    assert unknown_field.status_code == 422
    good = await api.put("/v1/crm/config", json=HUBSPOT_CONFIG)
    assert good.status_code == 200, good.text
    assert (await api.get("/v1/crm/config")).json()["config"]["stage_mapping"]["met"] == (
        "qualifiedtobuy"
    )


HUBSPOT_CONFIG = {
    "pipeline_id": "default",
    "new_deal_stage_id": "appointmentscheduled",
    "default_owner_id": "123456",
    "stage_mapping": {
        "met": "qualifiedtobuy",
        "closed_won": "closedwon",
        "closed_lost": "closedlost",
    },
    "field_mapping": {"deal": {"converting_channel": "dealflow_channel"}},
}


async def test_a_deal_follows_the_stage_mapping_to_won_with_value_and_lost_with_reason(
    api: httpx.AsyncClient,
    tenant: TenantCredentials,
    fresh_emulators: Emulators,
    publish: Publish,
    results_of: ResultsOf,
) -> None:
    await connect_hubspot(api)
    assert (await api.put("/v1/crm/config", json=HUBSPOT_CONFIG)).status_code == 200
    created = deal_event(DealCreated, tenant_id=tenant.id, converting_channel="Paid Search")
    ids = {"deal_id": created.deal_id, "meeting_ids": created.deal.meeting_ids}
    later = created.deal.updated_at

    def step(kind, n, **state):  # type: ignore[no-untyped-def]
        return deal_event(
            kind,
            tenant_id=tenant.id,
            updated_at=later + timedelta(seconds=n),
            converting_channel="Paid Search",
            **ids,
            **state,
        )

    async def crm_deal() -> dict[str, Any]:
        (deal,) = (await fresh_emulators.state("hubspot"))["objects"]["deals"]
        properties: dict[str, Any] = deal["properties"]
        return properties

    first = (await results_of(await publish(created)))[0]
    assert first.success, first
    deal = await crm_deal()
    assert (deal["dealstage"], deal["hubspot_owner_id"]) == ("appointmentscheduled", "123456")
    assert deal["dealflow_channel"] == "Paid Search"
    met = step(
        DealStageChanged,
        1,
        stage=DealStage.MET,
        extra={"from_stage": DealStage.BOOKED, "to_stage": DealStage.MET},
    )
    assert (await results_of(await publish(met)))[0].success
    assert (await crm_deal())["dealstage"] == "qualifiedtobuy"
    won = step(
        DealWon, 2, stage=DealStage.CLOSED_WON, status=DealStatus.WON, value=Decimal("48000.00")
    )
    assert (await results_of(await publish(won)))[0].success
    deal = await crm_deal()
    assert (deal["dealstage"], Decimal(deal["amount"])) == ("closedwon", Decimal("48000"))
    lost = step(
        DealLost,
        3,
        stage=DealStage.CLOSED_LOST,
        status=DealStatus.LOST,
        lost_reason=LostReason.NO_BUDGET,
        extra={"reason": LostReason.NO_BUDGET},
    )
    result = (await results_of(await publish(lost)))[0]
    assert result.success
    assert result.crm_deal_id == first.crm_deal_id
    deal = await crm_deal()
    assert deal["dealstage"] == "closedlost"
    assert "no_budget" in deal.get("closed_lost_reason", "")
    # An older state arriving late (a replay) never turns the CRM back.
    stale = (await results_of(await publish(met)))[0]
    assert stale.skipped
    assert stale.reason is not None
    assert stale.reason.startswith("superseded")
    assert (await crm_deal())["dealstage"] == "closedlost"


async def test_the_push_log_keeps_every_call_without_secrets(
    api: httpx.AsyncClient,
    tenant: TenantCredentials,
    fresh_emulators: Emulators,
    publish: Publish,
    results_of: ResultsOf,
) -> None:
    await connect_hubspot(api)
    meeting = meeting_event(MeetingBooked, tenant_id=tenant.id)
    (result,) = await results_of(await publish(meeting))
    page = (await api.get("/v1/crm/logs", params={"meeting_id": str(meeting.meeting_id)})).json()
    operations = [c["operation"] for c in reversed(page["items"])]
    assert "upsert_contact" in operations
    assert "create_meeting" in operations
    assert all(c["push_id"] == str(result.push_id) for c in page["items"])
    created = next(c for c in page["items"] if c["operation"] == "create_meeting")
    detail = (await api.get(f"/v1/crm/logs/{created['id']}")).json()
    # The push's own share of the batch create: its input, and its record in the answer.
    assert detail["path"] == "/crm/v3/objects/meetings/batch/create"
    [sent] = detail["request_body"]["inputs"]
    assert sent["properties"]["hs_meeting_title"] == "Discovery Call"
    assert detail["response_body"]["id"] == result.crm_activity_id
    assert detail["crm_id"] == result.crm_activity_id
    assert detail["duration_ms"] >= 0
    everything = (await api.get(f"/v1/crm/pushes/{result.push_id}")).text
    assert HUBSPOT_TOKEN not in everything
    one = (await api.get("/v1/crm/logs", params={"limit": 1})).json()
    rest = (
        await api.get("/v1/crm/logs", params={"limit": 50, "cursor": one["next_cursor"]})
    ).json()
    assert len(rest["items"]) == len(page["items"]) - 1
    by_op = (await api.get("/v1/crm/logs", params={"operation": "create_meeting"})).json()
    assert [c["id"] for c in by_op["items"]] == [created["id"]]
    metrics = (await api.get("/metrics")).text
    assert 'dealflow_crm_pushes_total{outcome="succeeded",provider="hubspot"}' in metrics
    assert 'dealflow_crm_call_seconds_count{provider="hubspot",status="2xx"}' in metrics


async def test_notion_rows_follow_the_booking(
    api: httpx.AsyncClient,
    tenant: TenantCredentials,
    fresh_emulators: Emulators,
    publish: Publish,
    results_of: ResultsOf,
) -> None:
    await fresh_emulators.post(
        "notion", "/seed/pages", [{"Name": "Jane", "Email": "jane@prospect.io"}]
    )
    missing = await api.post(
        "/v1/crm/connect/notion",
        json={
            "token": NOTION_TOKEN,
            "database_id": NOTION_DATABASE,
            "mapping": {"on_booked": {"Nope": "x"}},
        },
    )
    assert missing.status_code == 422
    assert "'Nope'" in missing.json()["message"]
    connected = await api.post(
        "/v1/crm/connect/notion", json={"token": NOTION_TOKEN, "database_id": NOTION_DATABASE}
    )
    assert connected.status_code == 201, connected.text
    event_id = await publish(
        meeting_event(
            MeetingBooked,
            tenant_id=tenant.id,
            email="jane@prospect.io",
            company_domain="prospect.io",
        )
    )
    results = await results_of(event_id, count=2)  # no CRM (skipped) and Notion
    notion = next(r for r in results if r.target == "notion")
    assert notion.success, notion
    (page,) = (await fresh_emulators.state("notion"))["objects"]["pages"]
    shown = str(page)
    assert "Booked" in shown
    assert "Pre-Call Prep" in shown
    unknown = await publish(meeting_event(MeetingBooked, tenant_id=tenant.id, email="x@y.io"))
    skipped = next(r for r in await results_of(unknown, count=2) if r.target == "notion")
    assert skipped.skipped
    assert "no Notion page" in (skipped.reason or "")


async def test_a_token_expiring_soon_is_refreshed_before_use_and_only_once(
    api: httpx.AsyncClient,
    tenant: TenantCredentials,
    fresh_emulators: Emulators,
    publish: Publish,
    results_of: ResultsOf,
    uow_factory: Callable[..., CrmPushUnitOfWork],
) -> None:
    await oauth_connect(api)
    first = meeting_event(MeetingBooked, tenant_id=tenant.id, email="s0@acme.com")
    assert (await results_of(await publish(first)))[0].success
    # 28 minutes later: the token has 2 minutes left, inside the 5-minute margin.
    async with uow_factory() as uow:
        connection = await uow.pushes.connection(tenant.id, PushTarget.CRM)
        assert connection is not None
        connection.token_expires_at = datetime.now(UTC) + timedelta(minutes=2)
        connection.updated_at = datetime.now(UTC)
        await uow.pushes.save_connection(connection)
        await uow.commit()
    for i in range(1, 4):
        event = meeting_event(MeetingBooked, tenant_id=tenant.id, email=f"s{i}@acme.com")
        assert (await results_of(await publish(event)))[0].success
    token_calls = await fresh_emulators.requests("hubspot", path_prefix="/oauth/v1/token")
    refreshes = [r for r in token_calls if "refresh_token" in str(r.get("body"))]
    assert len(refreshes) == 1
    assert await fresh_emulators.requests("hubspot", status=401) == []


async def test_a_refused_token_refresh_marks_the_connection_with_the_reason(
    api: httpx.AsyncClient,
    tenant: TenantCredentials,
    fresh_emulators: Emulators,
    publish: Publish,
) -> None:
    await oauth_connect(api)
    await fresh_emulators.post("hubspot", "/faults", {"kind": "revoke"})
    await publish(meeting_event(MeetingBooked, tenant_id=tenant.id))

    async def marked() -> dict[str, Any] | None:
        crm = (await api.get("/v1/crm/connection")).json()["crm"]
        return crm if crm["status"] == "error" else None

    connection = await eventually(marked, what="the connection marked error")
    assert connection["status_reason"].startswith("token refresh refused")
    pending = (await api.get("/v1/crm/pushes", params={"status": "pending"})).json()["items"]
    assert len(pending) == 1
