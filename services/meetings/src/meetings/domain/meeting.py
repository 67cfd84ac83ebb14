"""The Meeting aggregate and its lifecycle rules. Plain Python; persisted by imperative mapping."""

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from dealflow_libs.ids import new_id
from dealflow_schemas.attribution import MeetingAttributed
from dealflow_schemas.bookings import Attendee, Person, Tracking
from dealflow_schemas.meetings import MeetingOutcome, MeetingProvider, MeetingStatus, MeetingType


class Change(StrEnum):
    """What happened to a meeting; each becomes one outgoing event."""

    BOOKED = "booked"
    RESCHEDULED = "rescheduled"
    CANCELLED = "cancelled"
    CONFIRMED = "confirmed"
    ATTENDED = "attended"
    NO_SHOW = "no_show"
    OUTCOME_RECORDED = "outcome_recorded"


#: Outcomes a no-show replaces: the open verdict and those that imply attendance.
_NO_SHOW_OVERRIDES = (MeetingOutcome.PENDING, MeetingOutcome.GOOD, MeetingOutcome.BAD)


#: Outcomes a person may record; `cancelled` only ever comes from the booking provider.
RECORDABLE_OUTCOMES: tuple[MeetingOutcome, ...] = tuple(
    o for o in MeetingOutcome if o is not MeetingOutcome.CANCELLED
)


class MeetingClosed(Exception):
    """A command on a cancelled (or deleted) meeting."""


class OutcomeNotRecordable(ValueError):
    """An outcome outside RECORDABLE_OUTCOMES was asked for."""


@dataclass
class Happened:
    change: Change
    details: dict[str, Any] = field(default_factory=dict)


