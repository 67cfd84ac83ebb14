"""NotionTargetAdapter against the Notion emulator over real HTTP (notify_notion.md §3)."""

from typing import Any

import httpx
import pytest

from crm_push.providers.base import NotionUpdate, NotionValue
from crm_push.providers.notion import NotionTargetAdapter, notion_http
from crm_push.providers.transport import FailureKind, ProviderError, ProviderHttp, StaticAuth

from .emulated import assert_calls_are_clean

TOKEN = "ntn_dev_integration_token"  # the emulator's integration token (docs/emulators.md)
JANE = "jane@prospect.io"

pytestmark = pytest.mark.usefixtures("notion_control")


def pre_call(email: str = JANE, status: str = "Pre-Call Prep") -> NotionUpdate:
    """The default pre-call mapping (issue 10, Connections)."""
    return NotionUpdate(
        email=email,
        properties={
            "Booking Status": NotionValue("select", "Booked"),
            "Diagnostic Call Date": NotionValue("date", "2025-12-09"),
            "Christmas Campaign Status": NotionValue("status", status),
        },
    )


async def seed(control: httpx.AsyncClient, *rows: dict[str, Any]) -> list[str]:
    answer = (await control.post("/seed/pages", json=list(rows))).raise_for_status()
    return [page["id"] for page in answer.json()["results"]]


async def rows(control: httpx.AsyncClient) -> dict[str, dict[str, Any]]:
    state = (await control.get("/state")).json()
    return {page["id"]: page["values"] for page in state["objects"]["pages"]}


async def patches(control: httpx.AsyncClient) -> int:
    answer = await control.get("/requests", params={"method": "PATCH"})
    count: int = answer.json()["count"]
    return count


def written(values: dict[str, Any]) -> dict[str, Any]:
    """The three pre-call columns of a stored row, as plain values."""
    status = values.get("Christmas Campaign Status")
    booked = values.get("Booking Status")
    when = values.get("Diagnostic Call Date")
    return {
        "Booking Status": booked["name"] if booked else None,
        "Diagnostic Call Date": when["start"] if when else None,
        "Christmas Campaign Status": status["name"] if status else None,
    }


async def test_the_pre_call_mapping_is_written_on_the_row_with_that_email(
    notion: NotionTargetAdapter, notion_control: httpx.AsyncClient
) -> None:
    [jane, other] = await seed(
        notion_control, {"Name": "Jane", "Email": JANE}, {"Name": "Ola", "Email": "ola@x.io"}
    )

    page_id = await notion.update_by_email(pre_call(email="Jane@Prospect.io"))

    assert page_id == jane
    stored = await rows(notion_control)
    assert written(stored[jane]) == {
        "Booking Status": "Booked",
        "Diagnostic Call Date": "2025-12-09",
        "Christmas Campaign Status": "Pre-Call Prep",
    }
    assert written(stored[other])["Booking Status"] is None
    assert [c.operation for c in notion.http.calls] == ["get_database", "find_page", "update_page"]


async def test_no_row_with_the_email_writes_nothing(
    notion: NotionTargetAdapter, notion_control: httpx.AsyncClient
) -> None:
    await seed(notion_control, {"Name": "Ola", "Email": "ola@x.io"})

    assert await notion.update_by_email(pre_call()) is None
    assert await patches(notion_control) == 0


async def test_an_unknown_status_option_is_rejected_naming_property_and_value(
    notion: NotionTargetAdapter, notion_control: httpx.AsyncClient
) -> None:
    await seed(notion_control, {"Name": "Jane", "Email": JANE})

    with pytest.raises(ProviderError) as refused:
        await notion.update_by_email(pre_call(status="Prepping"))

    assert refused.value.kind is FailureKind.REJECTED
    assert "Christmas Campaign Status" in refused.value.message
    assert "'Prepping'" in refused.value.message
    assert await patches(notion_control) == 0


async def test_an_unknown_property_is_rejected(
    notion: NotionTargetAdapter, notion_control: httpx.AsyncClient
) -> None:
    update = NotionUpdate(JANE, {"Stage": NotionValue("rich_text", "Booked")})

    with pytest.raises(ProviderError) as refused:
        await notion.update_by_email(update)

    assert refused.value.kind is FailureKind.REJECTED
    assert "'Stage'" in refused.value.message


async def test_a_value_of_another_kind_is_rejected(notion: NotionTargetAdapter) -> None:
    update = NotionUpdate(JANE, {"Diagnostic Call Date": NotionValue("select", "Booked")})

    with pytest.raises(ProviderError) as refused:
        await notion.update_by_email(update)

    assert "is a date, not a select" in refused.value.message


async def test_a_bad_date_is_rejected(notion: NotionTargetAdapter) -> None:
    update = NotionUpdate(JANE, {"Diagnostic Call Date": NotionValue("date", "09.12.2025")})

    with pytest.raises(ProviderError) as refused:
        await notion.update_by_email(update)

    assert refused.value.kind is FailureKind.REJECTED


async def test_a_select_column_given_as_status_is_written_as_its_type(
    notion: NotionTargetAdapter, notion_control: httpx.AsyncClient
) -> None:
    """The mapping was saved against a table where Booking Status was a status column."""
    [jane] = await seed(notion_control, {"Name": "Jane", "Email": JANE})
    update = NotionUpdate(JANE, {"Booking Status": NotionValue("status", "Booked")})

    await notion.update_by_email(update)

    assert written((await rows(notion_control))[jane])["Booking Status"] == "Booked"


