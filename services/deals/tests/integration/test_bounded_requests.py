"""Requests the database could not hold are 422s naming the field, never 500s (issue 8)."""

import asyncio
import uuid
from typing import Any

import pytest

from dealflow_libs.testing.factories import meeting_event
from dealflow_schemas.meetings import MeetingBooked


async def new_deal(client, tenant, publish) -> str:  # type: ignore[no-untyped-def]
    company = f"corp-{uuid.uuid4().hex[:6]}.com"
    await publish(
        meeting_event(
            MeetingBooked, tenant_id=tenant.id, email=f"ceo@{company}", company_domain=company
        )
    )
    for _ in range(150):
        found = await client.get(
            "/v1/deals", params={"company_domain": company}, headers=tenant.auth
        )
        if found.json()["items"]:
            deal_id: str = found.json()["items"][0]["deal_id"]
            return deal_id
        await asyncio.sleep(0.1)
    raise TimeoutError(company)


def assert_422_naming(response: Any, field: str) -> None:
    assert response.status_code == 422, response.text
    assert field in response.json()["message"], response.json()


DEAL_COMMANDS_BAD = {
    "null name": ("PATCH", "", {"name": None}, "name"),
    "null currency": ("PATCH", "", {"currency": None}, "currency"),
    "NUL in name": ("PATCH", "", {"name": "Big\u0000"}, "name"),
    "NUL in owner": ("PATCH", "", {"owner": "\u0000"}, "owner"),
    "value beyond Numeric(14, 2)": ("PATCH", "", {"value": "1000000000000"}, "value"),
    "year 1 close": ("PATCH", "", {"expected_close_date": "0001-01-01"}, "expected_close_date"),
    "won with 1e300": ("POST", "/won", {"value": 1e300}, "value"),
    "won with 7.3e51": ("POST", "/won", {"value": 7.3e51}, "value"),
    "NUL in won changed_by": ("POST", "/won", {"changed_by": "a\u0000"}, "changed_by"),
    "NUL in lost notes": ("POST", "/lost", {"reason": "other", "notes": "\u0000"}, "notes"),
    "NUL in stage reason": ("POST", "/stage", {"stage": "met", "reason": "\u0000"}, "reason"),
}


@pytest.mark.parametrize(
    ("method", "suffix", "body", "field"), DEAL_COMMANDS_BAD.values(), ids=DEAL_COMMANDS_BAD.keys()
)
async def test_deal_commands(
    client, tenant, publish, method: str, suffix: str, body: dict[str, Any], field: str
) -> None:
    deal_id = await new_deal(client, tenant, publish)
    response = await client.request(
        method, f"/v1/deals/{deal_id}{suffix}", json=body, headers=tenant.auth
    )
    assert_422_naming(response, field)


async def test_fields_that_may_be_cleared_still_take_null(client, tenant, publish) -> None:
    deal_id = await new_deal(client, tenant, publish)
    response = await client.patch(
        f"/v1/deals/{deal_id}",
        json={"owner": None, "expected_close_date": None, "value": None},
        headers=tenant.auth,
    )
    assert response.status_code == 200, response.text
    assert (response.json()["owner"], response.json()["value"]) == (None, None)


SETTINGS_BAD = {
    "NUL in a CRM stage name": (
        {"crm_stage_mappings": {"hubspot": {"won\u0000": "closed_won"}}},
        "crm_stage_mappings",
    ),
    "NUL in a CRM name": ({"crm_stage_mappings": {"hub\u0000": {}}}, "crm_stage_mappings"),
}


@pytest.mark.parametrize(("body", "field"), SETTINGS_BAD.values(), ids=SETTINGS_BAD.keys())
async def test_settings(client, tenant, body: dict[str, Any], field: str) -> None:
    response = await client.put("/v1/settings", json=body, headers=tenant.auth)
    assert_422_naming(response, field)


SYNC = {"external_deal_id": "hs-1", "stage": "appointmentscheduled"}
SYNC_BAD = {
    "NUL in the external id": ({"external_deal_id": "hs\u0000"}, "external_deal_id"),
    "3 KB external id": ({"external_deal_id": "h" * 3000}, "external_deal_id"),
    "NUL in the stage": ({"stage": "won\u0000"}, "stage"),
    "NUL in the contact": ({"contact_email": "a\u0000@b.com"}, "contact_email"),
    "value 1e300": ({"value": 1e300}, "value"),
}


@pytest.mark.parametrize(("change", "field"), SYNC_BAD.values(), ids=SYNC_BAD.keys())
async def test_crm_sync(client, tenant, change: dict[str, Any], field: str) -> None:
    response = await client.post("/v1/sync/hubspot", json={**SYNC, **change}, headers=tenant.auth)
    assert_422_naming(response, field)


LIST_BAD = {
    "NUL in company_domain": ("/v1/deals", {"company_domain": "a\u0000.com"}, "company_domain"),
    "created_since overflows": (
        "/v1/deals",
        {"created_since": "0001-01-01T00:00:00+05:00"},
        "created_since",
    ),
    "NUL in company domain filter": ("/v1/companies", {"domain": "\u0000"}, "domain"),
}


@pytest.mark.parametrize(("path", "params", "field"), LIST_BAD.values(), ids=LIST_BAD.keys())
async def test_list_filters(client, tenant, path: str, params: dict[str, str], field: str) -> None:
    response = await client.get(path, params=params, headers=tenant.auth)
    assert_422_naming(response, field)
