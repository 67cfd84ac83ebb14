"""The console's meetings in a real browser against the running system: a booking appears in
the list without a reload, its page tells its life, a rep marks attendance and records the
outcome (which creates the deal), and the booking trail shows what every service did and can
replay it without doubling anything."""

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest
from playwright.async_api import Page, expect

from dealflow_libs.testing.browser import screenshot
from dealflow_libs.testing.waiting import eventually
from ingest.samples.builders import calcom

from .conftest import PHONE, System

pytestmark = pytest.mark.e2e


def new_attendee() -> tuple[str, str]:
    domain = f"meet-{uuid.uuid4().hex[:6]}.com"
    return domain, f"ann@{domain}"


async def send_booking(system: System, email: str, *, hours_ahead: int = 48) -> str:
    """A signed Cal.com booking; answers the event id ingest gave it (the booking's id)."""
    start = datetime.now(UTC) + timedelta(hours=hours_ahead)
    booking = calcom("BOOKING_CREATED", uid=uuid.uuid4().hex, email=email, start=start)
    response = await system.webhook("calcom", booking)
    assert response.status_code == 202, response.text
    event_id: str = response.json()["event_id"]
    return event_id


async def meeting_of(system: System, booking_id: str) -> dict[str, Any]:
    async def found() -> dict[str, Any] | None:
        response = await system.http.get(
            f"{system.urls['meetings']}/v1/meetings/by-booking/{booking_id}", headers=system.auth
        )
        return response.json() if response.status_code == 200 else None

    meeting: dict[str, Any] = await eventually(found, within=60, what=f"meeting of {booking_id}")
    return meeting


async def test_a_booking_appears_in_the_list_and_its_page_tells_its_life(
    system: System, console: Page
) -> None:
    _, email = new_attendee()
    await console.goto(f"/meetings?tab=upcoming&attendee_email={email}")
    await expect(console.get_by_text("No meetings.")).to_be_visible()

    booking_id = await send_booking(system, email)
    meeting = await meeting_of(system, booking_id)
    row = console.locator(f'[data-meeting-id="{meeting["meeting_id"]}"]')

    # No reload: the upcoming list refreshes itself.
    await expect(row).to_be_visible(timeout=30_000)
    await expect(row).to_contain_text(email)
    await screenshot(console, "meetings list with a new booking")

    await console.get_by_role("link", name="Past").click()
    # The tab keeps the filter.
    await expect(console).to_have_url(
        f"{system.urls['console']}/meetings?tab=past&attendee_email={email.replace('@', '%40')}"
    )
    await expect(console.get_by_label("Attendee email")).to_have_value(email)
    await expect(console.locator(f'[data-meeting-id="{meeting["meeting_id"]}"]')).to_have_count(0)
    await screenshot(console, "meetings list past")

    await console.goto(f"/meetings?tab=upcoming&attendee_email={email}")
    await row.get_by_role("link").click()
    await expect(console).to_have_url(f"{system.urls['console']}/meetings/{meeting['meeting_id']}")
    timeline = console.get_by_role("list", name="Lifecycle of the meeting")
    await expect(timeline.locator('[data-kind="booked"]')).to_contain_text("calcom booking for")
    # The tenant's reminder offsets are planned and shown as due.
    await expect(timeline.locator('[data-kind="reminder"]').first).to_contain_text("pending")
    await expect(console.get_by_role("link", name="Booking trail")).to_have_attribute(
        "href", f"/bookings/{booking_id}"
    )
    await screenshot(console, "meeting page")

    # Where the deal page links a meeting's booking trail.
    await console.goto(f"/meetings/{meeting['meeting_id']}/trail")
    await expect(console).to_have_url(f"{system.urls['console']}/bookings/{booking_id}")
    trail = console.get_by_role("list", name="Everything done for this booking")
    await expect(trail.locator('[data-kind="delivery"]')).to_contain_text("accepted")
    await expect(trail.get_by_role("link", name="Meeting booked")).to_be_visible()

    # The changes made here refuse a form without the session's CSRF token.
    cookies = {c["name"]: c["value"] for c in await console.context.cookies()}
    async with httpx.AsyncClient(base_url=system.urls["console"], cookies=cookies) as http:
        refused = [
            await http.post(f"/bookings/{booking_id}/replay"),
            await http.post(f"/outcome/{booking_id}", data={"outcome": "good"}),
            await http.post(
                f"/meetings/{meeting['meeting_id']}/attendance", data={"showed_up": "true"}
            ),
        ]
    assert [r.status_code for r in refused] == [403, 403, 403]
    after = await system.get("meetings", f"/v1/meetings/{meeting['meeting_id']}")
    assert (after["showed_up"], after["meeting_outcome"]) == (None, "pending")


