"""Meeting queries and lifecycle commands."""

import uuid
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, EmailStr, Field

from dealflow_libs.domains import person_key
from dealflow_libs.http import ApiError
from dealflow_libs.pagination import after_cursor, page_of
from dealflow_schemas.bookings import Attendee, Person, Tracking
from dealflow_schemas.bounded import Email, Id, Instant, Money, Name, Text, parse_instant
from dealflow_schemas.meetings import MeetingOutcome, MeetingSnapshot, MeetingStatus, MeetingType
from meetings.api.deps import Ctx, RequestId, Tenant
from meetings.domain.manual import ManualBooking
from meetings.domain.meeting import (
    RECORDABLE_OUTCOMES,
    Meeting,
    MeetingClosed,
    OutcomeNotRecordable,
)
from meetings.events import snapshot
from meetings.uow import MeetingsUnitOfWork
from meetings.use_cases import (
    NotFound,
    book_manual_meeting,
    confirm_meeting,
    delete_meeting,
    record_attendance,
    record_outcome,
)

router = APIRouter(prefix="/v1/meetings", tags=["meetings"])


class MeetingPage(BaseModel):
    items: list[MeetingSnapshot]
    next_cursor: str | None


class Reschedule(BaseModel):
    from_uid: str | None
    to_uid: str | None
    from_scheduled_at: datetime | None
    to_scheduled_at: datetime | None
    source: str
    rescheduled_at: datetime


class Reminder(BaseModel):
    id: uuid.UUID
    offset_minutes: int
    due_at: datetime
    status: str
    sent_at: datetime | None


class MeetingDetail(MeetingSnapshot):
    reschedule_history: list[Reschedule]
    reminders: list[Reminder]
    booking_id: str | None = Field(
        default=None,
        description="The correlation id of the booking that created the meeting (ingest's "
        "event_id for a webhook): every service's GET /v1/trail/{booking_id} tells its story.",
    )


class Attendance(BaseModel):
    showed_up: bool
    confirmed_by: Name | None = Field(default=None, examples=["rep@acme.com"])
    no_show_reason: Text | None = None


class Outcome(BaseModel):
    outcome: MeetingOutcome = Field(description=f"One of: {', '.join(RECORDABLE_OUTCOMES)}")
    notes: Text | None = None
    next_steps: Text | None = None
    create_deal: bool = False
    deal_value: Money | None = Field(default=None, description="What deals will store (2 decimals)")
    deal_name: Name | None = None


class ManualMeetingIn(BaseModel):
    title: Name = Field(min_length=1, examples=["Intro call with Acme"])
    scheduled_at: Instant
    duration_minutes: int = Field(default=30, ge=5, le=24 * 60)
    attendee_email: EmailStr
    attendee_name: Name | None = None
    organizer_email: EmailStr | None = None
    organizer_name: Name | None = None
    meeting_type: MeetingType | None = Field(
        default=None, description="Default: derived from the title"
    )
    meeting_url: Text | None = None
    location: Text | None = None
    time_zone: Name | None = Field(default=None, examples=["Europe/Berlin"])
    booked_by: Name | None = None
    notes: Text | None = None
    tracking: Tracking = Field(default_factory=Tracking)

    def booking(self) -> ManualBooking:
        organizer = (
            Person(email=person_key(self.organizer_email), name=self.organizer_name)
            if self.organizer_email
            else None
        )
        return ManualBooking(
            title=self.title,
            start=self.scheduled_at,
            duration_minutes=self.duration_minutes,
            attendee=Attendee(
                email=person_key(self.attendee_email),
                name=self.attendee_name,
                time_zone=self.time_zone,
            ),
            organizer=organizer,
            meeting_type=self.meeting_type,
            meeting_url=self.meeting_url,
            location=self.location,
            time_zone=self.time_zone,
            booked_by=self.booked_by,
            notes=self.notes,
            tracking=self.tracking,
        )


def _not_found(meeting_id: uuid.UUID) -> ApiError:
    return ApiError(404, "not_found", f"no meeting {meeting_id} for this tenant")


@router.get("", response_model=MeetingPage, summary="List meetings by scheduled time")
async def list_meetings(
    ctx: Ctx,
    tenant: Tenant,
    status: MeetingStatus | None = None,
    upcoming: bool | None = Query(
        None, description="true: scheduled in the future; false: the rest"
    ),
    attendee_email: Email | None = None,
    type: MeetingType | None = None,
    outcome: MeetingOutcome | None = None,
    since: Instant | None = Query(None, description="Scheduled at or after (ISO-8601)"),
    until: Instant | None = Query(None, description="Scheduled before (ISO-8601)"),
    newest_first: bool = Query(
        False, description="Latest scheduled first (past meetings); default: earliest first"
    ),
    cursor: str | None = None,
    limit: int = Query(50, ge=1, le=500),
) -> MeetingPage:
    after = after_cursor(cursor, parse_instant)
    async with ctx.uow() as uow:
        rows = await uow.meetings.list(
            tenant,
            status=status,
            upcoming=upcoming,
            email=attendee_email,
            meeting_type=type,
            outcome=outcome,
            since=since,
            until=until,
            after=after,
            now=datetime.now(UTC),
            limit=limit + 1,
            newest_first=newest_first,
        )
    # The query only returns meetings that have a time, so scheduled_at is set on every row.
    page, next_cursor = page_of(
        rows, limit, lambda m: m.scheduled_at.isoformat() if m.scheduled_at else ""
    )
    return MeetingPage(items=[snapshot(m) for m in page], next_cursor=next_cursor)


