"""report_deals: per deal, the models of its current runs and whether those runs agree

Revision ID: 0019_report_deals
Revises: 0018_runs_by_closing

The model comparison keeps the deals with a current run under every compared model, agreeing on
value, currency and close. It found them by grouping every credit of every compared model in
its window per deal (435 ms at 365 days, 1.7 s at ten years, 15,000 closed deals). One row per
deal says which models have a current run and whether all of those runs agree (then their close,
value and currency); kept from report_credits by statement triggers, as report_daily is, so
every write path keeps it. A comparison then takes each model's totals as the channel report
does and takes out the few deals it must not compare (`db.reporting.compare_credits`).
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0019_report_deals"
down_revision = "0018_runs_by_closing"
branch_labels = None
depends_on = None

_COLUMNS = "tenant_id, deal_id, models, uniform, first_close, last_close, value_minor, currency"

# Per deal, credits summed into a row's columns; `{rows}` is report_credits or a transition table.
_PER_DEAL = """
    SELECT p.tenant_id, p.deal_id, array_agg(DISTINCT p.model ORDER BY p.model) AS models,
        min(p.value_minor) = max(p.value_minor) AND min(p.currency) = max(p.currency)
            AND min(p.conversion_at) = max(p.conversion_at) AS uniform,
        min(p.conversion_at) AS first_close, max(p.conversion_at) AS last_close,
        min(p.value_minor) AS value_minor, min(p.currency) AS currency
    FROM {rows} p {join}
    GROUP BY p.tenant_id, p.deal_id ORDER BY 1, 2
"""


def _per_deal(rows: str) -> str:
    return f"({_PER_DEAL.format(rows=rows, join='')})"


def _derive(deals: str) -> str:
    """The rows of `deals` (a query of tenant_id, deal_id) derived from all their credits
    (inserted or replaced); a deal with no credit left is not touched here (see _REMOVE)."""
    derived = _PER_DEAL.format(
        rows="report_credits",
        join=f"JOIN ({deals}) t ON t.tenant_id = p.tenant_id AND t.deal_id = p.deal_id",
    )
    return f"""
        INSERT INTO report_deals ({_COLUMNS}) {derived}
        ON CONFLICT (tenant_id, deal_id) DO UPDATE SET models = excluded.models,
            uniform = excluded.uniform, first_close = excluded.first_close,
            last_close = excluded.last_close, value_minor = excluded.value_minor,
            currency = excluded.currency;
    """


# Whether a deal's row and its new runs agree (0021 replaced this form: see there).
SAME_RUNS = (
    "d.uniform AND n.uniform AND d.value_minor = n.value_minor AND d.currency = n.currency"
    " AND d.first_close = n.first_close"
)
_NEW = _per_deal("new_credits")
_OLD = _per_deal("old_credits")
_LEFT = "SELECT 1 FROM report_credits p WHERE p.tenant_id = o.tenant_id AND p.deal_id = o.deal_id"


def add_body(same_runs: str) -> str:
    """New credits: a deal's row takes runs that agree with it (`same_runs`) by adding their
    models (no credit read); a new deal gets its row from the new credits; any other deal is
    derived again."""
    disagreeing = (
        f"SELECT n.tenant_id, n.deal_id FROM {_NEW} n JOIN report_deals d"  # noqa: S608
        f" ON d.tenant_id = n.tenant_id AND d.deal_id = n.deal_id"
        f" WHERE NOT ({same_runs} AND d.models @> n.models)"
    )
    return f"""
        UPDATE report_deals d
        SET models = ARRAY(SELECT DISTINCT m FROM unnest(d.models || n.models) m ORDER BY m)
        FROM {_NEW} n WHERE d.tenant_id = n.tenant_id AND d.deal_id = n.deal_id AND {same_runs};
        INSERT INTO report_deals ({_COLUMNS}) SELECT * FROM {_NEW} n
        ON CONFLICT (tenant_id, deal_id) DO NOTHING;
        {_derive(disagreeing)}
    """  # noqa: S608 - our own SQL constants


# Removed credits: a deal with none left loses its row; an agreeing deal loses the models of the
# runs removed (the rest still agree); a deal whose runs disagreed, or that still has credits
# under a removed model (a run removed in part), is derived again.
_REMOVE_OTHERS = (
    f"SELECT o.tenant_id, o.deal_id FROM {_OLD} o JOIN report_deals d"  # noqa: S608
    f" ON d.tenant_id = o.tenant_id AND d.deal_id = o.deal_id"
    f" WHERE NOT d.uniform OR EXISTS ({_LEFT} AND p.model = ANY (o.models))"
)
_DROP_EMPTY = f"""
    DELETE FROM report_deals d USING {_OLD} o
    WHERE d.tenant_id = o.tenant_id AND d.deal_id = o.deal_id AND NOT EXISTS ({_LEFT});
