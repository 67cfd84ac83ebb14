"""meeting_bookings.cohort_seen_at and showed_up: the cohort funnel's meetings from one index

Revision ID: 0022_meeting_cohort_seen
Revises: 0021_report_deals_by_key

The cohort funnel counts a meeting when one of its people's leads (in a meeting) was first seen
in the window. It found those meetings by joining every lead of the cohort in a meeting to the
attendee rows (over ten years: 30,000 leads against 30,000 attendees, 40-70 ms of the read).
Since the window ends now, a meeting qualifies exactly when the latest first-seen of its
people's leads is in the window (unless that is after now: `cohort_meetings_query` decides
those few from the leads), so each booking keeps it, set again by the unit of work that writes
leads (a lead came, went, or changed first-seen or meetings): `db.reporting.
refresh_meeting_cohort_seen`. Each booking also carries its meeting's attendance
(`showed_up`, a copy of meeting_states', kept by triggers on both tables so every way either is
written keeps it), so the cohort's meetings with their attendance are one range of
ix_meeting_bookings_cohort, joined to nothing. Filled here for the rows there are.
"""

import sqlalchemy as sa
from alembic import op

revision = "0022_meeting_cohort_seen"
down_revision = "0021_report_deals_by_key"
branch_labels = None
depends_on = None

# Every booking's value at once (the rule of `db.reporting.refresh_meeting_cohort_seen`, which
# the funnel tests hold to the row-by-row definition).
_FILL = """
    UPDATE meeting_bookings b SET cohort_seen_at = s.seen
    FROM (SELECT a.meeting_id, max(l.first_seen_at) AS seen
          FROM meeting_attendees a
          JOIN leads l ON l.tenant_id = a.tenant_id AND l.email = a.email AND l.meetings > 0
          GROUP BY a.meeting_id) s
    WHERE b.meeting_id = s.meeting_id
"""


# The booking's attendance is its meeting state's: `{rows}` are states written (a transition
# table), joined to their bookings by key.
_COPY_ATTENDANCE = """
    UPDATE meeting_bookings b SET showed_up = n.showed_up FROM {rows} n
    WHERE b.meeting_id = n.meeting_id AND b.showed_up IS DISTINCT FROM n.showed_up;
"""
_FUNCTIONS = {
    "meeting_states_attendance": _COPY_ATTENDANCE.format(rows="new_states"),
    "meeting_states_attendance_gone": """
        UPDATE meeting_bookings b SET showed_up = NULL FROM old_states o
        WHERE b.meeting_id = o.meeting_id AND b.showed_up IS NOT NULL;
    """,
    "meeting_states_attendance_truncated": """
        UPDATE meeting_bookings SET showed_up = NULL WHERE showed_up IS NOT NULL;
    """,
    # A booking recorded after its meeting's state (events of one meeting can come apart).
    "meeting_bookings_attendance": _COPY_ATTENDANCE.format(
        rows="(SELECT s.meeting_id, s.showed_up FROM new_bookings nb"
        " JOIN meeting_states s ON s.meeting_id = nb.meeting_id)"
    ),
}
_TRIGGERS = [
    ("meeting_states_attendance_insert", "INSERT", "meeting_states",
     "REFERENCING NEW TABLE AS new_states", "meeting_states_attendance"),
    ("meeting_states_attendance_update", "UPDATE", "meeting_states",
     "REFERENCING NEW TABLE AS new_states", "meeting_states_attendance"),
    ("meeting_states_attendance_delete", "DELETE", "meeting_states",
     "REFERENCING OLD TABLE AS old_states", "meeting_states_attendance_gone"),
    ("meeting_states_attendance_truncate", "TRUNCATE", "meeting_states", "",
     "meeting_states_attendance_truncated"),
    ("meeting_bookings_attendance", "INSERT", "meeting_bookings",
     "REFERENCING NEW TABLE AS new_bookings", "meeting_bookings_attendance"),
]  # fmt: skip


def upgrade() -> None:
    op.add_column(
        "meeting_bookings",
        sa.Column("cohort_seen_at", sa.TIMESTAMP(timezone=True), nullable=True),
    )
    op.add_column("meeting_bookings", sa.Column("showed_up", sa.Boolean(), nullable=True))
    op.execute(_FILL)
    op.execute(_COPY_ATTENDANCE.format(rows="meeting_states"))
    op.create_index(
        "ix_meeting_bookings_cohort",
        "meeting_bookings",
        ["tenant_id", "cohort_seen_at"],
        postgresql_include=["showed_up"],
    )
    for name, body in _FUNCTIONS.items():
        op.execute(
            f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$"
            f" BEGIN {body} RETURN NULL; END $$"
        )
    for trigger, event, table, transition, function in _TRIGGERS:
        op.execute(
            f"CREATE TRIGGER {trigger} AFTER {event} ON {table} {transition}"
            f" FOR EACH STATEMENT EXECUTE FUNCTION {function}()"
        )


def downgrade() -> None:
    for trigger, _, table, _, _ in _TRIGGERS:
        op.execute(f"DROP TRIGGER {trigger} ON {table}")
    for name in _FUNCTIONS:
        op.execute(f"DROP FUNCTION {name}()")
    op.drop_index("ix_meeting_bookings_cohort", table_name="meeting_bookings")
    op.drop_column("meeting_bookings", "showed_up")
    op.drop_column("meeting_bookings", "cohort_seen_at")
