"""Meetings: the list (upcoming and past, filters, new bookings without a reload), the meeting
page (lifecycle, emails, attendance) and the outcome form a rep fills in after the call."""

import asyncio
import uuid
from dataclasses import dataclass
from typing import Annotated, Any, Literal
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from console.signin import SignIn
from console.timelines import meeting_lifecycle
from console.web.context import context
from console.web.guard import CheckedMember, Member
from console.web.rendering import page
from dealflow_libs.tracing import CORRELATION_HEADER
from dealflow_schemas.meetings import MeetingOutcome, MeetingStatus, MeetingType

router = APIRouter(tags=["meetings"])

MEETINGS_PER_PAGE = 25
#: How a booking is known (a provider uid or ingest's event id): one plain path segment, so it
#: goes into the services' paths as it is.
BookingRef = Annotated[str, Path(pattern=r"^[A-Za-z0-9._:-]{1,200}$")]
Tab = Literal["upcoming", "past"]
#: What a rep may record after a call (meetings refuses the others).
RECORDABLE = [o.value for o in MeetingOutcome if o is not MeetingOutcome.PENDING]


Filter = Annotated[str, Query(max_length=320)]


@dataclass(frozen=True)
class ListQuery:
    """What the list shows: a tab and the filters (the same for the page and its refresh)."""

    tab: Tab
    filters: dict[str, str]

    def url_query(self) -> str:
        return urlencode({k: v for k, v in {"tab": self.tab, **self.filters}.items() if v})


def list_query(
    tab: Annotated[Tab, Query()] = "upcoming",
    status: Filter = "",
    type: Filter = "",
    outcome: Filter = "",
    attendee_email: Filter = "",
) -> ListQuery:
    filters = {"status": status, "type": type, "outcome": outcome}
    return ListQuery(tab, {**filters, "attendee_email": attendee_email.strip()})


Listed = Annotated[ListQuery, Depends(list_query)]


async def _meetings_values(
    request: Request, member: SignIn, listed: ListQuery, cursor: str
) -> dict[str, Any]:
    found = await context(request).api.get(
        member,
        "meetings",
        "/v1/meetings",
        upcoming=listed.tab == "upcoming",
        # Past meetings from the latest back: yesterday's call first, not last year's.
        newest_first=listed.tab == "past",
        cursor=cursor,
        limit=MEETINGS_PER_PAGE,
        **listed.filters,
    )
    return {
        "tab": listed.tab,
        "filters": listed.filters,
        "query": listed.url_query(),
        # Switching tabs keeps the filters.
        "tab_queries": {t: ListQuery(t, listed.filters).url_query() for t in ("upcoming", "past")},
        "meetings": found["items"],
        "next_cursor": found["next_cursor"],
        # Only the first page of upcoming meetings is where a new booking shows up.
        "live": listed.tab == "upcoming" and not cursor,
        "statuses": [s.value for s in MeetingStatus],
        "types": [t.value for t in MeetingType],
        "outcomes": [o.value for o in MeetingOutcome],
    }


@router.get("/meetings", response_class=HTMLResponse, summary="Meetings, upcoming or past")
async def meetings(
    request: Request, member: Member, listed: Listed, cursor: Filter = ""
) -> Response:
    return page(request, "meetings.html", **await _meetings_values(request, member, listed, cursor))


@router.get("/meetings/rows", response_class=HTMLResponse, include_in_schema=False)
async def meeting_rows(request: Request, member: Member, listed: Listed) -> Response:
    """The list alone: the upcoming tab polls this, so new bookings appear without a reload."""
    values = await _meetings_values(request, member, listed, "")
    return page(request, "_meetings_rows.html", **values)