@dataclass(eq=False)
class Meeting:
    tenant_id: str
    provider: MeetingProvider
    provider_uid: str | None
    meeting_type: MeetingType
    status: MeetingStatus
    created_at: datetime
    updated_at: datetime
    id: uuid.UUID = field(default_factory=new_id)
    previous_uids: list[str] = field(default_factory=list)
    title: str | None = None
    event_type_slug: str | None = None
    scheduled_at: datetime | None = None
    ends_at: datetime | None = None
    duration_minutes: int | None = None
    time_zone: str | None = None
    organizer: Person | None = None
    attendees: list[Attendee] = field(default_factory=list)
    primary_email: str | None = None
    company_domain: str | None = None
    is_personal_email: bool = False
    meeting_url: str | None = None
    location: str | None = None
    booked_by: str | None = None
    booking_method: str | None = None
    provider_status: str | None = None
    confirmed: bool = False
    confirmed_at: datetime | None = None
    reminder_sent: bool = False
    reminder_sent_at: datetime | None = None
    showed_up: bool | None = None
    showed_up_at: datetime | None = None
    attendance_confirmed_by: str | None = None
    no_show_reason: str | None = None
    meeting_outcome: MeetingOutcome = MeetingOutcome.PENDING
    notes: str | None = None
    next_steps: str | None = None
    rescheduled_count: int = 0
    original_scheduled_at: datetime | None = None
    cancellation_reason: str | None = None
    cancelled_by: str | None = None
    cancelled_at: datetime | None = None
    awaiting_reschedule: bool = False
    tracking: Tracking = field(default_factory=Tracking)
    deal_id: uuid.UUID | None = None
    touches_before_booking: int | None = None
    days_to_booking: int | None = None
    converting_activity_id: str | None = None
    converting_channel: str | None = None
    first_touch_channel: str | None = None
    notification_sent_at: datetime | None = None
    deleted_at: datetime | None = None

    # -- attribution (the attribution service's view of how the booking came about) ----------

    def attribute(self, journey: MeetingAttributed, now: datetime) -> None:
        """Takes the analytics of the journey that led to the booking: read model only, no
        event (meeting events carry them in their snapshot from now on)."""
        self.touches_before_booking = journey.touches_before_booking
        self.days_to_booking = journey.days_to_booking
        self.converting_activity_id = journey.converting_activity_id
        self.converting_channel = journey.converting_channel
        self.first_touch_channel = journey.first_touch_channel
        self.updated_at = now

    # -- notifications (the notifications service's emails about it) -------------------------

    def notified(self, sent_at: datetime, now: datetime) -> bool:
        """Keeps when the latest email about the meeting was sent: read model only, no event.
        Sends arrive in any order (several partitions' worth of retries), so the latest wins,
        not the last read. Returns whether it changed."""
        if self.notification_sent_at is not None and self.notification_sent_at >= sent_at:
            return False
        self.notification_sent_at = sent_at
        self.updated_at = now
        return True

    # -- provider-driven changes -------------------------------------------------------------

    def reschedule(
        self,
        *,
        new_uid: str,
        start: datetime | None,
        end: datetime | None,
        now: datetime,
    ) -> Happened | None:
        """Moves the meeting to its new booking; the first time it was scheduled is kept."""
        if self.provider_uid == new_uid and start == self.scheduled_at:
            return None  # this half of the reschedule was applied already
        if new_uid in self.previous_uids:
            return None  # an earlier move, late or redelivered: the meeting has moved on since
        previous_uid, previous_at = self.provider_uid, self.scheduled_at
        if previous_uid and previous_uid != new_uid and previous_uid not in self.previous_uids:
            self.previous_uids = [*self.previous_uids, previous_uid]
        self.provider_uid = new_uid
        if self.original_scheduled_at is None:
            self.original_scheduled_at = self.scheduled_at
        self._set_times(start, end)
        self.rescheduled_count += 1
        self.awaiting_reschedule = False
        if self.status is MeetingStatus.CANCELLED and self.cancelled_at is not None:
            self._revive()
        elif self.status is MeetingStatus.COMPLETED and start is not None and start > now:
            self._reopen_for_new_slot()
        self.reminder_sent, self.reminder_sent_at = False, None
        self.updated_at = now
        return Happened(
            Change.RESCHEDULED,
            {"previous_scheduled_at": previous_at, "previous_provider_uid": previous_uid},
        )

    def _revive(self) -> None:
        """A reschedule after a "request reschedule" cancel: the meeting is on again."""
        self.status = MeetingStatus.SCHEDULED
        self.cancelled_at = self.cancellation_reason = self.cancelled_by = None
        if self.meeting_outcome is MeetingOutcome.CANCELLED:
            self.meeting_outcome = MeetingOutcome.PENDING

    def _reopen_for_new_slot(self) -> None:
        """A no-show (or finished) meeting moved to a future slot: attendance is open again."""
        self.status = MeetingStatus.SCHEDULED
        self.showed_up = self.showed_up_at = self.attendance_confirmed_by = self.no_show_reason = (
            None
        )
        if self.meeting_outcome is MeetingOutcome.NO_SHOW:
            self.meeting_outcome = MeetingOutcome.RESCHEDULED

    def expect_reschedule(self, now: datetime) -> None:
        """The old half of a reschedule arrived first: not a cancellation, wait for the new half."""
        self.awaiting_reschedule = True
        self.updated_at = now

    def cancel(self, *, reason: str | None, by: str | None, now: datetime) -> Happened | None:
        if self.status is MeetingStatus.CANCELLED:
            return None
        self.status = MeetingStatus.CANCELLED
        self.cancellation_reason, self.cancelled_by, self.cancelled_at = reason, by, now
        if self.meeting_outcome is MeetingOutcome.PENDING:
            self.meeting_outcome = MeetingOutcome.CANCELLED
        self.updated_at = now
        return Happened(Change.CANCELLED, {"reason": reason})

    def mark_ended(self, now: datetime) -> Happened | None:
        """The provider says the meeting's end time passed: completed, and attended unless
        someone already said it was a no-show."""
        if self.status is MeetingStatus.CANCELLED:
            return None
        self.status = MeetingStatus.COMPLETED
        self.updated_at = now
        if self.showed_up is None:
            self.showed_up, self.showed_up_at, self.attendance_confirmed_by = True, now, "provider"
            return Happened(Change.ATTENDED)
        return None

    def set_provider_no_show(
        self, no_show: bool | None, *, source: str, now: datetime
    ) -> Happened | None:
        """A provider marked (True) or unmarked (None/False) the primary attendee as a no-show."""
        self.updated_at = now
        if no_show:
            if self.showed_up is False:
                return None
            self.showed_up, self.showed_up_at = False, None
            self.attendance_confirmed_by, self.no_show_reason = source, None
            if self.meeting_outcome in _NO_SHOW_OVERRIDES:
                self.meeting_outcome = MeetingOutcome.NO_SHOW
            return Happened(Change.NO_SHOW)
        if self.showed_up is False and self.attendance_confirmed_by == source:
            # The mark was withdrawn: attendance is unknown again.
            self.showed_up, self.attendance_confirmed_by = None, None
            if self.meeting_outcome is MeetingOutcome.NO_SHOW:
                self.meeting_outcome = MeetingOutcome.PENDING
        return None

    # -- commands from people ---------------------------------------------------------------

    def _require_open(self) -> None:
        if self.status is MeetingStatus.CANCELLED or self.deleted_at is not None:
            raise MeetingClosed(
                f"meeting {self.id} is {'deleted' if self.deleted_at else 'cancelled'}"
            )

    def confirm(self, now: datetime) -> Happened | None:
        self._require_open()
        if self.confirmed:
            return None
        self.confirmed, self.confirmed_at, self.updated_at = True, now, now
        return Happened(Change.CONFIRMED)

    def record_attendance(
        self,
        *,
        showed_up: bool,
        confirmed_by: str | None,
        no_show_reason: str | None,
        now: datetime,
    ) -> Happened:
        self._require_open()
        self.showed_up = showed_up
        self.showed_up_at = now if showed_up else None
        self.attendance_confirmed_by = confirmed_by
        self.no_show_reason = None if showed_up else no_show_reason
        if showed_up and self.scheduled_at and self.scheduled_at <= now:
            self.status = MeetingStatus.COMPLETED
        if not showed_up and self.meeting_outcome in _NO_SHOW_OVERRIDES:
            self.meeting_outcome = MeetingOutcome.NO_SHOW
        if showed_up and self.meeting_outcome is MeetingOutcome.NO_SHOW:
            self.meeting_outcome = MeetingOutcome.PENDING  # corrected: the verdict is open again
        self.updated_at = now
        return Happened(Change.ATTENDED if showed_up else Change.NO_SHOW)

    def record_outcome(
        self,
        outcome: MeetingOutcome,
        *,
        notes: str | None,
        next_steps: str | None,
        now: datetime,
    ) -> Happened:
        """Records the rep's verdict and what it implies for attendance."""
        if outcome not in RECORDABLE_OUTCOMES:
            raise OutcomeNotRecordable(
                f"outcome: '{outcome.value}' comes from the booking provider; "
                f"allowed: {', '.join(RECORDABLE_OUTCOMES)}"
            )
        self._require_open()
        self.meeting_outcome = outcome
        if notes is not None:
            self.notes = notes
        if next_steps is not None:
            self.next_steps = next_steps
        if outcome in (MeetingOutcome.GOOD, MeetingOutcome.BAD):
            if self.showed_up is not True:
                # Whoever confirmed the opposite did not confirm this: the outcome did.
                self.showed_up, self.showed_up_at = True, now
                self.attendance_confirmed_by = "outcome"
            self.no_show_reason = None
            self.status = MeetingStatus.COMPLETED
        elif outcome is MeetingOutcome.NO_SHOW:
            if self.showed_up is not False:
                self.showed_up, self.showed_up_at = False, None
                self.attendance_confirmed_by = "outcome"
            self.status = MeetingStatus.COMPLETED
        elif outcome is MeetingOutcome.RESCHEDULED:
            self.rescheduled_count += 1
        self.updated_at = now
        return Happened(Change.OUTCOME_RECORDED, {"outcome": outcome})

    def soft_delete(self, now: datetime) -> None:
        self.deleted_at = self.updated_at = now

    # -- helpers ----------------------------------------------------------------------------

    def _set_times(self, start: datetime | None, end: datetime | None) -> None:
        self.scheduled_at, self.ends_at = start, end
        self.duration_minutes = int((end - start).total_seconds() // 60) if start and end else None

    @property
    def all_uids(self) -> list[str]:
        return [u for u in (*self.previous_uids, self.provider_uid) if u]
