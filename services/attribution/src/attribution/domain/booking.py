"""The journey of one person up to a booking: what came before it and which touch converted."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from attribution.domain.recorded import RecordedTouch
from attribution.domain.touches import DEFAULT_WINDOW, Window, select_eligible, touch_order


@dataclass(frozen=True, slots=True)
class BookingJourney:
    touches_before_booking: int
    days_to_booking: int | None  # whole days from the first counted touch; None without touches
    first_touch_channel: str | None
    converting_activity_id: str | None  # the last counted touch's touch_id
    converting_channel: str | None


def journey_to_booking(
    touches: Sequence[RecordedTouch],
    *,
    booking_touch_id: str,
    booked_at: datetime,
    window: Window = DEFAULT_WINDOW,
) -> BookingJourney:
    """Counts the touches that could earn credit for the booking, by the attribution window
    (at or before the booking, within the lookback, eligible types), without the booking's own
    touch; the converting touch is the last of them in touch order."""
    others = [r for r in touches if r.touch.touch_id != booking_touch_id]
    channel_of = {r.touch.touch_id: r.classification.channel for r in others}
    eligible = select_eligible(
        (r.touch for r in others), conversion_at=booked_at, window=window
    ).eligible
    if not eligible:
        return BookingJourney(0, None, None, None, None)
    first, last = min(eligible, key=touch_order), max(eligible, key=touch_order)
    return BookingJourney(
        touches_before_booking=len(eligible),
        days_to_booking=(booked_at - first.occurred_at).days,
        first_touch_channel=channel_of[first.touch_id],
        converting_activity_id=last.touch_id,
        converting_channel=channel_of[last.touch_id],
    )