"""  # noqa: S608 - our own SQL constants
_REMOVE = f"""
    {_DROP_EMPTY}
    UPDATE report_deals d
    SET models = ARRAY(SELECT m FROM unnest(d.models) m WHERE m <> ALL (o.models) ORDER BY m)
    FROM {_OLD} o WHERE d.tenant_id = o.tenant_id AND d.deal_id = o.deal_id AND d.uniform;
    {_derive(_REMOVE_OTHERS)}
"""  # noqa: S608 - our own SQL constants

# Nothing updates report_credits today; if something does, both sides derived again.
_REPLACE = f"""
    {_DROP_EMPTY}
    {_derive("SELECT DISTINCT tenant_id, deal_id FROM old_credits")}
    {_derive("SELECT DISTINCT tenant_id, deal_id FROM new_credits")}
"""  # noqa: S608 - our own SQL constants

_FUNCTIONS = {
    "add": ("INSERT", "REFERENCING NEW TABLE AS new_credits", add_body(SAME_RUNS)),
    "remove": ("DELETE", "REFERENCING OLD TABLE AS old_credits", _REMOVE),
    "replace": (
        "UPDATE",
        "REFERENCING OLD TABLE AS old_credits NEW TABLE AS new_credits",
        _REPLACE,
    ),
}


def upgrade() -> None:
    op.create_table(
        "report_deals",
        sa.Column("tenant_id", sa.Text(), nullable=False),
        sa.Column("deal_id", sa.UUID(), nullable=False),
        sa.Column("models", postgresql.ARRAY(sa.Text()), nullable=False),
        sa.Column("uniform", sa.Boolean(), nullable=False),
        sa.Column("first_close", postgresql.TIMESTAMP(timezone=True), nullable=False),
        sa.Column("last_close", postgresql.TIMESTAMP(timezone=True), nullable=False),
        sa.Column("value_minor", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "deal_id", name=op.f("pk_report_deals")),
    )
    op.create_index(
        "ix_report_deals_close",
        "report_deals",
        ["tenant_id", "first_close"],
        postgresql_include=["models", "uniform", "value_minor", "currency"],
    )
    op.create_index(
        "ix_report_deals_mixed",
        "report_deals",
        ["tenant_id", "first_close", "last_close"],
        postgresql_where=sa.text("NOT uniform"),
    )
    for name, (event, transition, body) in _FUNCTIONS.items():
        op.execute(
            f"CREATE FUNCTION report_deals_{name}() RETURNS trigger LANGUAGE plpgsql AS $$"
            f" BEGIN {body} RETURN NULL; END $$"
        )
        op.execute(
            f"CREATE TRIGGER report_credits_deals_{name} AFTER {event} ON report_credits"
            f" {transition} FOR EACH STATEMENT EXECUTE FUNCTION report_deals_{name}()"
        )
    op.execute(
        "CREATE FUNCTION report_deals_truncate() RETURNS trigger LANGUAGE plpgsql AS $$"
        " BEGIN TRUNCATE report_deals; RETURN NULL; END $$"
    )
    op.execute(
        "CREATE TRIGGER report_credits_deals_truncate AFTER TRUNCATE ON report_credits"
        " FOR EACH STATEMENT EXECUTE FUNCTION report_deals_truncate()"
    )
    # The credits stored before.
    op.execute(
        f"INSERT INTO report_deals ({_COLUMNS}) {_PER_DEAL.format(rows='report_credits', join='')}"
    )


def downgrade() -> None:
    for name in (*_FUNCTIONS, "truncate"):
        op.execute(f"DROP TRIGGER report_credits_deals_{name} ON report_credits")
        op.execute(f"DROP FUNCTION report_deals_{name}()")
    op.drop_table("report_deals")
