"""the period funnel's facts on the leads row: the latest activity, booking and won close, each
with an index; meetings' attendance in their time index

Revision ID: 0016_leads_period_facts
Revises: 0015_leads_cohort_joins

The period funnel sent every lead active in its window to Python with every meeting and deal of
the window and applied the account rule per lead (0.7-21 s at 1,000,000 touches). Its window
always ends now, so a lead was active in it (touched, or booking or attending a meeting booked
in it), booked in it, or won in it (a won deal of its account closed in it) exactly when the
latest such time is in it, unless that latest time is after now (read from the rows then).
`last_active_at`, `last_booked_at` and `last_won_at` are kept with the rest of the row by the
unit of work that derives leads; each count is an index-only range of its own index. Filled
here from the rows (the bookings through meeting_attendees, the account is the row's deal_ids).
`ix_meeting_states_tenant` includes showed_up: the meetings held in a window with their
attendance are counted from the index alone.
"""

import sqlalchemy as sa
from alembic import op

revision = "0016_leads_period_facts"
down_revision = "0015_leads_cohort_joins"
branch_labels = None
depends_on = None

TIMESTAMP = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.add_column("leads", sa.Column("last_active_at", TIMESTAMP))
    op.add_column("leads", sa.Column("last_booked_at", TIMESTAMP))
    op.add_column("leads", sa.Column("last_won_at", TIMESTAMP))
    op.execute(
        """
        UPDATE leads SET
          last_booked_at = (
            SELECT max(b.booked_at) FROM meeting_attendees a
            JOIN meeting_bookings b ON b.meeting_id = a.meeting_id
            WHERE a.tenant_id = leads.tenant_id AND a.email = leads.email
          ),
          last_won_at = (
            SELECT max(d.closed_at) FROM deal_states d
            WHERE d.deal_id = ANY (leads.deal_ids) AND d.tenant_id = leads.tenant_id
              AND d.status = 'won'
          )
        """
    )
    # A lead has a touch or a booking; first_seen_at only stands in for a row that has neither
    # (check-summaries reports it).
    op.execute(
        "UPDATE leads SET last_active_at ="
        " coalesce(greatest(last_touch_at, last_booked_at), first_seen_at)"
    )
    op.alter_column("leads", "last_active_at", nullable=False)
    op.create_index("ix_leads_last_active", "leads", ["tenant_id", "last_active_at"])
    op.create_index(
        "ix_leads_last_booked",
        "leads",
        ["tenant_id", "last_booked_at"],
        postgresql_where=sa.text("last_booked_at IS NOT NULL"),
    )
    op.create_index(
        "ix_leads_last_won",
        "leads",
        ["tenant_id", "last_won_at"],
        postgresql_include=["last_active_at"],
        postgresql_where=sa.text("last_won_at IS NOT NULL"),
    )
    op.drop_index("ix_meeting_states_tenant", table_name="meeting_states")
    op.create_index(
        "ix_meeting_states_tenant",
        "meeting_states",
        ["tenant_id", "scheduled_at"],
        postgresql_include=["showed_up"],
    )


def downgrade() -> None:
    op.drop_index("ix_meeting_states_tenant", table_name="meeting_states")
    op.create_index("ix_meeting_states_tenant", "meeting_states", ["tenant_id", "scheduled_at"])
    op.drop_index("ix_leads_last_won", table_name="leads")
    op.drop_index("ix_leads_last_booked", table_name="leads")
    op.drop_index("ix_leads_last_active", table_name="leads")
    op.drop_column("leads", "last_won_at")
    op.drop_column("leads", "last_booked_at")
    op.drop_column("leads", "last_active_at")
