"""meeting_attributions: each meeting's journey (MeetingAttributed), behind the deals' analytics

Revision ID: 0006_meeting_attributions
Revises: 0005_trail
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0006_meeting_attributions"
down_revision = "0005_trail"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "meeting_attributions",
        sa.Column("tenant_id", sa.Text(), nullable=False),
        sa.Column("meeting_id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("touches_before_booking", sa.Integer(), nullable=False),
        sa.Column("days_to_booking", sa.Integer(), nullable=True),
        sa.Column("first_touch_channel", sa.Text(), nullable=True),
        sa.Column("converting_activity_id", sa.Text(), nullable=True),
        sa.Column("converting_channel", sa.Text(), nullable=True),
        sa.Column("booked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "meeting_id", name=op.f("pk_meeting_attributions")),
    )


def downgrade() -> None:
    op.drop_table("meeting_attributions")
