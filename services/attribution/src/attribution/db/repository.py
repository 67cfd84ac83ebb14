"""All SQL of the attribution service. Nothing here commits."""

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import ColumnElement, Row, and_, delete, func, literal_column, or_, select
from sqlalchemy.dialects.postgresql import distinct_on, insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.types import Text

from attribution.db.tables import (
    attribution_runs,
    channel_rule_versions,
    closed_deals,
    deal_journeys,
    meeting_bookings,
    run_voids,
    tenants,
    touches,
)
from attribution.domain.account import email_domain
from attribution.domain.channels import Classification, RuleSet
from attribution.domain.deal_runs import ClosedDeal
from attribution.domain.recorded import Booking, RecordedTouch, StoredRules, StoredRun
from attribution.domain.run import AttributionRun
from attribution.domain.touches import NO_UTM, ActivityType, Touch, Utm
from attribution.domain.weighting import Milestones
from dealflow_libs.db import any_of


@dataclass(frozen=True, slots=True)
class LatestRun:
    run_id: uuid.UUID
    input_hash: str
    voided: bool


@dataclass(frozen=True, slots=True)
class NewRun:
    """A run to store: what it replaces and what caused it."""

    run_id: uuid.UUID
    run: AttributionRun
    supersedes: uuid.UUID | None
    caused_by: str | None


@dataclass(frozen=True, slots=True)
class DealPath:
    """A closed deal's channel path, as Markov trains on it."""

    deal_id: uuid.UUID
    channels: list[str]
    converted: bool
    closed_at: datetime


