"""Touches: the intake's inserts, a journey's candidate touches, a person's timeline.
Nothing here commits."""

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import Row, select
from sqlalchemy.dialects.postgresql import insert

from attribution.db.base import Repository
from attribution.db.tables import touches
from attribution.domain.account import email_domain
from attribution.domain.channels import Classification
from attribution.domain.recorded import RecordedTouch
from attribution.domain.touches import NO_UTM, ActivityType, Touch, Utm

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


class TouchesRepository(Repository):
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

    async def timeline(self, tenant_id: str, email: str) -> list[RecordedTouch]:
        """Every touch of one person, oldest first (ties by touch_id)."""
        rows = await self.session.execute(
            select(touches)
            .where(touches.c.tenant_id == tenant_id, touches.c.person_email == email)
            .order_by(touches.c.occurred_at, touches.c.touch_id)
        )
        return [_recorded(row) for row in rows]


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
