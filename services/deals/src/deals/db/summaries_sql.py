"""DDL of `deal_summaries`, the pipeline's read model, kept by a trigger on `deals`.

Why a trigger: every writer of `deals` (the meeting consumer, the HTTP commands, CRM sync, a bulk
load through SQL) moves the summary in its own transaction, so it is exact and never stale, and
no code path can forget it. Statement-level with transition tables: one aggregated upsert per
statement, whether it wrote one deal or a million.

Contention: each transaction writes the rows of one shard (its backend pid mod SHARDS) and
first takes that shard's transaction advisory lock (one lock per transaction, whatever tenants
it touches), so concurrent writers rarely wait for each other and never deadlock on summary
rows; a read sums the shards (a few hundred rows).
"""

SHARDS = 32

_DELTA = {
    "INSERT": "SELECT {cols}, 1 AS sign FROM new_rows",
    "DELETE": "SELECT {cols}, -1 AS sign FROM old_rows",
    "UPDATE": "SELECT {cols}, 1 AS sign FROM new_rows UNION ALL SELECT {cols}, -1 FROM old_rows",
}
_COLS = "tenant_id, status, stage, currency, COALESCE(value, 0) AS value, probability"

_APPLY = """
    WITH changed AS ({delta}),
    delta AS (
        SELECT tenant_id, status, stage, currency,
               sum(sign) AS deals,
               sum(sign * value) AS value_sum,
               sum(sign * probability) AS probability_sum,
               sum(sign * value * probability) AS weighted_sum
        FROM changed
        GROUP BY tenant_id, status, stage, currency
        HAVING sum(sign) <> 0 OR sum(sign * value) <> 0 OR sum(sign * probability) <> 0
            OR sum(sign * value * probability) <> 0
    ),
    locked AS (
        SELECT count(pg_advisory_xact_lock(hashtext('deal_summaries'), writer_shard))
        FROM (SELECT 1 FROM delta LIMIT 1) AS any_change
    )
    INSERT INTO deal_summaries AS s
        (tenant_id, status, stage, currency, shard,
         deals, value_sum, probability_sum, weighted_sum)
    SELECT tenant_id, status, stage, currency, writer_shard,
           deals, value_sum, probability_sum, weighted_sum
    FROM delta CROSS JOIN locked
    ORDER BY tenant_id, status, stage, currency
    ON CONFLICT (tenant_id, status, stage, currency, shard) DO UPDATE SET
        deals = s.deals + excluded.deals,
        value_sum = s.value_sum + excluded.value_sum,
        probability_sum = s.probability_sum + excluded.probability_sum,
        weighted_sum = s.weighted_sum + excluded.weighted_sum;
"""


def _branch(op: str) -> str:
    delta = _DELTA[op].format(cols=_COLS)
    return f"IF TG_OP = '{op}' THEN {_APPLY.format(delta=delta)} END IF;"


CREATE_FUNCTION = f"""
CREATE OR REPLACE FUNCTION deal_summaries_apply() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    writer_shard smallint := pg_backend_pid() % {SHARDS};
BEGIN
    {_branch("INSERT")}
    {_branch("UPDATE")}
    {_branch("DELETE")}
    RETURN NULL;
END
$$;
"""

# Transition tables allow one event per trigger.
CREATE_TRIGGERS = [
    f"CREATE TRIGGER deal_summaries_{op.lower()} AFTER {op} ON deals"
    f" REFERENCING {'NEW TABLE AS new_rows' if op != 'DELETE' else ''}"
    f" {'OLD TABLE AS old_rows' if op != 'INSERT' else ''}"
    " FOR EACH STATEMENT EXECUTE FUNCTION deal_summaries_apply()"
    for op in ("INSERT", "UPDATE", "DELETE")
]

_OPS = ("insert", "update", "delete")
DROP = [
    *(f"DROP TRIGGER IF EXISTS deal_summaries_{op} ON deals" for op in _OPS),
    "DROP FUNCTION IF EXISTS deal_summaries_apply()",
]

#: The whole summary recomputed from the rows, in the table's shape (shard 0), per tenant or all.
RECOMPUTE = """
    SELECT tenant_id, status, stage, currency,
           count(*) AS deals,
           COALESCE(sum(value), 0) AS value_sum,
           sum(probability) AS probability_sum,
           COALESCE(sum(value * probability), 0) AS weighted_sum
    FROM deals
    {where}
    GROUP BY tenant_id, status, stage, currency
"""

_REBUILD = """
    INSERT INTO deal_summaries
        (tenant_id, status, stage, currency, shard, deals, value_sum, probability_sum, weighted_sum)
    SELECT tenant_id, status, stage, currency, 0, deals, value_sum, probability_sum, weighted_sum
    FROM ({recompute}) AS recomputed
"""
REBUILD = _REBUILD.format(recompute=RECOMPUTE.format(where=""))
