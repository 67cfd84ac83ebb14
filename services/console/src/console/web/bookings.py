"""The booking trail: everything every service did for one booking in one timeline, each item
linking to its detail, and "replay this booking" through ingest."""

import asyncio
import uuid
from collections.abc import Awaitable
from typing import Any

import orjson
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from console.services import ServiceError, Value
from console.signin import SignIn
from console.timelines import booking_timeline
from console.web.context import context
from console.web.guard import CheckedMember, Member
from console.web.meetings import BookingRef
from console.web.rendering import page
from dealflow_libs.tracing import CORRELATION_HEADER

router = APIRouter(tags=["bookings"])

#: Every service answers GET /v1/trail/{correlation_id}.
TRAIL_SERVICES = ("ingest", "meetings", "deals", "attribution", "crm_push", "notifications")
_BOOKING_EVENT = "dealflow.booking.v1"
#: At most this many of each kind (deliveries, emails, CRM calls) on one trail.
ITEMS = 200


async def _meeting_of(request: Request, member: SignIn, booking_id: str) -> dict[str, Any] | None:
    try:
        found: dict[str, Any] = await context(request).api.get(
            member, "meetings", f"/v1/meetings/by-booking/{booking_id}"
        )
    except ServiceError as exc:
        if exc.status == 404:
            return None
        raise
    return found


def _is_uuid(text: str) -> bool:
    try:
        uuid.UUID(text)
    except ValueError:
        return False
    return True


async def _deliveries(request: Request, member: SignIn, event_ids: list[str]) -> list[Any]:
    """The raw deliveries behind the booking's events (the first, its duplicates, replays)."""
    event_ids = [e for e in event_ids if _is_uuid(e)]
    if not event_ids:
        return []
    params: list[tuple[str, Value]] = [("limit", ITEMS), *(("event_id", e) for e in event_ids)]
    found = await context(request).api.call(member, "GET", "ingest", "/v1/events", params=params)
    items: list[Any] = found["items"]
    return items


async def trail_values(request: Request, member: SignIn, booking_id: str) -> dict[str, Any]:
    api = context(request).api
    meeting, *trails = await asyncio.gather(
        _meeting_of(request, member, booking_id),
        *(api.get(member, s, f"/v1/trail/{booking_id}") for s in TRAIL_SERVICES),
    )
    ingest = trails[TRAIL_SERVICES.index("ingest")]
    event_ids = list(
        dict.fromkeys(
            [booking_id]
            + [i["event_id"] for i in ingest["items"] if i["event_type"] == _BOOKING_EVENT]
        )
    )
    deal_id = meeting.get("deal_id") if meeting else None
    reads: list[Awaitable[Any]] = [_deliveries(request, member, event_ids)]
    if meeting:
        reads += [
            api.get(
                member,
                "notifications",
                "/v1/notifications",
                meeting_id=meeting["meeting_id"],
                limit=ITEMS,
            ),
            api.get(
                member, "crm_push", "/v1/crm/logs", meeting_id=meeting["meeting_id"], limit=ITEMS
            ),
        ]
    if deal_id:
        reads.append(api.get(member, "crm_push", "/v1/crm/logs", deal_id=deal_id, limit=ITEMS))
    deliveries, *more = await asyncio.gather(*reads)
    emails = more[0]["items"] if meeting else []
    # A call about the meeting's deal can name both: each call once.
    calls = list({c["id"]: c for answer in more[1:] for c in answer["items"]}.values())
    return {
        "booking_id": booking_id,
        "meeting": meeting,
        "deal_id": deal_id,
        "deliveries": deliveries,
        "timeline": booking_timeline(trails, deliveries, emails, calls),
        "replayable": [
            d for d in deliveries if d["event_id"] == booking_id and d["verdict"] == "accepted"
        ],
    }


@router.get("/bookings/{booking_id}", response_class=HTMLResponse, summary="A booking's trail")
async def booking_trail(request: Request, member: Member, booking_id: BookingRef) -> Response:
    values = await trail_values(request, member, booking_id)
    replayed = request.query_params.get("replayed")
    return page(request, "booking.html", replayed=replayed, **values)


@router.post("/bookings/{booking_id}/replay", summary="Send the booking's deliveries again")
async def replay(request: Request, member: CheckedMember, booking_id: BookingRef) -> Response:
    """Ingest normalizes each accepted delivery of the booking again and publishes it on the
    booking's trail; the services take a booking they know as the same booking."""
    api = context(request).api
    deliveries = await _deliveries(request, member, [booking_id])
    originals = [d for d in deliveries if d["verdict"] == "accepted"]
    for delivery in originals:
        await api.call(
            member,
            "POST",
            "ingest",
            f"/v1/events/{delivery['id']}/replay",
            headers={CORRELATION_HEADER: booking_id},
        )
    return RedirectResponse(f"/bookings/{booking_id}?replayed={len(originals)}", status_code=303)


#: Items with no page of their own: their service's JSON answer, shown as it is.
DETAILS = {
    "delivery": ("ingest", "/v1/events/{}", "Delivery"),
    "email": ("notifications", "/v1/notifications/{}", "Email"),
    "crm-call": ("crm_push", "/v1/crm/logs/{}", "CRM call"),
}


@router.get("/details/{kind}/{item_id}", response_class=HTMLResponse, summary="An item's detail")
async def detail(request: Request, member: Member, kind: str, item_id: BookingRef) -> Response:
    if kind not in DETAILS:
        return page(request, "error.html", status_code=404, title="Not found", message=kind)
    service, path, name = DETAILS[kind]
    answer = await context(request).api.get(member, service, path.format(item_id))
    text = orjson.dumps(answer, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS).decode()
    return page(request, "detail.html", kind=name, item_id=item_id, service=service, text=text)
