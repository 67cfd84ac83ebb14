"""meeting_bookings: each booked meeting once, with its attendees and booking time

Revision ID: 0002_meeting_bookings
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0002_meeting_bookings"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "meeting_bookings",
        sa.Column("meeting_id", sa.UUID(), nullable=False),
        sa.Column("tenant_id", sa.Text(), nullable=False),
        sa.Column("person_email", sa.Text(), nullable=False),
        sa.Column(
            "attendee_emails", postgresql.ARRAY(sa.Text()), server_default="{}", nullable=False
        ),
        sa.Column("company_domain", sa.Text(), nullable=True),
        sa.Column("booked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("touch_id", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("meeting_id", name=op.f("pk_meeting_bookings")),
    )
    op.create_index(
        "ix_meeting_bookings_company",
        "meeting_bookings",
        ["tenant_id", "company_domain"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_meeting_bookings_company", table_name="meeting_bookings")
    op.drop_table("meeting_bookings")
