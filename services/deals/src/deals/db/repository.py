"""All SQL of the deals service. Nothing here commits."""

import uuid
import zlib
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Select,
    String,
    and_,
    func,
    or_,
    select,
    text,
    tuple_,
    type_coerce,
    union_all,
)
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from dealflow_libs.db import insert_new
from dealflow_libs.pagination import keyset_page
from dealflow_libs.utc_days import first_whole_month, midnight
from dealflow_schemas.deals import DealStage, DealStatus, LostReason
from deals.db.lost_sql import LOST, LOST_MONTHS, NO_STAGE
from deals.db.summaries_sql import DEAL_SUMMARIES
from deals.db.tables import (
    CLOSING_SLACK,
    companies,
    deal_activities,
    deal_lost_months,
    deal_summaries,
    deals,
    meeting_attributions,
    meeting_records,
    people,
    stage_history,
)
from deals.domain.analytics import (
    LostGroup,
    LostMonthDifference,
    StageGroup,
    SummaryDifference,
)
from deals.domain.company import Company, MeetingRecord
from deals.domain.deal import Deal
from deals.domain.journeys import MeetingJourney
from deals.domain.pipeline import Ledger


class DealRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def lock_companies(self, keys: Iterable[tuple[str, str]]) -> None:
        """Serializes writers per company, so two bookings from one company processed at the same
        moment see each other's deal (the unique index backs this up). One statement; locks are
        taken in key order, so two batches never deadlock."""
        lock_ids = sorted(
            {zlib.crc32(f"{tenant_id}/{domain}".encode()) for tenant_id, domain in keys}
        )
        if lock_ids:
            await self.session.execute(_LOCK_SQL, {"ids": lock_ids})

    async def load_ledger(
        self, company_keys: set[tuple[str, str]], meeting_ids: set[uuid.UUID]
    ) -> Ledger:
        ledger = Ledger()
        if company_keys:
            found = await self.session.scalars(
                select(Company).where(
                    tuple_(companies.c.tenant_id, companies.c.domain).in_(list(company_keys))
                )
            )
            ledger.companies = {(c.tenant_id, c.domain): c for c in found}
        if meeting_ids:
            records = await self.session.scalars(
                select(MeetingRecord).where(meeting_records.c.meeting_id.in_(meeting_ids))
            )
            ledger.meetings = {r.meeting_id: r for r in records}
        company_ids = [c.id for c in ledger.companies.values()]
        linked = [r.deal_id for r in ledger.meetings.values() if r.deal_id]
        if company_ids or linked:
            found_deals = await self.session.scalars(
                select(Deal)
                .where(
                    or_(
                        and_(
                            deals.c.company_id.in_(company_ids), deals.c.status == DealStatus.ACTIVE
                        ),
                        deals.c.id.in_(linked),
                    )
                )
                .with_for_update()
            )
            for deal in found_deals:
                ledger.add_deal(deal)
        if ledger.deals:
            # Other meetings of these deals decide whether a cancellation may cancel the deal.
            more = await self.session.scalars(
                select(MeetingRecord).where(
                    meeting_records.c.deal_id.in_(list(ledger.deals)),
                    meeting_records.c.meeting_id.not_in(
                        list(ledger.meetings) or [uuid.UUID(int=0)]
                    ),
                )
            )
            ledger.meetings.update({r.meeting_id: r for r in more})
        return ledger

    async def insert_new(self, objects: Sequence[object]) -> None:
        """Companies, then meeting records, then deals: in the order their keys reference."""
        await insert_new(self.session, objects)

    async def add_history(self, rows: Sequence[dict[str, Any]]) -> None:
        if rows:
            await self.session.execute(insert(stage_history), list(rows))

    async def add_activities(self, rows: Sequence[dict[str, Any]]) -> None:
        if rows:
            await self.session.execute(insert(deal_activities), list(rows))

    async def upsert_people(self, rows: Sequence[dict[str, Any]]) -> None:
        if not rows:
            return
        stmt = insert(people)
        await self.session.execute(
            stmt.on_conflict_do_update(
                index_elements=[people.c.tenant_id, people.c.email],
                set_={
                    "name": func.coalesce(stmt.excluded.name, people.c.name),
                    "company_id": func.coalesce(stmt.excluded.company_id, people.c.company_id),
                    "last_meeting_id": stmt.excluded.last_meeting_id,
                    "updated_at": stmt.excluded.updated_at,
                },
            ),
            list(rows),
        )

    async def get(
        self, tenant_id: str, deal_id: uuid.UUID, *, for_update: bool = False
    ) -> Deal | None:
        query = select(Deal).where(deals.c.tenant_id == tenant_id, deals.c.id == deal_id)
        return await self.session.scalar(query.with_for_update() if for_update else query)

    async def by_external_id(self, tenant_id: str, crm: str, external_id: str) -> Deal | None:
        return await self.session.scalar(
            select(Deal)
            .where(deals.c.tenant_id == tenant_id, deals.c.external_ids[crm].astext == external_id)
            .with_for_update()
        )

    async def active_for_company(self, company_id: uuid.UUID) -> Deal | None:
        return await self.session.scalar(
            select(Deal)
            .where(deals.c.company_id == company_id, deals.c.status == DealStatus.ACTIVE)
            .with_for_update()
        )

    async def company(self, tenant_id: str, company_id: uuid.UUID) -> Company | None:
        return await self.session.scalar(
            select(Company).where(companies.c.tenant_id == tenant_id, companies.c.id == company_id)
        )

    async def companies_by_id(self, ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, Company]:
        wanted = list(set(ids))
        if not wanted:
            return {}
        return {
            c.id: c
            for c in await self.session.scalars(select(Company).where(companies.c.id.in_(wanted)))
        }

    async def company_by_domain(self, tenant_id: str, domain: str) -> Company | None:
        return await self.session.scalar(
            select(Company).where(companies.c.tenant_id == tenant_id, companies.c.domain == domain)
        )

    async def meeting_records(
        self, meeting_ids: Iterable[uuid.UUID]
    ) -> dict[uuid.UUID, MeetingRecord]:
        wanted = list(set(meeting_ids))
        if not wanted:
            return {}
        found = await self.session.scalars(
            select(MeetingRecord).where(meeting_records.c.meeting_id.in_(wanted))
        )
        return {r.meeting_id: r for r in found}

    async def meetings_of(
        self, *, deal_id: uuid.UUID | None = None, company_id: uuid.UUID | None = None
    ) -> Sequence[MeetingRecord]:
        column = meeting_records.c.deal_id if deal_id else meeting_records.c.company_id
        return (
            await self.session.scalars(
                select(MeetingRecord)
                .where(column == (deal_id or company_id))
                .order_by(meeting_records.c.scheduled_at)
            )
        ).all()

    async def save_journeys(self, rows: Sequence[dict[str, Any]]) -> None:
        """Upserts MeetingAttributed rows; attribution publishes them keyed by meeting id, so the
        later one read is the later one published."""
        if not rows:
            return
        stmt = insert(meeting_attributions)
        kept = ("tenant_id", "meeting_id")
        await self.session.execute(
            stmt.on_conflict_do_update(
                index_elements=[
                    meeting_attributions.c.tenant_id,
                    meeting_attributions.c.meeting_id,
                ],
                set_={c.name: c for c in stmt.excluded if c.name not in kept},
            ),
            list(rows),
        )

    async def journey_links(
        self, deal_ids: Iterable[uuid.UUID]
    ) -> list[tuple[uuid.UUID, uuid.UUID, MeetingJourney | None]]:
        """(deal id, meeting id, the meeting's journey or None) for every meeting linked to
        these deals; a journey counts only under the meeting's own tenant."""
        wanted = list(set(deal_ids))
        if not wanted:
            return []
        r, a = meeting_records.c, meeting_attributions.c
        rows = await self.session.execute(
            select(
                r.deal_id,
                r.meeting_id,
                a.meeting_id.label("attributed"),
                a.touches_before_booking,
                a.days_to_booking,
                a.first_touch_channel,
                a.converting_activity_id,
                a.converting_channel,
            )
            .select_from(
                meeting_records.outerjoin(
                    meeting_attributions,
                    and_(a.tenant_id == r.tenant_id, a.meeting_id == r.meeting_id),
                )
            )
            .where(r.deal_id.in_(wanted))
        )
        return [
            (
                row.deal_id,
                row.meeting_id,
                None
                if row.attributed is None
                else MeetingJourney(
                    meeting_id=row.meeting_id,
                    touches_before_booking=row.touches_before_booking,
                    days_to_booking=row.days_to_booking,
                    first_touch_channel=row.first_touch_channel,
                    converting_activity_id=row.converting_activity_id,
                    converting_channel=row.converting_channel,
                ),
            )
            for row in rows
        ]

    async def history(self, deal_id: uuid.UUID) -> Sequence[Any]:
        rows = await self.session.execute(
            select(stage_history)
            .where(stage_history.c.deal_id == deal_id)
            .order_by(stage_history.c.id)
        )
        return rows.mappings().all()

    async def activities(self, deal_id: uuid.UUID) -> Sequence[Any]:
        rows = await self.session.execute(
            select(deal_activities)
            .where(deal_activities.c.deal_id == deal_id)
            .order_by(deal_activities.c.id)
        )
        return rows.mappings().all()

    async def people_of(self, company_id: uuid.UUID) -> Sequence[Any]:
        rows = await self.session.execute(
            select(people).where(people.c.company_id == company_id).order_by(people.c.email)
        )
        return rows.mappings().all()

    async def deals_of(self, company_id: uuid.UUID) -> Sequence[Deal]:
        return (
            await self.session.scalars(
                select(Deal).where(deals.c.company_id == company_id).order_by(deals.c.created_at)
            )
        ).all()

    async def list(self, tenant_id: str, **filters: Any) -> Sequence[Deal]:
        if filters.get("closed_since") or filters.get("closed_until"):
            # Walk the newest deals or sort the window's: which is cheaper depends on how many
            # deals the window holds, which only a plan made for these values knows (a generic
            # plan guesses, and sorted half a million deals for a three-year window).
            await self.session.execute(text("SET LOCAL plan_cache_mode = force_custom_plan"))
        return (await self.session.scalars(list_query(tenant_id, **filters))).all()

    async def list_companies(
        self, tenant_id: str, *, domain: str | None, after: tuple[str, uuid.UUID] | None, limit: int
    ) -> Sequence[Company]:
        query = select(Company).where(companies.c.tenant_id == tenant_id)
        if domain:
            query = query.where(companies.c.domain == domain.lower())
        if after:
            query = query.where(tuple_(companies.c.domain, companies.c.id) > tuple_(*after))
        return (
            await self.session.scalars(
                query.order_by(companies.c.domain, companies.c.id).limit(limit)
            )
        ).all()

    async def pipeline_groups(self, tenant_id: str) -> Sequence[StageGroup]:
        """Active deals per (stage, currency) from the read model: a few hundred rows, however
        many deals the tenant has."""
        rows = await self.session.execute(pipeline_query(tenant_id))
        return [StageGroup(*row) for row in rows]

    async def lost_groups(self, tenant_id: str, since: datetime) -> Sequence[LostGroup]:
        """Deals lost since `since` per (reason, stage left): a few rollup rows a month, and the
        partial first month from ix_deals_tenant_lost_closed (`lost_window_query`)."""
        rows = await self.session.execute(lost_window_query(tenant_id, since))
        return [
            LostGroup(
                LostReason(reason),
                DealStage(stage) if stage else None,
                int(count),
                value_sum,
                None if days_sum is None else int(days_sum),
                int(days_count),
            )
            for reason, stage, count, value_sum, days_sum, days_count in rows
        ]

    async def summary_differences(self, tenant_id: str | None) -> Sequence[SummaryDifference]:
        """Every (tenant, status, stage, currency) whose maintained summary differs from a full
        recompute from the rows (none, unless something bypassed the trigger)."""
        rows = await self.session.execute(DEAL_SUMMARIES.differences_query(tenant_id))
        return [SummaryDifference(*row) for row in rows]

    async def lost_month_differences(self, tenant_id: str | None) -> Sequence[LostMonthDifference]:
        """Every (tenant, month, reason, stage left) whose kept lost-deal rollup differs from a
        recompute from the deals (none, unless something bypassed the trigger)."""
        rows = await self.session.execute(LOST_MONTHS.differences_query(tenant_id))
        return [
            LostMonthDifference(tenant, month, reason, stage, tuple(pairs[::2]), tuple(pairs[1::2]))
            for tenant, month, reason, stage, *pairs in rows
        ]