#: A run's touch columns (not how or when it was received) for the touches of the people named
#: ($2) or at the registrable domains ($3), at or before $4 (NULL: any time), in journey order.
#: Metadata as text, NULL when empty: most touches have none, and decoding JSON costs.
_CANDIDATES_SQL = """
SELECT touch_id, person_email, occurred_at, activity_type, explicit_channel,
       utm_source, utm_medium, utm_campaign, utm_content, utm_term,
       campaign_id, external_activity_id, nullif(metadata::text, '{}'), email_domain
FROM touches
WHERE tenant_id = $1
  AND (person_email = ANY($2::text[]) OR email_domain = ANY($3::text[]))
  AND ($4::timestamptz IS NULL OR occurred_at <= $4)
ORDER BY occurred_at, touch_id
"""


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
            .on_conflict_do_nothing(index_elements=[touches.c.tenant_id, touches.c.touch_id])
            .returning(touches.c.tenant_id, touches.c.touch_id)
        )
        # executemany (SQLAlchemy pages it): one VALUES list would bind 20 parameters a touch
        inserted = await self.session.execute(statement, [_row(r) for r in recorded])
        return {(t, i) for t, i in inserted.all()}

    async def current_rules(self, tenant_ids: Iterable[str]) -> dict[str, StoredRules]:
        """Each tenant's latest channel rules; a tenant that never changed them is absent."""
        v = channel_rule_versions.c
        rows = await self.session.execute(
            select(channel_rule_versions)
            .where(any_of(v.tenant_id, tenant_ids))
            .order_by(v.tenant_id, v.version.desc())
            .ext(distinct_on(v.tenant_id))
        )
        return {row.tenant_id: _stored_rules(row) for row in rows}

    async def rules_version(self, tenant_id: str, version: int) -> StoredRules | None:
        v = channel_rule_versions.c
        row = (
            await self.session.execute(
                select(channel_rule_versions).where(v.tenant_id == tenant_id, v.version == version)
            )
        ).first()
        return _stored_rules(row) if row is not None else None

    async def rules_history(self, tenant_id: str) -> list[StoredRules]:
        v = channel_rule_versions.c
        rows = await self.session.execute(
            select(channel_rule_versions).where(v.tenant_id == tenant_id).order_by(v.version)
        )
        return [_stored_rules(row) for row in rows]

    async def lock_rules(self, tenant_id: str) -> None:
        """Serialises changes of one tenant's rules until the transaction ends, so two
        concurrent changes get consecutive versions instead of one failing on the key."""
        await self.session.execute(
            select(
                func.pg_advisory_xact_lock(func.hashtextextended("channel_rules:" + tenant_id, 0))
            )
        )

    async def add_rules(self, tenant_id: str, rules: RuleSet, now: datetime) -> StoredRules:
        stored = StoredRules(
            tenant_id, rules.version, rules.digest, rules.to_dict(with_version=False), now
        )
        await self.session.execute(
            insert(channel_rule_versions).values(
                tenant_id=tenant_id,
                version=stored.version,
                digest=stored.digest,
                content=stored.content,
                created_at=now,
            )
        )
        return stored

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

    async def account_candidates(
        self,
        tenant_id: str,
        domains: Sequence[str],
        emails: Sequence[str],
        until: datetime | None = None,
    ) -> list[tuple[str | None, Touch]]:
        """Touches that may belong to some of the accounts: of the people named and of every
        address whose registrable domain is one of `domains` (the caller applies the exact
        company rule), at or before `until`; each with its email domain, in journey order."""
        if not emails and not domains:
            return []
        # The recompute's hot path: asyncpg straight (its records decode in C; SQLAlchemy's
        # row processing cost as much as the query), on the session's own connection.
        connection = await self.session.connection()
        raw = (await connection.get_raw_connection()).driver_connection
        assert raw is not None
        rows = await raw.fetch(
            _CANDIDATES_SQL,
            tenant_id,
            sorted(set(emails)),
            sorted(set(domains)),
            until,
        )
        return [(row[13], _touch(row)) for row in rows]

    async def save_closed_deals(self, deals: Sequence[ClosedDeal]) -> None:
        """Records closed deals as their latest event describes them (one row per deal)."""
        if not deals:
            return
        rows = [_closed_row(d) for d in deals]
        statement = insert(closed_deals)
        columns = [c for c in rows[0] if c != "deal_id"]
        await self.session.execute(
            statement.on_conflict_do_update(
                index_elements=[closed_deals.c.deal_id],
                set_={c: statement.excluded[c] for c in columns},
            ),
            rows,  # executemany: one cached statement, not a statement per batch size
        )

    async def forget_closed_deal(self, tenant_id: str, deal_id: uuid.UUID) -> None:
        c = closed_deals.c
        await self.session.execute(
            delete(closed_deals).where(c.tenant_id == tenant_id, c.deal_id == deal_id)
        )

    async def closed_deals(self, tenant_id: str, deal_ids: Sequence[uuid.UUID]) -> list[ClosedDeal]:
        c = closed_deals.c
        if not deal_ids:
            return []
        rows = await self.session.execute(
            select(closed_deals)
            .where(c.tenant_id == tenant_id, any_of(c.deal_id, deal_ids))
            .order_by(c.deal_id)
        )
        return [_closed(row) for row in rows]

    async def closed_deal_page(
        self, tenant_id: str, *, after: uuid.UUID | None, limit: int, won_only: bool
    ) -> list[ClosedDeal]:
        """The next `limit` closed deals of a tenant by deal id (keyset: those after `after`)."""
        c = closed_deals.c
        sql = select(closed_deals).where(c.tenant_id == tenant_id)
        if won_only:
            sql = sql.where(c.won.is_(True))
        if after is not None:
            sql = sql.where(c.deal_id > after)
        rows = await self.session.execute(sql.order_by(c.deal_id).limit(limit))
        return [_closed(row) for row in rows]

    async def count_closed_deals(self, tenant_id: str, *, won_only: bool) -> int:
        c = closed_deals.c
        sql = select(func.count()).select_from(closed_deals).where(c.tenant_id == tenant_id)
        if won_only:
            sql = sql.where(c.won.is_(True))
        return int((await self.session.execute(sql)).scalar_one())

    async def closed_deals_reached(
        self, tenant_id: str, domains: Sequence[str], emails: Sequence[str]
    ) -> list[ClosedDeal]:
        """Closed deals whose company is one of `domains` or that link one of `emails`: those
        whose journeys a new touch of these people may join."""
        c = closed_deals.c
        who: list[ColumnElement[bool]] = []
        if domains:
            who.append(any_of(c.company_domain, domains))
        if emails:
            who.append(c.linked_emails.overlap(sorted(set(emails))))
        if not who:
            return []
        rows = await self.session.execute(
            select(closed_deals).where(c.tenant_id == tenant_id, or_(*who)).order_by(c.deal_id)
        )
        return [_closed(row) for row in rows]

    async def is_empty(self) -> bool:
        """Whether nothing attribution keeps is stored yet (a rebuild's target must be)."""
        for table in (touches, closed_deals, attribution_runs, meeting_bookings):
            if (
                await self.session.execute(select(literal_column("1")).select_from(table).limit(1))
            ).first():
                return False
        return True

    async def tenant_ids(self) -> list[str]:
        rows = await self.session.scalars(select(tenants.c.tenant_id).order_by(tenants.c.tenant_id))
        return list(rows)

    async def tenant_rows(self, tenant_ids: Sequence[str]) -> list[dict[str, Any]]:
        """Tenants' rows as kept (the feed's columns and the service's settings)."""
        rows = await self.session.execute(
            select(tenants).where(any_of(tenants.c.tenant_id, tenant_ids))
        )
        return [dict(row._mapping) for row in rows]

    async def add_missing_tenants(self, rows: Sequence[dict[str, Any]]) -> None:
        if rows:
            await self.session.execute(
                insert(tenants).on_conflict_do_nothing(index_elements=[tenants.c.tenant_id]),
                list(rows),
            )

    async def restore_rules(self, versions: Sequence[StoredRules]) -> None:
        """Channel rule versions as another database kept them (version and time included)."""
        if versions:
            await self.session.execute(
                insert(channel_rule_versions).on_conflict_do_nothing(),
                [
                    {
                        "tenant_id": v.tenant_id,
                        "version": v.version,
                        "digest": v.digest,
                        "content": dict(v.content),
                        "created_at": v.created_at,
                    }
                    for v in versions
                ],
            )

    async def lock_runs(self, *tenant_ids: str) -> None:
        """Serialises the transactions that write a tenant's runs (consumers, late touches and
        recomputes), so two never supersede the same run; held until commit. Several tenants
        are locked in one order (sorted), so two transactions cannot wait for each other."""
        for tenant_id in sorted(set(tenant_ids)):
            key = func.hashtext(literal_column("'attribution-runs:'", Text) + tenant_id)
            await self.session.execute(select(func.pg_advisory_xact_lock(key)))

    async def save_journeys(self, tenant_id: str, paths: Sequence[DealPath]) -> None:
        """Upserts closed deals' channel paths; a row whose path did not change is not written
        (read first: a recompute mostly finds them equal, and reading is cheaper than upserting)."""
        if not paths:
            return
        j = deal_journeys.c
        stored = {
            deal_id: (channels, converted, closed_at)
            for deal_id, channels, converted, closed_at in await self.session.execute(
                select(j.deal_id, j.channels, j.converted, j.closed_at).where(
                    j.tenant_id == tenant_id, any_of(j.deal_id, [p.deal_id for p in paths])
                )
            )
        }
        paths = [
            p
            for p in paths
            if stored.get(p.deal_id) != (list(p.channels), p.converted, p.closed_at)
        ]
        if not paths:
            return
        statement = insert(deal_journeys)
        new = statement.excluded
        await self.session.execute(
            statement.on_conflict_do_update(
                index_elements=[j.deal_id],
                set_={
                    "channels": new.channels,
                    "converted": new.converted,
                    "closed_at": new.closed_at,
                },
                where=or_(
                    j.channels.is_distinct_from(new.channels),
                    j.converted.is_distinct_from(new.converted),
                    j.closed_at.is_distinct_from(new.closed_at),
                ),
            ),
            [
                {
                    "deal_id": p.deal_id,
                    "tenant_id": tenant_id,
                    "channels": list(p.channels),
                    "converted": p.converted,
                    "closed_at": p.closed_at,
                }
                for p in paths
            ],
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

    async def converting_channels(self, tenant_id: str) -> int:
        """How many channels the tenant's won deals' paths hold: Shapley's player count."""
        j = deal_journeys.c
        channel = func.unnest(j.channels).table_valued("value").render_derived()
        count = await self.session.scalar(
            select(func.count(func.distinct(channel.c.value)))
            .select_from(deal_journeys)
            .join(channel, literal_column("true"))
            .where(j.tenant_id == tenant_id, j.converted)
        )
        return int(count or 0)

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

    async def latest_runs_of(
        self, tenant_id: str, deal_ids: Sequence[uuid.UUID]
    ) -> dict[uuid.UUID, dict[str, LatestRun]]:
        """Per deal and model, the latest run and whether it was voided (one query)."""
        if not deal_ids:
            return {}
        r = attribution_runs.c
        rows = await self.session.execute(
            select(r.deal_id, r.model, r.run_id, r.input_hash, run_voids.c.run_id.is_not(None))
            .outerjoin(run_voids, run_voids.c.run_id == r.run_id)
            .where(r.tenant_id == tenant_id, any_of(r.deal_id, deal_ids))
            .order_by(r.deal_id, r.model, r.seq.desc())
            .ext(distinct_on(r.deal_id, r.model))
        )
        found: dict[uuid.UUID, dict[str, LatestRun]] = {}
        for deal_id, model, run_id, input_hash, voided in rows:
            found.setdefault(deal_id, {})[model] = LatestRun(run_id, input_hash, voided)
        return found

    async def add_runs(self, tenant_id: str, runs: Sequence[NewRun], now: datetime) -> None:
        """Appends runs in the order given (their `seq` follows it)."""
        if runs:
            await self.session.execute(
                insert(attribution_runs), [_run_row(tenant_id, new, now) for new in runs]
            )

    async def current_run(
        self, tenant_id: str, deal_id: uuid.UUID, model: str, *, as_of: datetime | None = None
    ) -> StoredRun | None:
        """The deal's latest run under `model`, unless it was voided; with `as_of`, the one that
        was so at that instant (created by then, not voided by then)."""
        r, v = attribution_runs.c, run_voids.c
        voided = v.run_id == r.run_id
        query = select(r.run_id, r.supersedes, r.created_at, r.result, v.run_id.is_not(None))
        query = query.where(r.tenant_id == tenant_id, r.deal_id == deal_id, r.model == model)
        if as_of is not None:
            voided = and_(voided, v.voided_at <= as_of)
            query = query.where(r.created_at <= as_of)
        row = (
            await self.session.execute(
                query.outerjoin(run_voids, voided).order_by(r.seq.desc()).limit(1)
            )
        ).first()
        if row is None or row[4]:
            return None
        return StoredRun(row[0], row[1], row[2], row[3])

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
                insert(run_voids).on_conflict_do_nothing(index_elements=[run_voids.c.run_id]),
                [
                    {
                        "run_id": run_id,
                        "tenant_id": tenant_id,
                        "reason": reason,
                        "caused_by": caused_by,
                        "voided_at": now,
                    }
                    for run_id in run_ids
                ],
            )

    async def timeline(self, tenant_id: str, email: str) -> list[RecordedTouch]:
        """Every touch of one person, oldest first (ties by touch_id)."""
        rows = await self.session.execute(
            select(touches)
            .where(touches.c.tenant_id == tenant_id, touches.c.person_email == email)
            .order_by(touches.c.occurred_at, touches.c.touch_id)
        )
        return [_recorded(row) for row in rows]


