"""deal_days: the period funnel's deals per UTC day and currency

Revision ID: 0025_deal_days
Revises: 0024_lead_days

The period funnel counted the deals created or closed in its window from their rows: over ten
years every deal of the tenant (18,000 rows at 1,000,000 touches, about 17 ms, growing with the
deals). deal_days keeps per tenant, UTC day and currency: the deals created that day (those not
cancelled, and their value) and those closed that day by their current status (won with their
value, lost). Kept by statement triggers on deal_states (every write path: the unit of work's
upsert, a rebuild, COPY), each statement's deltas grouped, applied in key order, and a group
whose deltas cancel out (a write that moved nothing the funnel counts, such as the cohort fact)
left untouched; a group left at zero is removed. A window sums its whole days from it in the
report's currency; the deals in other currencies, whose values convert one by one, are read from
two indexes by currency (added here), and the partial days from the rows. Filled here.
"""

import sqlalchemy as sa
from alembic import op

revision = "0025_deal_days"
down_revision = "0024_lead_days"
branch_labels = None
depends_on = None

_KEY = "tenant_id, day, currency"
_FIGURES = ("created", "live", "live_value", "won", "won_value", "lost")


def _counted(rows: str, sign: str) -> str:
    """Each row of `rows` as its created-day part and its closed-day part, times `sign`."""
    live = "status <> 'cancelled'"
    return f"""
        SELECT tenant_id, (created_at AT TIME ZONE 'UTC')::date AS day, currency,
            {sign}1 AS created, {sign}({live})::int AS live,
            {sign}CASE WHEN {live} THEN coalesce(value, 0) ELSE 0 END AS live_value,
            0 AS won, 0 AS won_value, 0 AS lost
        FROM {rows}
        UNION ALL
        SELECT tenant_id, (closed_at AT TIME ZONE 'UTC')::date, currency, 0, 0, 0,
            {sign}(status = 'won')::int,
            {sign}CASE WHEN status = 'won' THEN coalesce(value, 0) ELSE 0 END,
            {sign}(status = 'lost')::int
        FROM {rows} WHERE closed_at IS NOT NULL
    """  # noqa: S608 - our own SQL constants


def _apply(parts: str) -> str:
    sums = ", ".join(f"sum({f})" for f in _FIGURES)
    moved = " OR ".join(f"sum({f}) <> 0" for f in _FIGURES)
    updates = ", ".join(f"{f} = d.{f} + excluded.{f}" for f in _FIGURES)
    zero = " AND ".join(f"d.{f} = 0" for f in _FIGURES)
    return f"""
        INSERT INTO deal_days AS d ({_KEY}, {", ".join(_FIGURES)})
        SELECT {_KEY}, {sums} FROM ({parts}) parts
        GROUP BY {_KEY} HAVING {moved} ORDER BY {_KEY}
        ON CONFLICT ({_KEY}) DO UPDATE SET {updates};
        DELETE FROM deal_days d USING (SELECT DISTINCT {_KEY} FROM ({parts}) parts) k
        WHERE {zero} AND (d.tenant_id, d.day, d.currency) = (k.tenant_id, k.day, k.currency);
    """  # noqa: S608 - our own SQL constants


_FUNCTIONS = {
    "add": _apply(_counted("new_states", "")),
    "remove": _apply(_counted("old_states", "-")),
    "replace": _apply(_counted("old_states", "-") + " UNION ALL " + _counted("new_states", "")),
}
_FILL = f"""
    INSERT INTO deal_days ({_KEY}, {", ".join(_FIGURES)})
    SELECT {_KEY}, {", ".join(f"sum({f})" for f in _FIGURES)}
    FROM ({_counted("deal_states", "")}) parts
    GROUP BY {_KEY} HAVING {" OR ".join(f"sum({f}) <> 0" for f in _FIGURES)}
"""  # noqa: S608 - our own SQL constants
_TRIGGERS = {
    "add": "AFTER INSERT ON deal_states REFERENCING NEW TABLE AS new_states",
    "remove": "AFTER DELETE ON deal_states REFERENCING OLD TABLE AS old_states",
    "replace": "AFTER UPDATE ON deal_states"
    " REFERENCING OLD TABLE AS old_states NEW TABLE AS new_states",
}


def upgrade() -> None:
    op.create_table(
        "deal_days",
        sa.Column("tenant_id", sa.Text(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("currency", sa.Text(), nullable=False),
        *(sa.Column(f, sa.BigInteger(), nullable=False) for f in ("created", "live")),
        sa.Column("live_value", sa.Numeric(), nullable=False),
        sa.Column("won", sa.BigInteger(), nullable=False),
        sa.Column("won_value", sa.Numeric(), nullable=False),
        sa.Column("lost", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "day", "currency", name=op.f("pk_deal_days")),
    )
    for name, body in _FUNCTIONS.items():
        op.execute(
            f"CREATE FUNCTION deal_days_{name}() RETURNS trigger LANGUAGE plpgsql AS $$"
            f" BEGIN {body} RETURN NULL; END $$"
        )
        op.execute(
            f"CREATE TRIGGER deal_states_days_{name} {_TRIGGERS[name]}"
            f" FOR EACH STATEMENT EXECUTE FUNCTION deal_days_{name}()"
        )
    op.execute(
        "CREATE FUNCTION deal_days_truncate() RETURNS trigger LANGUAGE plpgsql AS $$"
        " BEGIN TRUNCATE deal_days; RETURN NULL; END $$"
    )
    op.execute(
        "CREATE TRIGGER deal_states_days_truncate AFTER TRUNCATE ON deal_states"
        " FOR EACH STATEMENT EXECUTE FUNCTION deal_days_truncate()"
    )
    op.execute(_FILL)
    op.create_index(
        "ix_deal_states_currency_created", "deal_states", ["tenant_id", "currency", "created_at"]
    )
    op.create_index(
        "ix_deal_states_currency_closed", "deal_states", ["tenant_id", "currency", "closed_at"]
    )


def downgrade() -> None:
    op.drop_index("ix_deal_states_currency_closed", table_name="deal_states")
    op.drop_index("ix_deal_states_currency_created", table_name="deal_states")
    for name in (*_FUNCTIONS, "truncate"):
        op.execute(f"DROP TRIGGER deal_states_days_{name} ON deal_states")
        op.execute(f"DROP FUNCTION deal_days_{name}()")
    op.drop_table("deal_days")
