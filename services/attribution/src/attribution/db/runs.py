"""Attribution runs: append-only, superseded and voided, read as of an instant.
Nothing here commits."""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, literal_column, select
from sqlalchemy.dialects.postgresql import distinct_on, insert
from sqlalchemy.types import Text

from attribution.db.base import Repository
from attribution.db.tables import attribution_runs, run_voids
from attribution.domain.recorded import StoredRun
from attribution.domain.run import AttributionRun
from dealflow_libs.db import any_of, insert_rows


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


class RunsRepository(Repository):
    async def lock_runs(self, *tenant_ids: str) -> None:
        """Serialises the transactions that write a tenant's runs (consumers, late touches and
        recomputes), so two never supersede the same run; held until commit. Several tenants
        are locked in one order (sorted), so two transactions cannot wait for each other."""
        for tenant_id in sorted(set(tenant_ids)):
            key = func.hashtext(literal_column("'attribution-runs:'", Text) + tenant_id)
            await self.session.execute(select(func.pg_advisory_xact_lock(key)))

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
        """Appends runs in the order given (their `seq` follows it), in one statement, not an
        executemany (a statement per run): the statement triggers keeping report_credits and
        report_daily then run once."""
        await insert_rows(
            self.session, attribution_runs, [_run_row(tenant_id, new, now) for new in runs]
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
