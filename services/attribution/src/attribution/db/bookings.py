"""Booked meetings as attribution records them. Nothing here commits."""

import uuid
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert

from attribution.db.base import Repository
from attribution.db.tables import meeting_bookings
from attribution.domain.recorded import Booking
from dealflow_libs.db import any_of


class BookingsRepository(Repository):
    async def add_booking(self, booking: Booking) -> bool:
        """Records a booked meeting; False when it was recorded before."""
        statement = (
            insert(meeting_bookings)
            .values(
                meeting_id=booking.meeting_id,
                tenant_id=booking.tenant_id,
                person_email=booking.person_email,
                attendee_emails=list(booking.attendee_emails),
                company_domain=booking.company_domain,
                booked_at=booking.booked_at,
                touch_id=booking.touch_id,
            )
            .on_conflict_do_nothing(index_elements=[meeting_bookings.c.meeting_id])
            .returning(meeting_bookings.c.meeting_id)
        )
        return (await self.session.execute(statement)).first() is not None

    async def bookings(self, tenant_id: str, meeting_ids: Sequence[uuid.UUID]) -> list[Booking]:
        if not meeting_ids:
            return []
        b = meeting_bookings.c
        rows = await self.session.execute(
            select(meeting_bookings).where(
                b.tenant_id == tenant_id, any_of(b.meeting_id, meeting_ids)
            )
        )
        return [
            Booking(
                r.tenant_id,
                r.meeting_id,
                r.person_email,
                tuple(r.attendee_emails),
                r.company_domain,
                r.booked_at,
                r.touch_id,
            )
            for r in rows
        ]
