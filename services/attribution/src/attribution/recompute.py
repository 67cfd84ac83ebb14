"""When runs are computed again: a late touch inside a closed deal's window, and recomputes of
one deal or a whole tenant (a batch per unit of work)."""

import functools
import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, datetime

from attribution.attributing import (
    Tally,
    TenantTerms,
    account_journeys,
    attribute_closed,
    save_paths,
    tenant_terms,
    trained_models,
    write_runs,
)
from attribution.domain.account import email_domain, in_account
from attribution.domain.deal_runs import ClosedDeal, ModelsAsOf
from attribution.domain.settings import TRAINED_MODELS
from attribution.domain.touches import Touch, in_window
from attribution.uow import AttributionUnitOfWork

#: Deals per unit of work in a tenant recompute: big enough that the per-batch queries cost
#: little per deal, small enough that a transaction stays short and a crash repeats little.
BATCH_SIZE = 1000

Progress = Callable[[int], None]


def _joins(terms: TenantTerms, deal: ClosedDeal, touch: Touch) -> bool:
    """Whether the touch belongs to the deal's account and lies in its window."""
    if not in_window(touch.occurred_at, conversion_at=deal.closed_at, window=terms.window):
        return False
    person = touch.person_email  # stored as person_key, as linked_emails are
    company = terms.company_of(person, email_domain(person))
    return in_account(
        person, company, company_domain=deal.company_domain, linked=deal.linked_emails
    )


async def recompute_touched(
    uow: AttributionUnitOfWork,
    terms: TenantTerms,
    touches: Sequence[tuple[Touch, str | None]],
    *,
    now: datetime,
) -> Tally:
    """Touches just recorded (each with what caused it), in the caller's unit of work: the
    closed deals whose window one of them falls in are attributed again; runs are stored and
    published only where the inputs changed. Found by index: the deals of the touches' company
    domains and the deals linking their people."""
    if not touches:
        return Tally()
    emails = {t.person_email for t, _ in touches}
    domains = {d for t, _ in touches if (d := email_domain(t.person_email))}
    found = await uow.attribution.closed_deals_reached(
        terms.tenant_id, sorted(domains), sorted(emails)
    )
    reached: list[ClosedDeal] = []
    causes: dict[uuid.UUID, str | None] = {}
    for deal in found:
        joining = [cause for touch, cause in touches if _joins(terms, deal, touch)]
        if joining:
            reached.append(deal)
            causes[deal.deal_id] = joining[0]
    return await attribute_closed(uow, terms, reached, caused_by=causes, now=now)


class NotWon(LookupError):
    """The deal is not a won deal of the tenant (unknown, open, lost or reopened)."""


async def recompute_deal(
    uow: AttributionUnitOfWork, tenant_id: str, deal_id: uuid.UUID, caused_by: str | None
) -> Tally:
    """One won deal attributed again from what is stored (new runs only where inputs changed)."""
    now = datetime.now(UTC)
    async with uow:
        deals = await uow.attribution.closed_deals(tenant_id, [deal_id])
        if not deals or not deals[0].won:
            raise NotWon(f"no won deal {deal_id}")
        terms = (await tenant_terms(uow, [tenant_id]))[tenant_id]
        tally = await attribute_closed(uow, terms, deals, caused_by={deal_id: caused_by}, now=now)
        await uow.commit()
    return tally


async def recompute_steps(uow: AttributionUnitOfWork, tenant_id: str) -> int:
    """How many deals a tenant recompute will report to its `progress` (both passes)."""
    async with uow:
        terms = (await tenant_terms(uow, [tenant_id]))[tenant_id]
        steps = await uow.attribution.count_closed_deals(tenant_id, won_only=False)
        if not TRAINED_MODELS.isdisjoint(terms.models):
            steps += await uow.attribution.count_closed_deals(tenant_id, won_only=True)
    return steps


async def recompute_tenant(
    uow: Callable[[], AttributionUnitOfWork],
    tenant_id: str,
    *,
    caused_by: str | None,
    batch_size: int = BATCH_SIZE,
    publish: bool = True,
    progress: Progress | None = None,
) -> Tally:
    """Every closed deal of a tenant attributed again, `batch_size` deals per unit of work.

    Pass 1 refreshes every closed deal's channel path and stores the rule-based runs; markov
    (and shapley) are then trained on the refreshed paths, once per conversion day in one pass
    over them (`domain.training`), and pass 2 stores their runs.
    A batch committed stays done: after a crash, running it again finds those runs unchanged
    and stores nothing.
    `progress` is told how many deals each batch finished (pass 2 counts again).
    """
    now = datetime.now(UTC)
    async with uow() as first:
        terms = (await tenant_terms(first, [tenant_id]))[tenant_id]
        rule_based = [n for n in terms.models if n not in TRAINED_MODELS]
        models = await trained_models(first, terms, None, rule_based)  # no training: no query
    walk = functools.partial(
        _walk,
        uow,
        terms,
        caused_by=caused_by,
        batch_size=batch_size,
        now=now,
        publish=publish,
        progress=progress,
    )
    tally = await walk(models, won_only=False, refresh_paths=True)
    if not TRAINED_MODELS.isdisjoint(terms.models):
        async with uow() as work:
            trained = await trained_models(work, terms, None, sorted(TRAINED_MODELS))
        done = await walk(trained, won_only=True, refresh_paths=False)
        # Pass 1 counted these deals already; only the runs are new here.
        tally += Tally(runs_created=done.runs_created, runs_unchanged=done.runs_unchanged)
    return tally


async def _walk(
    uow: Callable[[], AttributionUnitOfWork],
    terms: TenantTerms,
    models: ModelsAsOf,
    *,
    won_only: bool,
    refresh_paths: bool,
    caused_by: str | None,
    batch_size: int,
    now: datetime,
    publish: bool,
    progress: Progress | None,
) -> Tally:
    """One pass over the tenant's closed (or won) deals by deal id, a batch per unit of work:
    runs under `models` stored where their inputs changed, and with `refresh_paths` the
    deals' channel paths saved first."""
    tally = Tally()
    after: uuid.UUID | None = None
    while True:
        async with uow() as work:
            await work.attribution.lock_runs(terms.tenant_id)
            batch = await work.attribution.closed_deal_page(
                terms.tenant_id, after=after, limit=batch_size, won_only=won_only
            )
            if not batch:
                return tally
            journeys = await account_journeys(work, terms, batch)
            if refresh_paths:
                await save_paths(work, terms, batch, journeys)
            causes = dict.fromkeys((d.deal_id for d in batch), caused_by)
            done = await write_runs(
                work, terms, batch, journeys, models, caused_by=causes, now=now, publish=publish
            )
            await work.commit()
        tally += done
        after = batch[-1].deal_id
        if progress:
            progress(len(batch))