@router.post(
    "",
    response_model=MeetingSnapshot,
    status_code=201,
    summary="Book a meeting by hand (provider 'manual')",
)
async def book_manual(
    ctx: Ctx, tenant: Tenant, request_id: RequestId, body: ManualMeetingIn
) -> MeetingSnapshot:
    meeting = await book_manual_meeting(
        ctx.uow(), tenant, body.booking(), identify=ctx.identify, request_id=request_id
    )
    return snapshot(meeting)


async def _detail(uow: MeetingsUnitOfWork, tenant: str, meeting_id: uuid.UUID) -> MeetingDetail:
    meeting = await uow.meetings.get(tenant, meeting_id)
    if meeting is None:
        raise _not_found(meeting_id)
    history = await uow.meetings.reschedule_history(meeting_id)
    reminders = await uow.reminders.for_meeting(meeting_id)
    return MeetingDetail(
        **dict(snapshot(meeting)),  # the snapshot's fields as they are, not dumped and parsed
        reschedule_history=[Reschedule.model_validate(dict(h)) for h in history],
        reminders=[Reminder.model_validate(dict(r)) for r in reminders],
        booking_id=await uow.meetings.booking_id(tenant, meeting_id),
    )


@router.get(
    "/by-booking/{booking_id}",
    response_model=MeetingDetail,
    summary="The meeting a booking is known by",
    description="`booking_id`: a provider booking uid the meeting has had, or the id ingest "
    "answered for one of its webhook deliveries (the booking's correlation id).",
)
async def get_meeting_by_booking(ctx: Ctx, tenant: Tenant, booking_id: Id) -> MeetingDetail:
    async with ctx.uow() as uow:
        meeting_id = await uow.meetings.by_booking(tenant, booking_id)
        if meeting_id is None:
            raise ApiError(404, "not_found", f"no meeting for booking {booking_id}")
        return await _detail(uow, tenant, meeting_id)


@router.get(
    "/{meeting_id}", response_model=MeetingDetail, summary="One meeting with its reschedule history"
)
async def get_meeting(ctx: Ctx, tenant: Tenant, meeting_id: uuid.UUID) -> MeetingDetail:
    async with ctx.uow() as uow:
        return await _detail(uow, tenant, meeting_id)


async def _run(command: Any, meeting_id: uuid.UUID) -> MeetingSnapshot:
    try:
        meeting: Meeting = await command
    except NotFound as exc:
        raise _not_found(meeting_id) from exc
    except MeetingClosed as exc:
        raise ApiError(409, "meeting_closed", f"{exc}; commands are not accepted") from exc
    except OutcomeNotRecordable as exc:
        raise ApiError(422, "invalid_request", str(exc)) from exc
    return snapshot(meeting)


@router.post(
    "/{meeting_id}/confirm",
    response_model=MeetingSnapshot,
    summary="The attendee confirmed they will attend",
)
async def confirm(
    ctx: Ctx, tenant: Tenant, request_id: RequestId, meeting_id: uuid.UUID
) -> MeetingSnapshot:
    return await _run(
        confirm_meeting(ctx.uow(), tenant, meeting_id, request_id=request_id), meeting_id
    )


@router.post(
    "/{meeting_id}/attendance",
    response_model=MeetingSnapshot,
    summary="Record whether the attendee showed up",
)
async def attendance(
    ctx: Ctx, tenant: Tenant, request_id: RequestId, meeting_id: uuid.UUID, body: Attendance
) -> MeetingSnapshot:
    return await _run(
        record_attendance(
            ctx.uow(),
            tenant,
            meeting_id,
            showed_up=body.showed_up,
            confirmed_by=body.confirmed_by,
            no_show_reason=body.no_show_reason,
            request_id=request_id,
        ),
        meeting_id,
    )


@router.post(
    "/{meeting_id}/outcome", response_model=MeetingSnapshot, summary="Record the meeting's outcome"
)
async def outcome(
    ctx: Ctx, tenant: Tenant, request_id: RequestId, meeting_id: uuid.UUID, body: Outcome
) -> MeetingSnapshot:
    return await _run(
        record_outcome(
            ctx.uow(),
            tenant,
            meeting_id,
            outcome=body.outcome,
            notes=body.notes,
            next_steps=body.next_steps,
            create_deal=body.create_deal,
            # The contract carries a float; 14 digits survive the round trip to Numeric(14, 2).
            deal_value=float(body.deal_value) if body.deal_value is not None else None,
            deal_name=body.deal_name,
            request_id=request_id,
        ),
        meeting_id,
    )


@router.delete(
    "/{meeting_id}", status_code=204, summary="Soft-delete a meeting (kept, hidden from queries)"
)
async def delete(ctx: Ctx, tenant: Tenant, request_id: RequestId, meeting_id: uuid.UUID) -> None:
    try:
        await delete_meeting(ctx.uow(), tenant, meeting_id, request_id=request_id)
    except NotFound as exc:
        raise _not_found(meeting_id) from exc
