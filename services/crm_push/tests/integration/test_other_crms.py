"""Pipedrive and Close: a booking, its deal and the win, pushed through the running service."""

from datetime import timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest

from dealflow_libs.testing.factories import deal_event, meeting_event
from dealflow_libs.testing.tenants import TenantCredentials
from dealflow_schemas.deals import DealCreated, DealStage, DealStatus, DealWon
from dealflow_schemas.meetings import MeetingBooked

from .support import CLOSE_KEY, PIPEDRIVE_TOKEN, Emulators, Publish, ResultsOf

CRMS = {
    # name: (connect path, body, (contact, company, deal, activity) object types)
    "pipedrive": (
        "/v1/crm/connect/pipedrive",
        {"api_token": PIPEDRIVE_TOKEN},
        ("persons", "organizations", "deals", "activities"),
    ),
    "close": (
        "/v1/crm/connect/close",
        {"api_key": CLOSE_KEY},
        ("contacts", "leads", "opportunities", "custom_activities"),
    ),
}


def won_in(name: str, deal: dict[str, Any], state: dict[str, Any]) -> bool:
    if name == "pipedrive":
        return bool(deal["status"] == "won" and Decimal(str(deal["value"])) == Decimal("1500"))
    statuses = state["objects"]["opportunity_statuses"]
    status = next(s for s in statuses if s["id"] == deal["status_id"])
    return bool(status["type"] == "won" and deal["value"] == 150000)  # cents


@pytest.mark.parametrize("name", sorted(CRMS))
async def test_booking_deal_and_win_reach_the_crm_once(
    name: str,
    api: httpx.AsyncClient,
    tenant: TenantCredentials,
    fresh_emulators: Emulators,
    publish: Publish,
    results_of: ResultsOf,
) -> None:
    path, body, kinds = CRMS[name]
    connected = await api.post(path, json=body)
    assert connected.status_code == 201, connected.text
    meeting = meeting_event(MeetingBooked, tenant_id=tenant.id)
    booked = await publish(meeting)
    assert (await results_of(booked))[0].success
    created = deal_event(DealCreated, tenant_id=tenant.id, meeting_ids=[meeting.meeting_id])
    assert (await results_of(await publish(created)))[0].success
    won = deal_event(
        DealWon,
        tenant_id=tenant.id,
        deal_id=created.deal_id,
        meeting_ids=[meeting.meeting_id],
        stage=DealStage.CLOSED_WON,
        status=DealStatus.WON,
        value=Decimal("1500.00"),
        updated_at=created.deal.updated_at + timedelta(seconds=1),
    )
    result = (await results_of(await publish(won)))[0]
    assert result.success, result
    relinked = (await results_of(booked, count=2))[1]
    assert relinked.success, relinked
    state = await fresh_emulators.state(name)
    contact, company, deal, activity = (state["objects"][k] for k in kinds)
    assert (len(contact), len(company), len(deal), len(activity)) == (1, 1, 1, 1), state["counts"]
    assert won_in(name, deal[0], state), deal[0]
    assert str(deal[0]["id"]) == result.crm_deal_id
    assert str(activity[0]["id"]) == relinked.crm_activity_id
    assert relinked.crm_deal_id == result.crm_deal_id
