"""Closed deals as their latest event describes them: the journeys' account facts.
Nothing here commits."""

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, Row, delete, func, or_, select
from sqlalchemy.dialects.postgresql import insert

from attribution.db.base import Repository
from attribution.db.tables import closed_deals
from attribution.domain.deal_runs import ClosedDeal
from attribution.domain.weighting import Milestones
from dealflow_libs.db import any_of


class ClosedDealsRepository(Repository):
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