def _run_row(tenant_id: str, new: NewRun, now: datetime) -> dict[str, Any]:
    run = new.run
    return {
        "run_id": new.run_id,
        "tenant_id": tenant_id,
        "deal_id": uuid.UUID(run.deal_id),
        "model": run.model.value,
        "parameters": run.params,
        "rule_version": run.rule_version,
        "rule_digest": run.rule_digest,
        "window": run.window.canonical(),
        "conversion_at": run.conversion_at,
        "value_minor": run.value_minor,
        "currency": run.currency,
        "input_hash": run.input_hash,
        "supersedes": new.supersedes,
        "result": run.to_dict(),
        "caused_by": new.caused_by,
        "created_at": now,
    }


def _closed_row(deal: ClosedDeal) -> dict[str, Any]:
    return {
        "deal_id": deal.deal_id,
        "tenant_id": deal.tenant_id,
        "won": deal.won,
        "company_domain": deal.company_domain,
        "linked_emails": list(deal.linked_emails),
        "value_minor": deal.value_minor,
        "currency": deal.currency,
        "closed_at": deal.closed_at,
        "lead_created_at": deal.milestones.lead_created_at,
        "deal_created_at": deal.milestones.deal_created_at,
    }


def _closed(row: Row[Any]) -> ClosedDeal:
    m = row._mapping
    return ClosedDeal(
        tenant_id=m["tenant_id"],
        deal_id=m["deal_id"],
        won=m["won"],
        company_domain=m["company_domain"],
        linked_emails=tuple(m["linked_emails"]),
        value_minor=m["value_minor"],
        currency=m["currency"],
        closed_at=m["closed_at"],
        milestones=Milestones(
            lead_created_at=m["lead_created_at"],
            deal_created_at=m["deal_created_at"],
            won_at=m["closed_at"],
        ),
    )


def _touch(row: Sequence[Any]) -> Touch:
    """A touch from a row of _CANDIDATES_SQL (positional: this is the hot path)."""
    utm = NO_UTM if row[5] is row[6] is row[7] is row[8] is row[9] is None else Utm(*row[5:10])
    metadata = orjson.loads(row[12]) if row[12] is not None else {}
    return Touch.stored(row[0], row[1], row[2], row[3], row[4], utm, row[10], row[11], metadata)


def _row(recorded: RecordedTouch) -> dict[str, Any]:
    touch, found = recorded.touch, recorded.classification
    return {
        "tenant_id": recorded.tenant_id,
        "touch_id": touch.touch_id,
        "person_email": touch.person_email,
        "email_domain": email_domain(touch.person_email),
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


def _stored_rules(row: Row[Any]) -> StoredRules:
    return StoredRules(row.tenant_id, row.version, row.digest, row.content, row.created_at)


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
