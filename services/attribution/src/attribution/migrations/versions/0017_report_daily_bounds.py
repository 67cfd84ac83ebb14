"""report_daily per close day and channel, credited deals as fixed-point bounds

Revision ID: 0017_report_daily_bounds
Revises: 0016_leads_period_facts

0011 kept one row per weight denominator so a report could sum credited deals exactly. Under
time_decay and markov nearly every deal has its own denominator: the rollup held a row per deal
and channel, and a year's report added 10,000 fractions of ever longer digits (1 s; ten years
timed out). Reports now show credited deals rounded (`domain.credit_bounds`), which needs only
Σ floor(weight * 10^18) and how many weights were not exact at that scale; so one row per day and
channel. SCALE here is `attribution.domain.credit_bounds.SCALE` (tests compare the two).
"""

from types import ModuleType

import sqlalchemy as sa
from alembic import op

from attribution.migrations.revisions import revision_module

revision = "0017_report_daily_bounds"
down_revision = "0016_leads_period_facts"
branch_labels = None
depends_on = None

SCALE = 10**18
_KEY = "tenant_id, model, currency, close_day, channel"
_FLOOR = f"div(weight_num * {SCALE}, weight_den)"
_INEXACT = f"mod(weight_num * {SCALE}, weight_den) <> 0"


def bounds() -> tuple[str, str]:
    """A credit's floor(weight * SCALE) and whether it is inexact, as SQL (later revisions'
    rollups sum the same)."""
    return _FLOOR, _INEXACT


def _delta(rows: str, sign: str) -> str:
    """Adds (sign '') or subtracts (sign '-') the grouped `rows`; in key order, so concurrent
    writers lock the rows they share in the same order. A group left with no deal is removed."""
    return f"""
        INSERT INTO report_daily AS d ({_KEY}, deals, minor_units, weight_floor, weight_inexact)
        SELECT tenant_id, model, currency, (conversion_at AT TIME ZONE 'UTC')::date, channel,
            {sign}count(*), {sign}sum(minor_units), {sign}sum({_FLOOR}),
            {sign}count(*) FILTER (WHERE {_INEXACT})
        FROM {rows} GROUP BY 1, 2, 3, 4, 5 ORDER BY 1, 2, 3, 4, 5
        ON CONFLICT ({_KEY}) DO UPDATE SET deals = d.deals + excluded.deals,
            minor_units = d.minor_units + excluded.minor_units,
            weight_floor = d.weight_floor + excluded.weight_floor,
            weight_inexact = d.weight_inexact + excluded.weight_inexact;
        DELETE FROM report_daily d USING (
            SELECT DISTINCT tenant_id, model, currency, (conversion_at AT TIME ZONE 'UTC')::date
                AS close_day, channel FROM {rows}) k
        WHERE d.deals = 0 AND (d.tenant_id, d.model, d.currency, d.close_day, d.channel)
            = (k.tenant_id, k.model, k.currency, k.close_day, k.channel);
    """  # noqa: S608 - our own SQL constants


_ADD_ALL = f"""
    INSERT INTO report_daily ({_KEY}, deals, minor_units, weight_floor, weight_inexact)
    SELECT tenant_id, model, currency, (conversion_at AT TIME ZONE 'UTC')::date, channel,
        count(*), sum(minor_units), sum({_FLOOR}), count(*) FILTER (WHERE {_INEXACT})
    FROM report_credits GROUP BY 1, 2, 3, 4, 5
"""  # noqa: S608 - our own SQL constants

_FUNCTIONS = {
    "add": _delta("new_credits", ""),
    "remove": _delta("old_credits", "-"),
    "replace": _delta("old_credits", "-") + _delta("new_credits", ""),
}


def _revision_0011() -> ModuleType:
    """0011's module: its downgrade drops the rollup with its triggers, its upgrade makes them
    as they were (this revision's downgrade)."""
    return revision_module("0011_report_daily.py")


def upgrade() -> None:
    _revision_0011().downgrade()
    op.create_table(
        "report_daily",
        sa.Column("tenant_id", sa.Text(), nullable=False),
        sa.Column("model", sa.Text(), nullable=False),
        sa.Column("currency", sa.Text(), nullable=False),
        sa.Column("close_day", sa.Date(), nullable=False),
        sa.Column("channel", sa.Text(), nullable=False),
        sa.Column("deals", sa.BigInteger(), nullable=False),
        sa.Column("minor_units", sa.BigInteger(), nullable=False),
        sa.Column("weight_floor", sa.Numeric(), nullable=False),
        sa.Column("weight_inexact", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint(
            "tenant_id", "model", "currency", "close_day", "channel", name=op.f("pk_report_daily")
        ),
    )
    for name, body in _FUNCTIONS.items():
        op.execute(
            f"CREATE FUNCTION report_daily_{name}() RETURNS trigger LANGUAGE plpgsql AS $$"
            f" BEGIN {body} RETURN NULL; END $$"
        )
    op.execute(
        "CREATE FUNCTION report_daily_truncate() RETURNS trigger LANGUAGE plpgsql AS $$"
        " BEGIN TRUNCATE report_daily; RETURN NULL; END $$"
    )
    for statement in (
        "CREATE TRIGGER report_credits_daily_add AFTER INSERT ON report_credits"
        " REFERENCING NEW TABLE AS new_credits FOR EACH STATEMENT"
        " EXECUTE FUNCTION report_daily_add()",
        "CREATE TRIGGER report_credits_daily_remove AFTER DELETE ON report_credits"
        " REFERENCING OLD TABLE AS old_credits FOR EACH STATEMENT"
        " EXECUTE FUNCTION report_daily_remove()",
        "CREATE TRIGGER report_credits_daily_replace AFTER UPDATE ON report_credits"
        " REFERENCING OLD TABLE AS old_credits NEW TABLE AS new_credits FOR EACH STATEMENT"
        " EXECUTE FUNCTION report_daily_replace()",
        "CREATE TRIGGER report_credits_daily_truncate AFTER TRUNCATE ON report_credits"
        " FOR EACH STATEMENT EXECUTE FUNCTION report_daily_truncate()",
    ):
        op.execute(statement)
    op.execute(_ADD_ALL)  # the credits stored before


def downgrade() -> None:
    revision_0011 = _revision_0011()
    revision_0011.downgrade()  # the same names: drops this revision's triggers and table
    revision_0011.upgrade()