async def test_the_list_filters_and_reads_on_a_phone(system: System, console: Page) -> None:
    _, email = new_attendee()
    booking_id = await send_booking(system, email)
    meeting = await meeting_of(system, booking_id)
    await console.goto("/meetings")
    await console.get_by_label("Attendee email").fill(email)
    await console.get_by_label("Type").select_option(meeting["meeting_type"])
    await console.get_by_role("button", name="Filter").click()
    await expect(console.locator("tbody tr")).to_have_count(1)
    await expect(console.locator(f'[data-meeting-id="{meeting["meeting_id"]}"]')).to_be_visible()

    await console.get_by_label("Outcome").select_option("good")
    await console.get_by_role("button", name="Filter").click()
    await expect(console.get_by_text("No meetings.")).to_be_visible()

    await console.set_viewport_size(PHONE)
    await console.goto("/meetings")
    await screenshot(console, "meetings list at 390px")
    assert await console.evaluate("document.documentElement.scrollWidth") <= 390


async def test_attendance_and_no_show(system: System, console: Page) -> None:
    _, email = new_attendee()
    booking_id = await send_booking(system, email, hours_ahead=-1)
    meeting = await meeting_of(system, booking_id)
    await console.goto(f"/meetings?tab=past&attendee_email={email}")
    await (
        console.locator(f'[data-meeting-id="{meeting["meeting_id"]}"]').get_by_role("link").click()
    )
    await expect(console).to_have_url(f"{system.urls['console']}/meetings/{meeting['meeting_id']}")

    await console.get_by_label("No-show reason").fill("Did not join the call")
    await console.get_by_role("button", name="Mark no-show").click()
    await expect(console.get_by_test_id("attendance")).to_have_text("No-show")
    no_show = console.locator('[data-kind="no_show"]')
    await expect(no_show).to_contain_text("Did not join the call")
    after = await system.get("meetings", f"/v1/meetings/{meeting['meeting_id']}")
    assert (after["showed_up"], after["no_show_reason"], after["meeting_outcome"]) == (
        False,
        "Did not join the call",
        "no_show",
    )

    # A correction: they had joined after all.
    await console.get_by_role("button", name="Mark attended").click()
    await expect(console.get_by_test_id("attendance")).to_have_text("Attended")
    await expect(console.locator('[data-kind="attended"]')).to_be_visible()
    await screenshot(console, "meeting page attended")
    after = await system.get("meetings", f"/v1/meetings/{meeting['meeting_id']}")
    assert (after["showed_up"], after["status"], after["meeting_outcome"]) == (
        True,
        "completed",
        "pending",
    )
    # The console's commands joined the booking's trail.
    trail = await system.get("meetings", f"/v1/trail/{booking_id}")
    types = [i["event_type"] for i in trail["items"] if i["direction"] == "published"]
    assert "dealflow.meeting.no_show.v1" in types
    assert "dealflow.meeting.attended.v1" in types


@pytest.fixture
async def deals_on_good_outcome(system: System) -> AsyncIterator[None]:
    """The tenant's deal policy set to on_good_outcome through deals' settings API, and put
    back afterwards (the other tests of the session expect a deal per booking)."""
    before = await system.get("deals", "/v1/settings")
    changed = await system.http.put(
        f"{system.urls['deals']}/v1/settings",
        json={**before, "policy": "on_good_outcome"},
        headers=system.auth,
    )
    assert changed.status_code == 200, changed.text
    try:
        yield
    finally:
        restored = await system.http.put(
            f"{system.urls['deals']}/v1/settings", json=before, headers=system.auth
        )
        assert restored.status_code == 200, restored.text


async def counts(system: System, domain: str, email: str) -> tuple[int, int]:
    deals = await system.get("deals", "/v1/deals", company_domain=domain)
    meetings = await system.get("meetings", "/v1/meetings", attendee_email=email)
    return len(deals["items"]), len(meetings["items"])


