"""All SQL of the attribution service. Nothing here commits."""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Row, delete, func, literal_column, or_, select
from sqlalchemy.dialects.postgresql import distinct_on, insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.types import Text

from attribution.db.tables import (
    attribution_runs,
    deal_journeys,
    meeting_bookings,
    run_voids,
    touches,
)
from attribution.domain.channels import Classification
from attribution.domain.recorded import Booking, Lead, RecordedTouch, RunTotals, StoredRun
from attribution.domain.run import AttributionRun
from attribution.domain.touches import ActivityType, Touch, Utm


@dataclass(frozen=True, slots=True)
class LatestRun:
    run_id: uuid.UUID
    input_hash: str
    voided: bool


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

    async def bookings(self, tenant_id: str, meeting_ids: Sequence[uuid.UUID]) -> list[Booking]:
        if not meeting_ids:
            return []
        b = meeting_bookings.c
        rows = await self.session.execute(
            select(meeting_bookings).where(b.tenant_id == tenant_id, b.meeting_id.in_(meeting_ids))
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

    async def account_candidates(
        self, tenant_id: str, company_domain: str | None, emails: Sequence[str]
    ) -> list[RecordedTouch]:
        """Touches that may belong to an account: the people named, and every address at the
        domain or a subdomain of it (the caller applies the exact company rule)."""
        t = touches.c
        host = func.split_part(t.person_email, "@", 2)
        who: list[ColumnElement[bool]] = [t.person_email.in_(list(emails))] if emails else []
        if company_domain:
            who += [host == company_domain, host.like(f"%.{company_domain}")]
        if not who:
            return []
        rows = await self.session.execute(
            select(touches)
            .where(t.tenant_id == tenant_id, or_(*who))
            .order_by(t.occurred_at, t.touch_id)
        )
        return [_recorded(row) for row in rows]

    async def save_journey(
        self,
        tenant_id: str,
        deal_id: uuid.UUID,
        channels: Sequence[str],
        converted: bool,
        closed_at: datetime,
    ) -> None:
        values = {"channels": list(channels), "converted": converted, "closed_at": closed_at}
        await self.session.execute(
            insert(deal_journeys)
            .values(deal_id=deal_id, tenant_id=tenant_id, **values)
            .on_conflict_do_update(index_elements=[deal_journeys.c.deal_id], set_=values)
        )

    async def forget_journey(self, tenant_id: str, deal_id: uuid.UUID) -> None:
        j = deal_journeys.c
        await self.session.execute(
            delete(deal_journeys).where(j.tenant_id == tenant_id, j.deal_id == deal_id)
        )

    async def journeys(self, tenant_id: str) -> list[tuple[list[str], bool]]:
        """Every closed deal's channel path and whether it was won, in deal order."""
        j = deal_journeys.c
        rows = await self.session.execute(
            select(j.channels, j.converted).where(j.tenant_id == tenant_id).order_by(j.deal_id)
        )
        return [(list(channels), converted) for channels, converted in rows]

    async def latest_runs(self, tenant_id: str, deal_id: uuid.UUID) -> dict[str, LatestRun]:
        """Per model, the deal's latest run and whether it was voided."""
        r = attribution_runs.c
        rows = await self.session.execute(
            select(r.model, r.run_id, r.input_hash, run_voids.c.run_id.is_not(None))
            .outerjoin(run_voids, run_voids.c.run_id == r.run_id)
            .where(r.tenant_id == tenant_id, r.deal_id == deal_id)
            .order_by(r.model, r.seq.desc())
            .ext(distinct_on(r.model))
        )
        return {
            model: LatestRun(run_id, input_hash, voided)
            for model, run_id, input_hash, voided in rows
        }

    async def add_run(
        self,
        tenant_id: str,
        run_id: uuid.UUID,
        run: AttributionRun,
        *,
        supersedes: uuid.UUID | None,
        caused_by: str | None,
        now: datetime,
    ) -> None:
        await self.session.execute(
            insert(attribution_runs).values(
                run_id=run_id,
                tenant_id=tenant_id,
                deal_id=uuid.UUID(run.deal_id),
                model=run.model.value,
                parameters=run.params,
                rule_version=run.rule_version,
                rule_digest=run.rule_digest,
                window=run.window.canonical(),
                conversion_at=run.conversion_at,
                value_minor=run.value_minor,
                currency=run.currency,
                input_hash=run.input_hash,
                supersedes=supersedes,
                result=run.to_dict(),
                caused_by=caused_by,
                created_at=now,
            )
        )

    async def current_run(self, tenant_id: str, deal_id: uuid.UUID, model: str) -> StoredRun | None:
        """The deal's latest run under `model`, unless it was voided."""
        r = attribution_runs.c
        row = (
            await self.session.execute(
                select(
                    r.run_id, r.supersedes, r.created_at, r.result, run_voids.c.run_id.is_not(None)
                )
                .outerjoin(run_voids, run_voids.c.run_id == r.run_id)
                .where(r.tenant_id == tenant_id, r.deal_id == deal_id, r.model == model)
                .order_by(r.seq.desc())
                .limit(1)
            )
        ).first()
        if row is None or row[4]:
            return None
        return StoredRun(row[0], row[1], row[2], row[3])

    async def current_totals(
        self, tenant_id: str, model: str, since: datetime, currency: str
    ) -> list[RunTotals]:
        """Channel totals of each deal's current run under `model` won since `since`."""
        r = attribution_runs.c
        latest = (
            select(r.run_id, r.result, r.conversion_at, r.currency)
            .where(r.tenant_id == tenant_id, r.model == model)
            .order_by(r.deal_id, r.seq.desc())
            .ext(distinct_on(r.deal_id))
            .subquery()
        )
        rows = await self.session.execute(
            select(latest.c.result)
            .outerjoin(run_voids, run_voids.c.run_id == latest.c.run_id)
            .where(
                run_voids.c.run_id.is_(None),
                latest.c.conversion_at >= since,
                latest.c.currency == currency,
            )
        )
        return [RunTotals.from_result(result) for (result,) in rows]

    async def void_runs(
        self,
        tenant_id: str,
        run_ids: Sequence[uuid.UUID],
        *,
        reason: str,
        caused_by: str | None,
        now: datetime,
    ) -> None:
        if run_ids:
            await self.session.execute(
                insert(run_voids)
                .values(
                    [
                        {
                            "run_id": run_id,
                            "tenant_id": tenant_id,
                            "reason": reason,
                            "caused_by": caused_by,
                            "voided_at": now,
                        }
                        for run_id in run_ids
                    ]
                )
                .on_conflict_do_nothing(index_elements=[run_voids.c.run_id])
            )

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
