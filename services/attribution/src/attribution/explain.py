"""A deal's attribution as the API explains it: the stored run, and the account's touches that
are not its inputs (after the close, older than the lookback) with why they earn nothing."""

import uuid
from dataclasses import replace
from datetime import datetime
from typing import Any

from attribution.attributing import account_touches_of, tenant_terms
from attribution.domain.recorded import StoredRun
from attribution.domain.run import ExcludedTouch
from attribution.domain.touches import (
    ActivityType,
    Window,
    in_window,
    select_eligible,
    unique_touches,
)
from attribution.uow import AttributionUnitOfWork


async def explained_run(
    uow: AttributionUnitOfWork,
    tenant_id: str,
    deal_id: uuid.UUID,
    model: str,
    as_of: datetime | None = None,
) -> StoredRun | None:
    """The run of `model` that counted at `as_of` (now by default). A current run's `excluded`
    also lists the account's touches outside its window, as they are now: a run's inputs are
    only the touches in its window (so that it can be reproduced), yet "why did this touch earn
    nothing" deserves an answer. A past run (`as_of`) is shown as stored."""
    async with uow:
        run = await uow.attribution.current_run(tenant_id, deal_id, model, as_of=as_of)
        if run is None or as_of is not None:
            return run
        deals = await uow.attribution.closed_deals(tenant_id, [deal_id])
        if not deals:
            return run
        terms = (await tenant_terms(uow, [tenant_id]))[tenant_id]
        pools = await account_touches_of(uow, terms, deals, until=None)
    result = run.result
    conversion_at = datetime.fromisoformat(result["conversion_at"])
    window = _window(result["window"])
    outside = [
        t
        for t in unique_touches(pools[deal_id])
        if not in_window(t.occurred_at, conversion_at=conversion_at, window=window)
    ]
    found = select_eligible(outside, conversion_at=conversion_at, window=window)
    extra = [ExcludedTouch(e, terms.rules.classify(e.touch)).to_dict() for e in found.excluded]
    if not extra:
        return run
    excluded = sorted(
        [*result["excluded"], *extra], key=lambda e: (e["occurred_at"], e["touch_id"])
    )
    return replace(run, result={**result, "excluded": excluded})


def _window(stored: dict[str, Any]) -> Window:
    return Window(
        lookback_days=stored["lookback_days"],
        ignored_activity_types=frozenset(ActivityType(t) for t in stored["ignored_activity_types"]),
    )