async def test_the_outcome_creates_the_deal_and_the_trail_tells_it_all(
    hubspot: System, mailer: System, deals_on_good_outcome: None, console: Page
) -> None:
    system = hubspot
    domain, email = new_attendee()
    booking_id = await send_booking(system, email)
    meeting = await meeting_of(system, booking_id)
    assert meeting["deal_id"] is None  # on_good_outcome: a booking alone makes no deal

    await console.goto(f"/outcome/{booking_id}")
    await screenshot(console, "outcome form")
    await console.get_by_label("Outcome").select_option("good")
    await console.get_by_label("Notes").fill("Budget approved, wants a pilot")
    await console.get_by_label("Next steps").fill("Send the pilot proposal")
    await console.get_by_label("Create a deal").check()
    await console.get_by_label("Deal name").fill("Pilot for Meet Co")
    await console.get_by_label("Deal value").fill("18000")
    await console.get_by_role("button", name="Record outcome").click()

    await expect(console).to_have_url(f"{system.urls['console']}/meetings/{meeting['meeting_id']}")
    await expect(console.get_by_test_id("meeting-outcome")).to_have_text("Good")
    await expect(console.locator('[data-kind="outcome"]')).to_contain_text(
        "Send the pilot proposal"
    )

    async def the_deal() -> dict[str, Any] | None:
        found = await system.get("deals", "/v1/deals", company_domain=domain)
        return found["items"][0] if found["items"] else None

    deal = await eventually(the_deal, within=60, what=f"the deal of {domain}")
    assert (deal["name"], Decimal(deal["value"]), deal["stage"]) == (
        "Pilot for Meet Co",
        Decimal("18000"),
        "qualification",
    )

    async def pushed_and_emailed() -> bool:
        calls = await system.get("crm_push", "/v1/crm/logs", deal_id=deal["deal_id"])
        emails = await system.get(
            "notifications", "/v1/notifications", meeting_id=meeting["meeting_id"]
        )
        return bool(calls["items"]) and any(e["status"] == "sent" for e in emails["items"])

    await eventually(pushed_and_emailed, within=90, what="the CRM push and the confirmation")

    await console.goto(f"/meetings/{meeting['meeting_id']}")
    await expect(console.locator('[data-kind="email"]').first).to_contain_text("confirmation")
    await console.get_by_role("link", name="Booking trail").click()
    await expect(console).to_have_url(f"{system.urls['console']}/bookings/{booking_id}")
    trail = console.get_by_role("list", name="Everything done for this booking")
    delivery = trail.locator('[data-kind="delivery"]')
    await expect(delivery).to_have_count(1)
    await expect(delivery).to_contain_text("BOOKING_CREATED accepted")
    await expect(trail.get_by_role("link", name="Meeting booked")).to_have_attribute(
        "href", f"/meetings/{meeting['meeting_id']}"
    )
    await expect(trail.get_by_role("link", name="Meeting outcome recorded")).to_be_visible()
    await expect(trail.get_by_role("link", name="Deal created")).to_have_attribute(
        "href", f"/deals/{deal['deal_id']}"
    )
    await expect(trail.locator('[data-kind="crm"]').first).to_contain_text("CRM call: hubspot")
    await expect(trail.locator('[data-kind="email"]').first).to_contain_text("confirmation")
    await screenshot(console, "booking trail")

    await delivery.get_by_role("link").click()
    await expect(console.locator("pre.json")).to_contain_text('"verdict": "accepted"')
    await screenshot(console, "delivery detail")
    await console.go_back()
    await trail.locator('[data-kind="crm"]').first.get_by_role("link").click()
    await expect(console.locator("pre.json")).to_contain_text('"provider": "hubspot"')
    await screenshot(console, "crm call detail")
    await console.go_back()
    await trail.locator('[data-kind="email"]').first.get_by_role("link").click()
    await expect(console.locator("pre.json")).to_contain_text('"kind": "confirmation"')
    await screenshot(console, "email detail")

    # Replay: the booking goes through every service again and nothing doubles.
    before = await counts(system, domain, email)
    assert before == (1, 1)
    await console.goto(f"/bookings/{booking_id}")
    await console.get_by_role("button", name="Replay this booking").click()
    await expect(
        console.get_by_role("status").filter(has_text="Replayed 1 delivery")
    ).to_be_visible()
    await expect(trail.locator('[data-kind="delivery"]')).to_have_count(2)
    await expect(trail.locator('[data-kind="delivery"]').last).to_contain_text("replayed")

    async def meetings_took_the_replay() -> bool:
        answer = await system.get("meetings", f"/v1/trail/{booking_id}")
        taken = [
            i
            for i in answer["items"]
            if i["direction"] == "consumed" and i["event_type"] == "dealflow.booking.v1"
        ]
        return len(taken) == 2

    await eventually(meetings_took_the_replay, within=60, what="meetings consuming the replay")
    assert await counts(system, domain, email) == before
    emails = await system.get(
        "notifications", "/v1/notifications", meeting_id=meeting["meeting_id"]
    )
    assert [e["kind"] for e in emails["items"]].count("confirmation") == 1
    await console.reload()
    await screenshot(console, "booking trail after replay")
