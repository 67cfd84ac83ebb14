"""report_deal_days: the deals whose current runs agree, per UTC close day and set of models

Revision ID: 0027_report_deal_days
Revises: 0026_meeting_days

The model comparison counted the deals it compares (their runs agree and cover every model it
compares) and looked for those it must leave out (some model missing) in report_deals, over
every deal of its window: over ten years 18,000 rows at 1,000,000 touches, about 13 ms, growing
with the deals. report_deal_days keeps, per tenant, UTC day of the close and set of models
(report_deals' sorted array), how many deals whose runs agree close that day with exactly those
models. Kept by statement triggers on report_deals, each statement's deltas grouped and applied
in key order, a write that moves nothing counted leaving the rows alone, a group left at zero
removed. The comparison sums its whole days from it (and reads report_deals for them only when
some deal there lacks a model), its partial days from report_deals. Filled here.
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0027_report_deal_days"
down_revision = "0026_meeting_days"
branch_labels = None
depends_on = None

_KEY = "tenant_id, day, models"


def _counted(rows: str, sign: str) -> str:
    return f"""
        SELECT tenant_id, (first_close AT TIME ZONE 'UTC')::date AS day, models, {sign}1 AS deals
        FROM {rows} WHERE uniform
    """  # noqa: S608 - our own SQL constants


def _apply(parts: str) -> str:
    return f"""
        INSERT INTO report_deal_days AS d ({_KEY}, deals)
        SELECT {_KEY}, sum(deals) FROM ({parts}) parts
        GROUP BY {_KEY} HAVING sum(deals) <> 0 ORDER BY {_KEY}
        ON CONFLICT ({_KEY}) DO UPDATE SET deals = d.deals + excluded.deals;
        DELETE FROM report_deal_days d USING (SELECT DISTINCT {_KEY} FROM ({parts}) parts) k
        WHERE d.deals = 0 AND (d.tenant_id, d.day, d.models) = (k.tenant_id, k.day, k.models);
    """  # noqa: S608 - our own SQL constants


_FUNCTIONS = {
    "add": _apply(_counted("new_rows", "")),
    "remove": _apply(_counted("old_rows", "-")),
    "replace": _apply(_counted("old_rows", "-") + " UNION ALL " + _counted("new_rows", "")),
    "truncate": "TRUNCATE report_deal_days;",
}
_EVENTS = {
    "add": "AFTER INSERT ON report_deals REFERENCING NEW TABLE AS new_rows",
    "remove": "AFTER DELETE ON report_deals REFERENCING OLD TABLE AS old_rows",
    "replace": "AFTER UPDATE ON report_deals"
    " REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows",
    "truncate": "AFTER TRUNCATE ON report_deals",
}
_FILL = f"""
    INSERT INTO report_deal_days ({_KEY}, deals)
    SELECT {_KEY}, sum(deals) FROM ({_counted("report_deals", "")}) parts GROUP BY {_KEY}
"""  # noqa: S608 - our own SQL constants


def upgrade() -> None:
    op.create_table(
        "report_deal_days",
        sa.Column("tenant_id", sa.Text(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("models", postgresql.ARRAY(sa.Text()), nullable=False),
        sa.Column("deals", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "day", "models", name=op.f("pk_report_deal_days")),
    )
    for name, body in _FUNCTIONS.items():
        op.execute(
            f"CREATE FUNCTION report_deal_days_{name}() RETURNS trigger LANGUAGE plpgsql AS $$"
            f" BEGIN {body} RETURN NULL; END $$"
        )
        op.execute(
            f"CREATE TRIGGER report_deals_days_{name} {_EVENTS[name]}"
            f" FOR EACH STATEMENT EXECUTE FUNCTION report_deal_days_{name}()"
        )
    op.execute(_FILL)


def downgrade() -> None:
    for name in _FUNCTIONS:
        op.execute(f"DROP TRIGGER report_deals_days_{name} ON report_deals")
        op.execute(f"DROP FUNCTION report_deal_days_{name}()")
    op.drop_table("report_deal_days")