async def meeting_values(
    request: Request, member: SignIn, meeting: dict[str, Any]
) -> dict[str, Any]:
    api = context(request).api
    booking_id = meeting.get("booking_id")
    emails, trail = await asyncio.gather(
        api.get(member, "notifications", "/v1/notifications", meeting_id=meeting["meeting_id"]),
        api.get(member, "meetings", f"/v1/trail/{booking_id}")
        if booking_id
        else asyncio.sleep(0, {"items": []}),
    )
    return {
        "meeting": meeting,
        "timeline": meeting_lifecycle(meeting, emails["items"], trail["items"]),
        "booking_ref": booking_id or meeting.get("provider_uid"),
        "outcomes": RECORDABLE,
    }


@router.get("/meetings/{meeting_id}", response_class=HTMLResponse, summary="One meeting")
async def meeting_page(request: Request, member: Member, meeting_id: uuid.UUID) -> Response:
    meeting = await context(request).api.get(member, "meetings", f"/v1/meetings/{meeting_id}")
    return page(request, "meeting.html", **await meeting_values(request, member, meeting))


@router.get("/meetings/{meeting_id}/trail", summary="The trail of the meeting's booking")
async def meeting_trail(request: Request, member: Member, meeting_id: uuid.UUID) -> Response:
    """Where a page that knows only the meeting (the deal page) links its booking's trail."""
    meeting = await context(request).api.get(member, "meetings", f"/v1/meetings/{meeting_id}")
    if not meeting.get("booking_id"):
        return page(
            request,
            "error.html",
            status_code=404,
            title="Not found",
            message="meetings: this meeting has no booking trail",
        )
    return RedirectResponse(f"/bookings/{meeting['booking_id']}", status_code=303)


async def _command(
    request: Request, member: SignIn, meeting: dict[str, Any], command: str, body: Any
) -> Response:
    """Sends a lifecycle command on the meeting's booking trail (what it causes joins that
    trail), then shows the meeting."""
    booking_id = meeting.get("booking_id")
    await context(request).api.call(
        member,
        "POST",
        "meetings",
        f"/v1/meetings/{meeting['meeting_id']}/{command}",
        json=body,
        headers={CORRELATION_HEADER: booking_id} if booking_id else None,
    )
    return RedirectResponse(f"/meetings/{meeting['meeting_id']}", status_code=303)


@router.post("/meetings/{meeting_id}/attendance", summary="Mark attended or no-show")
async def attendance(
    request: Request,
    member: CheckedMember,
    meeting_id: uuid.UUID,
    showed_up: Annotated[bool, Form()],
    no_show_reason: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    meeting = await context(request).api.get(member, "meetings", f"/v1/meetings/{meeting_id}")
    body: dict[str, Any] = {"showed_up": showed_up, "confirmed_by": member.tenant_name}
    if not showed_up and no_show_reason.strip():
        body["no_show_reason"] = no_show_reason.strip()
    return await _command(request, member, meeting, "attendance", body)


@router.get("/outcome/{booking_id}", response_class=HTMLResponse, summary="The outcome form")
async def outcome_form(request: Request, member: Member, booking_id: BookingRef) -> Response:
    meeting = await context(request).api.get(
        member, "meetings", f"/v1/meetings/by-booking/{booking_id}"
    )
    return page(
        request, "outcome.html", meeting=meeting, booking_id=booking_id, outcomes=RECORDABLE
    )


@router.post("/outcome/{booking_id}", summary="Record a meeting's outcome")
async def record_outcome(
    request: Request,
    member: CheckedMember,
    booking_id: BookingRef,
    outcome: Annotated[MeetingOutcome, Form()],
    notes: Annotated[str, Form(max_length=4000)] = "",
    next_steps: Annotated[str, Form(max_length=4000)] = "",
    create_deal: Annotated[bool, Form()] = False,
    deal_value: Annotated[str, Form(max_length=20)] = "",
    deal_name: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    meeting = await context(request).api.get(
        member, "meetings", f"/v1/meetings/by-booking/{booking_id}"
    )
    body = {
        "outcome": outcome.value,
        "notes": notes.strip() or None,
        "next_steps": next_steps.strip() or None,
        "create_deal": create_deal,
        "deal_value": deal_value.strip() or None,
        "deal_name": deal_name.strip() or None,
    }
    return await _command(request, member, meeting, "outcome", body)