def list_query(
    tenant_id: str,
    *,
    status: DealStatus | None,
    stage: DealStage | None,
    company_domain: str | None,
    created_since: datetime | None,
    created_until: datetime | None,
    closed_since: datetime | None,
    closed_until: datetime | None,
    after: tuple[datetime, uuid.UUID] | None,
    limit: int,
) -> Select[Any]:
    """A page of a tenant's deals, newest first (filters are all optional keyword arguments)."""
    c = deals.c
    query: Select[Any] = select(Deal).where(c.tenant_id == tenant_id)
    for condition in (
        c.status == status if status else None,
        c.stage == stage if stage else None,
        c.company_id.in_(
            select(companies.c.id).where(
                companies.c.tenant_id == tenant_id, companies.c.domain == company_domain.lower()
            )
        )
        if company_domain
        else None,
        c.created_at >= created_since if created_since else None,
        c.created_at < created_until if created_until else None,
        c.closed_at >= closed_since if closed_since else None,
        c.closed_at < closed_until if closed_until else None,
        # Implied by the window (ck_deals_closed_after_created): the walk down the newest deals
        # starts at the window's end, not at today.
        c.created_at < closed_until + CLOSING_SLACK if closed_until else None,
    ):
        if condition is not None:
            query = query.where(condition)
    return keyset_page(query, c.created_at, c.id, after, limit)


