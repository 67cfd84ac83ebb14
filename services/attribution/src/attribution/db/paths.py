"""Closed deals' channel paths: Markov's and Shapley's training data. Nothing here commits."""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func, literal_column, or_, select
from sqlalchemy.dialects.postgresql import insert

from attribution.db.base import Repository
from attribution.db.tables import deal_journeys
from attribution.domain.training import ClosedJourney
from dealflow_libs.db import any_of


@dataclass(frozen=True, slots=True)
class DealPath:
    """A closed deal's channel path, as Markov trains on it."""

    deal_id: uuid.UUID
    channels: list[str]
    converted: bool
    closed_at: datetime


class PathsRepository(Repository):
    async def save_journeys(self, tenant_id: str, paths: Sequence[DealPath]) -> None:
        """Upserts closed deals' channel paths; a row whose path did not change is not written
        (read first: a recompute mostly finds them equal, and reading is cheaper than upserting)."""
        paths = await self._changed(tenant_id, paths) if paths else []
        if not paths:
            return
        j = deal_journeys.c
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

    async def _changed(self, tenant_id: str, paths: Sequence[DealPath]) -> list[DealPath]:
        """The paths that differ from the stored ones (or are not stored)."""
        j = deal_journeys.c
        stored = {
            deal_id: (channels, converted, closed_at)
            for deal_id, channels, converted, closed_at in await self.session.execute(
                select(j.deal_id, j.channels, j.converted, j.closed_at).where(
                    j.tenant_id == tenant_id, any_of(j.deal_id, [p.deal_id for p in paths])
                )
            )
        }
        return [
            p
            for p in paths
            if stored.get(p.deal_id) != (list(p.channels), p.converted, p.closed_at)
        ]

    async def forget_journey(self, tenant_id: str, deal_id: uuid.UUID) -> None:
        j = deal_journeys.c
        await self.session.execute(
            delete(deal_journeys).where(j.tenant_id == tenant_id, j.deal_id == deal_id)
        )

    async def journeys(
        self, tenant_id: str, *, before: datetime | None = None
    ) -> list[ClosedJourney]:
        """The closed deals' channel paths, outcomes and closes (those closed before `before`
        when given): the data-driven models' training data."""
        j = deal_journeys.c
        query = select(j.channels, j.converted, j.closed_at).where(j.tenant_id == tenant_id)
        if before is not None:
            query = query.where(j.closed_at < before)
        rows = await self.session.execute(query)
        return [ClosedJourney(tuple(path), won, closed_at) for path, won, closed_at in rows]

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