async def test_text_and_date_times_are_written(
    notion: NotionTargetAdapter, notion_control: httpx.AsyncClient
) -> None:
    [jane] = await seed(notion_control, {"Name": "Jane", "Email": JANE})
    update = NotionUpdate(
        JANE,
        {
            "Notes": NotionValue("rich_text", "Booked via Dealflow"),
            "Diagnostic Call Date": NotionValue("date", "2025-12-09T15:30:00+01:00"),
        },
    )

    await notion.update_by_email(update)

    stored = (await rows(notion_control))[jane]
    assert stored["Notes"][0]["plain_text"] == "Booked via Dealflow"
    assert stored["Diagnostic Call Date"]["start"] == "2025-12-09T15:30:00+01:00"


async def test_a_row_already_holding_the_values_is_not_written_again(
    notion: NotionTargetAdapter, notion_control: httpx.AsyncClient
) -> None:
    await seed(notion_control, {"Name": "Jane", "Email": JANE})

    first = await notion.update_by_email(pre_call())
    again = await notion.update_by_email(pre_call())

    assert again == first
    assert await patches(notion_control) == 1
    operations = [c.operation for c in notion.http.calls]
    assert operations == ["get_database", "find_page", "update_page", "find_page"]


async def test_every_row_with_the_email_is_updated(
    notion: NotionTargetAdapter, notion_control: httpx.AsyncClient
) -> None:
    ids = await seed(notion_control, {"Name": "Jane", "Email": JANE}, {"Name": "J.", "Email": JANE})

    page_id = await notion.update_by_email(pre_call())

    assert page_id in ids
    stored = await rows(notion_control)
    assert {written(stored[i])["Booking Status"] for i in ids} == {"Booked"}


async def test_property_types_come_from_the_database(notion: NotionTargetAdapter) -> None:
    assert await notion.property_types() == {
        "Name": "title",
        "Email": "email",
        "Booking Status": "select",
        "Diagnostic Call Date": "date",
        "Christmas Campaign Status": "status",
        "Notes": "rich_text",
    }


async def test_a_database_found_by_a_text_email_column(
    notion_transport: ProviderHttp, notion_control: httpx.AsyncClient
) -> None:
    stage = {"type": "status", "options": ["New", "Booked"]}
    database = {
        "title": "Leads",
        "properties": {"Lead": "title", "Email": "rich_text", "Stage": stage},
    }
    [created] = (await notion_control.post("/seed/databases", json=[database])).json()["results"]
    await seed(notion_control, {"database_id": created["id"], "Lead": "Jane", "Email": JANE})
    adapter = NotionTargetAdapter(notion_transport, created["id"])

    page_id = await adapter.update_by_email(
        NotionUpdate(JANE, {"Stage": NotionValue("status", "Booked")})
    )

    assert page_id is not None
    assert (await rows(notion_control))[page_id]["Stage"]["name"] == "Booked"


async def test_a_429_is_rate_limited_with_retry_after(
    notion: NotionTargetAdapter, notion_control: httpx.AsyncClient
) -> None:
    await notion_control.post(
        "/faults", json={"kind": "rate_limit", "count": 1, "retry_after_ms": 3000}
    )

    with pytest.raises(ProviderError) as limited:
        await notion.update_by_email(pre_call())

    assert limited.value.kind is FailureKind.RATE_LIMITED
    assert (limited.value.retry_after, limited.value.code) == (3.0, "rate_limited")


async def test_a_5xx_is_unavailable(
    notion: NotionTargetAdapter, notion_control: httpx.AsyncClient
) -> None:
    await notion_control.post("/faults", json={"kind": "server_error", "count": 1, "status": 503})

    with pytest.raises(ProviderError) as down:
        await notion.verify()

    assert (down.value.kind, down.value.code) == (FailureKind.UNAVAILABLE, "service_unavailable")


async def test_verify_refuses_a_database_not_shared(
    notion_transport: ProviderHttp,
) -> None:
    adapter = NotionTargetAdapter(notion_transport, "5e0b8f8e-0000-4000-8000-000000000000")

    with pytest.raises(ProviderError) as missing:
        await adapter.verify()

    assert (missing.value.kind, missing.value.code) == (FailureKind.REJECTED, "object_not_found")


async def test_a_bad_token_is_unauthorized(notion_url: str, client: httpx.AsyncClient) -> None:
    http = notion_http(client, notion_url, StaticAuth({"Authorization": "Bearer ntn_wrong"}))

    with pytest.raises(ProviderError) as refused:
        await NotionTargetAdapter(http, "0f6c5c7e-3b8d-4a59-9c0e-5d1b2f3a4c01").verify()

    assert (refused.value.kind, refused.value.code) == (FailureKind.UNAUTHORIZED, "unauthorized")


async def test_calls_are_recorded_without_the_token(
    notion: NotionTargetAdapter, notion_control: httpx.AsyncClient
) -> None:
    await seed(notion_control, {"Name": "Jane", "Email": JANE})
    await notion.update_by_email(pre_call())

    calls = notion.http.take_calls()

    assert_calls_are_clean(calls, TOKEN)
    patch = calls[-1]
    assert patch.request_body["properties"]["Booking Status"] == {"select": {"name": "Booked"}}
    assert patch.status == 200
