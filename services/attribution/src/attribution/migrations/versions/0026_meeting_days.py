"""meeting_days: the period funnel's meetings per UTC day

Revision ID: 0026_meeting_days
Revises: 0025_deal_days

The period funnel counted the meetings booked in its window and those held in it with their
attendance from their rows: over ten years every booking and meeting state of the tenant.
meeting_days keeps per tenant and UTC day the meetings booked that day (meeting_bookings by
booked_at) and, of the meeting states with a scheduled time and an attendance, those scheduled
that day that showed up or not. Kept by statement triggers on both tables (every write path),
each statement's deltas grouped and applied in key order, a write that moves nothing counted
(the cohort fact, the attendance copy) leaving the rows alone, a day left at zero removed. The
few states without a scheduled time (held at their booking) are still counted from the rows.
Filled here.
"""

import sqlalchemy as sa
from alembic import op

revision = "0026_meeting_days"
down_revision = "0025_deal_days"
branch_labels = None
depends_on = None

_KEY = "tenant_id, day"
_FIGURES = ("booked", "showed", "no_show")


def _booked(rows: str, sign: str) -> str:
    return f"""
        SELECT tenant_id, (booked_at AT TIME ZONE 'UTC')::date AS day,
            {sign}1 AS booked, 0 AS showed, 0 AS no_show
        FROM {rows}
    """  # noqa: S608 - our own SQL constants


def _held(rows: str, sign: str) -> str:
    return f"""
        SELECT tenant_id, (scheduled_at AT TIME ZONE 'UTC')::date AS day, 0 AS booked,
            {sign}(showed_up)::int AS showed, {sign}(NOT showed_up)::int AS no_show
        FROM {rows} WHERE scheduled_at IS NOT NULL AND showed_up IS NOT NULL
    """  # noqa: S608 - our own SQL constants


def _apply(parts: str) -> str:
    sums = ", ".join(f"sum({f})" for f in _FIGURES)
    moved = " OR ".join(f"sum({f}) <> 0" for f in _FIGURES)
    updates = ", ".join(f"{f} = d.{f} + excluded.{f}" for f in _FIGURES)
    zero = " AND ".join(f"d.{f} = 0" for f in _FIGURES)
    return f"""
        INSERT INTO meeting_days AS d ({_KEY}, {", ".join(_FIGURES)})
        SELECT {_KEY}, {sums} FROM ({parts}) parts
        GROUP BY {_KEY} HAVING {moved} ORDER BY {_KEY}
        ON CONFLICT ({_KEY}) DO UPDATE SET {updates};
        DELETE FROM meeting_days d USING (SELECT DISTINCT {_KEY} FROM ({parts}) parts) k
        WHERE {zero} AND (d.tenant_id, d.day) = (k.tenant_id, k.day);
    """  # noqa: S608 - our own SQL constants


def _functions(table: str) -> dict[str, str]:
    part = _booked if table == "bookings" else _held
    return {
        "add": _apply(part("new_rows", "")),
        "remove": _apply(part("old_rows", "-")),
        "replace": _apply(part("old_rows", "-") + " UNION ALL " + part("new_rows", "")),
    }


_TABLES = {"bookings": "meeting_bookings", "states": "meeting_states"}
# A table emptied takes its figures with it.
_EMPTIED = {
    "bookings": "UPDATE meeting_days SET booked = 0;"
    " DELETE FROM meeting_days WHERE booked = 0 AND showed = 0 AND no_show = 0;",
    "states": "UPDATE meeting_days SET showed = 0, no_show = 0;"
    " DELETE FROM meeting_days WHERE booked = 0 AND showed = 0 AND no_show = 0;",
}
_EVENTS = {
    "add": "AFTER INSERT ON {table} REFERENCING NEW TABLE AS new_rows",
    "remove": "AFTER DELETE ON {table} REFERENCING OLD TABLE AS old_rows",
    "replace": "AFTER UPDATE ON {table} REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows",
}
_FILL = f"""
    INSERT INTO meeting_days ({_KEY}, {", ".join(_FIGURES)})
    SELECT {_KEY}, {", ".join(f"sum({f})" for f in _FIGURES)}
    FROM ({_booked("meeting_bookings", "")} UNION ALL {_held("meeting_states", "")}) parts
    GROUP BY {_KEY} HAVING {" OR ".join(f"sum({f}) <> 0" for f in _FIGURES)}
"""  # noqa: S608 - our own SQL constants


def upgrade() -> None:
    op.create_table(
        "meeting_days",
        sa.Column("tenant_id", sa.Text(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        *(sa.Column(f, sa.BigInteger(), nullable=False) for f in _FIGURES),
        sa.PrimaryKeyConstraint("tenant_id", "day", name=op.f("pk_meeting_days")),
    )
    for short, table in _TABLES.items():
        for name, body in _functions(short).items():
            function = f"meeting_days_{short}_{name}"
            op.execute(
                f"CREATE FUNCTION {function}() RETURNS trigger LANGUAGE plpgsql AS $$"
                f" BEGIN {body} RETURN NULL; END $$"
            )
            op.execute(
                f"CREATE TRIGGER {table}_days_{name} {_EVENTS[name].format(table=table)}"
                f" FOR EACH STATEMENT EXECUTE FUNCTION {function}()"
            )
        op.execute(
            f"CREATE FUNCTION meeting_days_{short}_truncate() RETURNS trigger LANGUAGE plpgsql"
            f" AS $$ BEGIN {_EMPTIED[short]} RETURN NULL; END $$"
        )
        op.execute(
            f"CREATE TRIGGER {table}_days_truncate AFTER TRUNCATE ON {table}"
            f" FOR EACH STATEMENT EXECUTE FUNCTION meeting_days_{short}_truncate()"
        )
    op.execute(_FILL)


def downgrade() -> None:
    for short, table in _TABLES.items():
        for name in (*_EVENTS, "truncate"):
            op.execute(f"DROP TRIGGER {table}_days_{name} ON {table}")
            op.execute(f"DROP FUNCTION meeting_days_{short}_{name}()")
    op.drop_table("meeting_days")
