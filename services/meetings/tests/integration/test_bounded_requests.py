"""Requests the database could not hold are 422s naming the field, never 500s (issue 8)."""

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

START = (datetime.now(UTC) + timedelta(days=3)).replace(microsecond=0).isoformat()
MANUAL = {"title": "Intro call", "scheduled_at": START, "attendee_email": "ceo@initech.com"}


async def manual_meeting(client, tenant) -> str:  # type: ignore[no-untyped-def]
    response = await client.post("/v1/meetings", json=MANUAL, headers=tenant.auth)
    assert response.status_code == 201, response.text
    meeting_id: str = response.json()["meeting_id"]
    return meeting_id


def assert_422_naming(response: Any, field: str) -> None:
    assert response.status_code == 422, response.text
    assert field in response.json()["message"], response.json()
    assert any(field in d["field"] for d in response.json()["details"])


MANUAL_BAD = {
    "NUL in title": ({"title": "Intro\u0000"}, "title"),
    "NUL in attendee name": ({"attendee_name": "Pe\u0000ter"}, "attendee_name"),
    "NUL in notes": ({"notes": "\u0000"}, "notes"),
    "NUL in location": ({"location": "Room \u0000"}, "location"),
    "NUL in a tracking value": ({"tracking": {"utm_source": "a\u0000"}}, "tracking.utm_source"),
    "NUL in a tracking key": ({"tracking": {"extra": {"k\u0000": "v"}}}, "tracking.extra"),
    "year 1": ({"scheduled_at": "0001-01-01T00:00:00Z"}, "scheduled_at"),
    "overflows in UTC": ({"scheduled_at": "9999-12-31T23:00:00-05:00"}, "scheduled_at"),
    "10 KB title": ({"title": "t" * 10_000}, "title"),
}


@pytest.mark.parametrize(("change", "field"), MANUAL_BAD.values(), ids=MANUAL_BAD.keys())
async def test_manual_meeting(client, tenant, change: dict[str, Any], field: str) -> None:
    response = await client.post("/v1/meetings", json={**MANUAL, **change}, headers=tenant.auth)
    assert_422_naming(response, field)


COMMANDS_BAD = {
    "NUL in confirmed_by": (
        "attendance",
        {"showed_up": True, "confirmed_by": "rep\u0000@acme.com"},
        "confirmed_by",
    ),
    "NUL in no_show_reason": (
        "attendance",
        {"showed_up": False, "no_show_reason": "\u0000"},
        "no_show_reason",
    ),
    "NUL in outcome notes": ("outcome", {"outcome": "good", "notes": "ok\u0000"}, "notes"),
    "deal value 1e300": (
        "outcome",
        {"outcome": "good", "create_deal": True, "deal_value": 1e300},
        "deal_value",
    ),
    "NUL in deal name": (
        "outcome",
        {"outcome": "good", "create_deal": True, "deal_name": "\u0000"},
        "deal_name",
    ),
}


@pytest.mark.parametrize(
    ("command", "body", "field"), COMMANDS_BAD.values(), ids=COMMANDS_BAD.keys()
)
async def test_commands(client, tenant, command: str, body: dict[str, Any], field: str) -> None:
    meeting_id = await manual_meeting(client, tenant)
    response = await client.post(
        f"/v1/meetings/{meeting_id}/{command}", json=body, headers=tenant.auth
    )
    assert_422_naming(response, field)


async def test_settings_with_nul_in_a_type_rule(client, tenant) -> None:
    body = {"meeting_type_rules": [{"match": "demo\u0000", "type": "demo"}]}
    response = await client.put("/v1/settings", json=body, headers=tenant.auth)
    assert_422_naming(response, "meeting_type_rules.0.match")


LIST_BAD = {
    "NUL in attendee_email": ({"attendee_email": "a\u0000@b.com"}, "attendee_email"),
    "since year 1 east of UTC": ({"since": "0001-01-01T00:00:00+05:00"}, "since"),
    "until overflows in UTC": ({"until": "9999-12-31T23:00:00-05:00"}, "until"),
}


@pytest.mark.parametrize(("params", "field"), LIST_BAD.values(), ids=LIST_BAD.keys())
async def test_list_filters(client, tenant, params: dict[str, str], field: str) -> None:
    response = await client.get("/v1/meetings", params=params, headers=tenant.auth)
    assert_422_naming(response, field)
