"""`deal_summaries`, the pipeline's read model, kept by a trigger on `deals` (the SQL comes from
dealflow_libs.summaries, which says why a trigger and how writers share it out in shards)."""

from dealflow_libs.summaries import Summary

DEAL_SUMMARIES = Summary(
    source="deals",
    table="deal_summaries",
    keys={k: k for k in ("tenant_id", "status", "stage", "currency")},
    sums={
        "deals": "1",
        "value_sum": "COALESCE(value, 0)",
        "probability_sum": "probability",
        "weighted_sum": "COALESCE(value, 0) * probability",
    },
)

CREATE_FUNCTION = DEAL_SUMMARIES.create_function
DROP = DEAL_SUMMARIES.drop