def pipeline_query(tenant_id: str) -> Select[Any]:
    """Active deals per (stage, currency): count, value, probability and weighted sums, summed
    over the read model's shards."""
    s = deal_summaries.c
    return (
        select(
            s.stage,
            s.currency,
            func.sum(s.deals),
            func.sum(s.value_sum),
            func.sum(s.probability_sum),
            func.sum(s.weighted_sum),
        )
        .where(s.tenant_id == tenant_id, s.status == DealStatus.ACTIVE)
        .group_by(s.stage, s.currency)
        .having(func.sum(s.deals) > 0)
        .order_by(s.stage, s.currency)
    )


def lost_window_query(tenant_id: str, since: datetime) -> Select[Any]:
    """Lost deals closed at or after `since` per (reason, stage left): count, value sum, days
    sum and days counted. The whole UTC months from `deal_lost_months` (every month from the
    first that starts at or after `since`, later closes included), the partial first month
    counted from the deals, index-only on ix_deals_tenant_lost_closed."""
    first = first_whole_month(since)
    m, c = deal_lost_months.c, deals.c
    from_rollup = (
        select(
            m.lost_reason.label("reason"),
            func.nullif(m.stage_left, NO_STAGE).label("stage"),
            func.sum(m.deals).label("deals"),
            func.sum(m.value_sum).label("value_sum"),
            func.sum(m.days_sum).label("days_sum"),
            func.sum(m.days_count).label("days_count"),
        )
        .where(m.tenant_id == tenant_id, m.month >= first)
        .group_by(m.lost_reason, m.stage_left)
    )
    from_rows = (
        select(
            c.lost_reason,
            type_coerce(c.stage_before_close, String),
            func.count(),
            func.sum(c.value),
            func.sum(c.days_to_close),
            func.count(c.days_to_close),
        )
        .where(
            c.tenant_id == tenant_id,
            text(LOST),
            c.closed_at >= since,
            c.closed_at < midnight(first),
        )
        .group_by(c.lost_reason, c.stage_before_close)
    )
    parts = union_all(from_rollup, from_rows).subquery()
    p = parts.c
    return (
        select(
            p.reason,
            p.stage,
            func.sum(p.deals),
            func.sum(p.value_sum),
            func.sum(p.days_sum),
            func.sum(p.days_count),
        )
        .group_by(p.reason, p.stage)
        # A key every deal has left keeps its rollup row, at zero.
        .having(func.sum(p.deals) > 0)
        .order_by(p.reason, p.stage)
    )


_LOCK_SQL = text(
    "SELECT pg_advisory_xact_lock(id)"
    " FROM (SELECT unnest(CAST(:ids AS bigint[])) AS id ORDER BY 1) AS ordered"
)
