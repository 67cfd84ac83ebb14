"""report_monthly: report_daily's sums per close month, for long windows

Revision ID: 0023_report_monthly
Revises: 0022_meeting_cohort_seen

A report over years summed report_daily's row per day and channel (ten years, five models in the
comparison: about 38,000 rows, 25 ms). report_monthly keeps the same sums per UTC calendar month;
a report reads the months wholly inside its window from it, the days left at either end from
report_daily and the partial days from report_credits. Kept by the same statement triggers on
report_credits as report_daily (their functions now write both), filled from report_daily.
"""

import sqlalchemy as sa
from alembic import op

from attribution.migrations.revisions import revision_module

revision = "0023_report_monthly"
down_revision = "0022_meeting_cohort_seen"
branch_labels = None
depends_on = None

_KEY = "tenant_id, model, currency, close_month, channel"
_MONTH = "date_trunc('month', conversion_at AT TIME ZONE 'UTC')::date"


def _monthly_delta(rows: str, sign: str) -> str:
    """0017's daily delta per month: adds (sign '') or subtracts (sign '-') the grouped `rows`
    in key order; a month and channel left with no deal is removed."""
    floor, inexact = revision_module("0017_report_daily_bounds.py").bounds()
    return f"""
        INSERT INTO report_monthly AS d ({_KEY}, deals, minor_units, weight_floor, weight_inexact)
        SELECT tenant_id, model, currency, {_MONTH}, channel,
            {sign}count(*), {sign}sum(minor_units), {sign}sum({floor}),
            {sign}count(*) FILTER (WHERE {inexact})
        FROM {rows} GROUP BY 1, 2, 3, 4, 5 ORDER BY 1, 2, 3, 4, 5
        ON CONFLICT ({_KEY}) DO UPDATE SET deals = d.deals + excluded.deals,
            minor_units = d.minor_units + excluded.minor_units,
            weight_floor = d.weight_floor + excluded.weight_floor,
            weight_inexact = d.weight_inexact + excluded.weight_inexact;
        DELETE FROM report_monthly d USING (
            SELECT DISTINCT tenant_id, model, currency, {_MONTH} AS close_month, channel
            FROM {rows}) k
        WHERE d.deals = 0 AND (d.tenant_id, d.model, d.currency, d.close_month, d.channel)
            = (k.tenant_id, k.model, k.currency, k.close_month, k.channel);
    """  # noqa: S608 - our own SQL constants


_MONTHLY = {
    "add": _monthly_delta("new_credits", ""),
    "remove": _monthly_delta("old_credits", "-"),
    "replace": _monthly_delta("old_credits", "-") + _monthly_delta("new_credits", ""),
}


_FILL = f"""
    INSERT INTO report_monthly ({_KEY}, deals, minor_units, weight_floor, weight_inexact)
    SELECT tenant_id, model, currency, date_trunc('month', close_day)::date, channel,
        sum(deals), sum(minor_units), sum(weight_floor), sum(weight_inexact)
    FROM report_daily GROUP BY 1, 2, 3, 4, 5
"""  # noqa: S608 - our own SQL constants


def _define(bodies: dict[str, str], truncate: str) -> None:
    for name, body in bodies.items():
        op.execute(
            f"CREATE OR REPLACE FUNCTION report_daily_{name}() RETURNS trigger LANGUAGE plpgsql"
            f" AS $$ BEGIN {body} RETURN NULL; END $$"
        )
    op.execute(
        "CREATE OR REPLACE FUNCTION report_daily_truncate() RETURNS trigger LANGUAGE plpgsql"
        f" AS $$ BEGIN {truncate} RETURN NULL; END $$"
    )


def upgrade() -> None:
    op.create_table(
        "report_monthly",
        sa.Column("tenant_id", sa.Text(), nullable=False),
        sa.Column("model", sa.Text(), nullable=False),
        sa.Column("currency", sa.Text(), nullable=False),
        sa.Column("close_month", sa.Date(), nullable=False),
        sa.Column("channel", sa.Text(), nullable=False),
        sa.Column("deals", sa.BigInteger(), nullable=False),
        sa.Column("minor_units", sa.BigInteger(), nullable=False),
        sa.Column("weight_floor", sa.Numeric(), nullable=False),
        sa.Column("weight_inexact", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint(
            "tenant_id", "model", "currency", "close_month", "channel",
            name=op.f("pk_report_monthly"),
        ),
    )  # fmt: skip
    daily = revision_module("0017_report_daily_bounds.py")._FUNCTIONS
    _define(
        {name: daily[name] + _MONTHLY[name] for name in daily},
        "TRUNCATE report_daily, report_monthly;",
    )
    op.execute(_FILL)


def downgrade() -> None:
    _define(revision_module("0017_report_daily_bounds.py")._FUNCTIONS, "TRUNCATE report_daily;")
    op.drop_table("report_monthly")
