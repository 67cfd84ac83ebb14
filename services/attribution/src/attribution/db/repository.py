"""All SQL of the attribution service. Nothing here commits."""

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Row, func, literal_column, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.types import Text

from attribution.db.tables import meeting_bookings, touches
from attribution.domain.channels import Classification
from attribution.domain.recorded import Booking, Lead, RecordedTouch
from attribution.domain.touches import ActivityType, Touch, Utm


class AttributionRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add_touches(self, recorded: Sequence[RecordedTouch]) -> set[tuple[str, str]]:
        """Inserts the touches not stored yet; (tenant_id, touch_id) of those it inserted.

        A touch_id already stored for the tenant (or earlier in `recorded`) is left as it is:
        senders retry, and the first copy wins.
        """
        if not recorded:
            return set()
        statement = (
            insert(touches)
            .values([_row(r) for r in recorded])
            .on_conflict_do_nothing(index_elements=[touches.c.tenant_id, touches.c.touch_id])
            .returning(touches.c.tenant_id, touches.c.touch_id)
        )
        return {(t, i) for t, i in (await self.session.execute(statement)).all()}

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

    async def leads(self, tenant_id: str, after_email: str | None, limit: int) -> list[Lead]:
        """People with touches, by email; `limit` of them after `after_email`."""
        t = touches.c
        sql = select(
            t.person_email,
            func.count().label("touches"),
            func.min(t.occurred_at).label("first_at"),
            func.max(t.occurred_at).label("last_at"),
            literal_column("(array_agg(channel ORDER BY occurred_at, touch_id))[1]", Text).label(
                "first_channel"
            ),
            literal_column(
                "(array_agg(channel ORDER BY occurred_at DESC, touch_id DESC))[1]", Text
            ).label("last_channel"),
        ).where(t.tenant_id == tenant_id)
        if after_email is not None:
            sql = sql.where(t.person_email > after_email)
        sql = sql.group_by(t.person_email).order_by(t.person_email).limit(limit)
        return [
            Lead(email, count, first_at, last_at, first_channel, last_channel)
            for email, count, first_at, last_at, first_channel, last_channel in (
                await self.session.execute(sql)
            ).all()
        ]

    async def timeline(self, tenant_id: str, email: str) -> list[RecordedTouch]:
        """Every touch of one person, oldest first (ties by touch_id)."""
        rows = await self.session.execute(
            select(touches)
            .where(touches.c.tenant_id == tenant_id, touches.c.person_email == email)
            .order_by(touches.c.occurred_at, touches.c.touch_id)
        )
        return [_recorded(row) for row in rows]


def _row(recorded: RecordedTouch) -> dict[str, Any]:
    touch, found = recorded.touch, recorded.classification
    return {
        "tenant_id": recorded.tenant_id,
        "touch_id": touch.touch_id,
        "person_email": touch.person_email,
        "occurred_at": touch.occurred_at,
        "activity_type": touch.activity_type.value,
        "explicit_channel": touch.channel,
        "channel": found.channel,
        "channel_rule_id": found.rule_id,
        "rule_version": found.rule_version,
        "utm_source": touch.utm.source,
        "utm_medium": touch.utm.medium,
        "utm_campaign": touch.utm.campaign,
        "utm_content": touch.utm.content,
        "utm_term": touch.utm.term,
        "campaign_id": touch.campaign_id,
        "external_activity_id": touch.external_activity_id,
        "metadata": dict(touch.metadata),
        "source": recorded.source,
        "received_at": recorded.received_at,
    }


def _recorded(row: Row[Any]) -> RecordedTouch:
    m = row._mapping
    touch = Touch(
        touch_id=m["touch_id"],
        person_email=m["person_email"],
        occurred_at=m["occurred_at"],
        activity_type=ActivityType(m["activity_type"]),
        channel=m["explicit_channel"],
        utm=Utm(
            m["utm_source"], m["utm_medium"], m["utm_campaign"], m["utm_content"], m["utm_term"]
        ),
        campaign_id=m["campaign_id"],
        external_activity_id=m["external_activity_id"],
        metadata=m["metadata"],
    )
    classification = Classification(m["channel"], m["channel_rule_id"], m["rule_version"])
    return RecordedTouch(m["tenant_id"], touch, classification, m["source"], m["received_at"])
