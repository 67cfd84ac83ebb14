"""attribution analytics on meetings: first_touch_channel, and MeetingAttributed parked until its
meeting is stored

Revision ID: 0006_attribution
Revises: 0005_trail
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0006_attribution"
down_revision = "0005_trail"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("meetings", sa.Column("first_touch_channel", sa.Text(), nullable=True))
    op.create_table(
        "pending_attributions",
        sa.Column("tenant_id", sa.Text(), nullable=False),
        sa.Column("meeting_id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("event_id", sa.Text(), nullable=False),
        sa.Column("payload", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "meeting_id", name=op.f("pk_pending_attributions")),
    )


def downgrade() -> None:
    op.drop_table("pending_attributions")
    op.drop_column("meetings", "first_touch_channel")
