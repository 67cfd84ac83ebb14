"""the funnel's windows by index: touches by time (with the person), bookings by booking time,
attendees by meeting

Revision ID: 0013_funnel_windows
Revises: 0012_report_credits_by_currency

The funnel reads the people touched, and the meetings booked, in its window. Touches had no
index on occurred_at and bookings none on booked_at, so every funnel read every touch and
booking of the tenant (a sequential scan of a million touches); meeting_attendees was keyed by
person, so the people of the bookings in a window were found by hashing all the tenant's
attendees. `ix_touches_occurred` includes person_email: the window's people are an index-only
scan.
"""

from alembic import op

revision = "0013_funnel_windows"
down_revision = "0012_report_credits_by_currency"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_touches_occurred",
        "touches",
        ["tenant_id", "occurred_at"],
        postgresql_include=["person_email"],
    )
    op.create_index("ix_meeting_bookings_booked", "meeting_bookings", ["tenant_id", "booked_at"])
    op.create_index("ix_meeting_attendees_meeting", "meeting_attendees", ["meeting_id"])


def downgrade() -> None:
    op.drop_index("ix_meeting_attendees_meeting", table_name="meeting_attendees")
    op.drop_index("ix_meeting_bookings_booked", table_name="meeting_bookings")
    op.drop_index("ix_touches_occurred", table_name="touches")
