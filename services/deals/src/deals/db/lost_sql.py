"""What lost-deal analysis counts, in SQL, in one place: the deals it counts and
`deal_lost_months`, its monthly rollup per (reason, stage left), kept by a trigger on `deals`
(dealflow_libs.summaries). A window sums its whole UTC months from the rollup and reads only
its partial first month from the rows (ix_deals_tenant_lost_closed)."""

from dealflow_libs.summaries import Summary

#: The deals the analysis counts. `status` is a literal so that every plan of the row read,
#: generic ones too, matches ix_deals_tenant_lost_closed's predicate. Closing always sets the
#: reason (`Deal.lose`); the rollup keys on it, so a row without one could not be kept there.
LOST = "status = 'lost' AND lost_reason IS NOT NULL"

#: The UTC month a lost deal counts in (its first day).
MONTH = "date_trunc('month', closed_at AT TIME ZONE 'UTC')::date"

#: The rollup's key for a deal without a stage left (closing always sets one): keys are never
#: NULL, or the upsert and the recompute's join could not match them.
NO_STAGE = ""

LOST_MONTHS = Summary(
    source="deals",
    table="deal_lost_months",
    keys={
        "tenant_id": "tenant_id",
        "month": MONTH,
        "lost_reason": "lost_reason",
        "stage_left": f"COALESCE(stage_before_close, '{NO_STAGE}')",
    },
    sums={
        "deals": "1",
        "value_sum": "COALESCE(value, 0)",
        "days_sum": "COALESCE(days_to_close, 0)",
        "days_count": "(days_to_close IS NOT NULL)::int",
    },
    counted=f"{LOST} AND closed_at IS NOT NULL",
    # Deals are lost by a person's click, one at a time: one shard keeps a month's rows few
    # (reads sum them), and writers rarely meet on its lock.
    shards=1,
)
