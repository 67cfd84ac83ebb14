"""report_daily: report_credits summed per close day, currency, channel and weight denominator

Revision ID: 0011_report_daily
Revises: 0010_meeting_attendees

The channel report summed a row per deal and channel of report_credits (265 ms p50 at 100,000
won deals). Summed per UTC close day it reads a few thousand rows for the days wholly inside its
window. Triggers on report_credits keep it (a delta per statement: +1 for new rows, -1 for old
ones), so every path that changes report_credits (its own triggers on runs and voids, a rebuild's
truncate) changes it in the same transaction. Sums stay exact: credits are grouped by their
weight's denominator, as the report sums them.
"""

import sqlalchemy as sa
from alembic import op

revision = "0011_report_daily"
down_revision = "0010_meeting_attendees"
branch_labels = None
depends_on = None

_KEY = "tenant_id, model, currency, close_day, channel, weight_den"


def _delta(rows: str, sign: str) -> str:
    """Adds (sign '') or subtracts (sign '-') the grouped `rows`; in key order, so concurrent
    writers lock the rows they share in the same order. A group left with no deal is removed."""
    return f"""
        INSERT INTO report_daily AS d ({_KEY}, deals, minor_units, weight_num)
        SELECT tenant_id, model, currency, (conversion_at AT TIME ZONE 'UTC')::date, channel,
            weight_den, {sign}count(*), {sign}sum(minor_units), {sign}sum(weight_num)
        FROM {rows} GROUP BY 1, 2, 3, 4, 5, 6 ORDER BY 1, 2, 3, 4, 5, 6
        ON CONFLICT ({_KEY}) DO UPDATE SET deals = d.deals + excluded.deals,
            minor_units = d.minor_units + excluded.minor_units,
            weight_num = d.weight_num + excluded.weight_num;
        DELETE FROM report_daily d USING (
            SELECT DISTINCT tenant_id, model, currency, (conversion_at AT TIME ZONE 'UTC')::date
                AS close_day, channel, weight_den FROM {rows}) k
        WHERE d.deals = 0 AND (d.tenant_id, d.model, d.currency, d.close_day, d.channel,
            d.weight_den) = (k.tenant_id, k.model, k.currency, k.close_day, k.channel,
            k.weight_den);
    """  # noqa: S608 - our own SQL constants


_ADD_ALL = f"""
    INSERT INTO report_daily ({_KEY}, deals, minor_units, weight_num)
    SELECT tenant_id, model, currency, (conversion_at AT TIME ZONE 'UTC')::date, channel,
        weight_den, count(*), sum(minor_units), sum(weight_num)
    FROM report_credits GROUP BY 1, 2, 3, 4, 5, 6
"""  # noqa: S608 - our own SQL constants

TRIGGERS = [
    f"""
    CREATE FUNCTION report_daily_add() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN {_delta("new_credits", "")} RETURN NULL; END $$
    """,
    """
    CREATE TRIGGER report_credits_daily_add AFTER INSERT ON report_credits
    REFERENCING NEW TABLE AS new_credits FOR EACH STATEMENT EXECUTE FUNCTION report_daily_add()
    """,
    f"""
    CREATE FUNCTION report_daily_remove() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN {_delta("old_credits", "-")} RETURN NULL; END $$
    """,
    """
    CREATE TRIGGER report_credits_daily_remove AFTER DELETE ON report_credits
    REFERENCING OLD TABLE AS old_credits FOR EACH STATEMENT
    EXECUTE FUNCTION report_daily_remove()
    """,
    # Nothing updates report_credits today; if something does, the old rows out, the new in.
    f"""
    CREATE FUNCTION report_daily_replace() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN {_delta("old_credits", "-")} {_delta("new_credits", "")} RETURN NULL; END $$
    """,
    """
    CREATE TRIGGER report_credits_daily_replace AFTER UPDATE ON report_credits
    REFERENCING OLD TABLE AS old_credits NEW TABLE AS new_credits FOR EACH STATEMENT
    EXECUTE FUNCTION report_daily_replace()
    """,
    """
    CREATE FUNCTION report_daily_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN TRUNCATE report_daily; RETURN NULL; END $$
    """,
    """
    CREATE TRIGGER report_credits_daily_truncate AFTER TRUNCATE ON report_credits
    FOR EACH STATEMENT EXECUTE FUNCTION report_daily_truncate()
    """,
]


def upgrade() -> None:
    op.create_table(
        "report_daily",
        sa.Column("tenant_id", sa.Text(), nullable=False),
        sa.Column("model", sa.Text(), nullable=False),
        sa.Column("currency", sa.Text(), nullable=False),
        sa.Column("close_day", sa.Date(), nullable=False),
        sa.Column("channel", sa.Text(), nullable=False),
        sa.Column("weight_den", sa.Numeric(), nullable=False),
        sa.Column("deals", sa.BigInteger(), nullable=False),
        sa.Column("minor_units", sa.BigInteger(), nullable=False),
        sa.Column("weight_num", sa.Numeric(), nullable=False),
        sa.PrimaryKeyConstraint(
            "tenant_id",
            "model",
            "currency",
            "close_day",
            "channel",
            "weight_den",
            name=op.f("pk_report_daily"),
        ),
    )
    for statement in TRIGGERS:
        op.execute(statement)
    op.execute(_ADD_ALL)  # the credits stored before


def downgrade() -> None:
    for trigger in ("truncate", "replace", "remove", "add"):
        op.execute(f"DROP TRIGGER report_credits_daily_{trigger} ON report_credits")
        op.execute(f"DROP FUNCTION report_daily_{trigger}()")
    op.drop_table("report_daily")
