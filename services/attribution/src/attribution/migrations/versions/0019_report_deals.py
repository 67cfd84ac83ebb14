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

# The deals' rows from report_credits, for the deals in `deals` (tenant_id, deal_id).
_DERIVE = """
    INSERT INTO report_deals (tenant_id, deal_id, models, uniform, first_close, last_close,
        value_minor, currency)
    SELECT p.tenant_id, p.deal_id, array_agg(DISTINCT p.model ORDER BY p.model),
        min(p.value_minor) = max(p.value_minor) AND min(p.currency) = max(p.currency)
            AND min(p.conversion_at) = max(p.conversion_at),
        min(p.conversion_at), max(p.conversion_at), min(p.value_minor), min(p.currency)
    FROM report_credits p {deals}
    GROUP BY p.tenant_id, p.deal_id
"""


def _refresh(rows: str) -> str:
    """The deals of `rows` derived again (deleted, then inserted if they have credits left); in
    key order, so concurrent writers lock the rows they share in the same order."""
    touched = f"(SELECT DISTINCT tenant_id, deal_id FROM {rows} ORDER BY 1, 2)"  # noqa: S608
    derived = _DERIVE.format(
        deals=f"JOIN {touched} t ON t.tenant_id = p.tenant_id AND t.deal_id = p.deal_id"
    )
    return f"""
        DELETE FROM report_deals d USING {touched} t
        WHERE d.tenant_id = t.tenant_id AND d.deal_id = t.deal_id;
        {derived};
    """  # noqa: S608 - our own SQL constants


_FUNCTIONS = {
    "add": ("INSERT", "REFERENCING NEW TABLE AS changed", _refresh("changed")),
    "remove": ("DELETE", "REFERENCING OLD TABLE AS changed", _refresh("changed")),
    "replace": (
        "UPDATE",
        "REFERENCING OLD TABLE AS old_changed NEW TABLE AS changed",
        _refresh("old_changed") + _refresh("changed"),
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
    op.execute(_DERIVE.format(deals=""))  # the credits stored before


def downgrade() -> None:
    for name in (*_FUNCTIONS, "truncate"):
        op.execute(f"DROP TRIGGER report_credits_deals_{name} ON report_credits")
        op.execute(f"DROP FUNCTION report_deals_{name}()")
    op.drop_table("report_deals")
