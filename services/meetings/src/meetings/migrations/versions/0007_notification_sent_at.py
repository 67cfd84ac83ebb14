"""notification_sent_at on meetings (the latest NotificationSent), and the time of one parked by
meeting id until its meeting is stored

Revision ID: 0007_notification_sent_at
Revises: 0006_attribution
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0007_notification_sent_at"
down_revision = "0006_attribution"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "meetings", sa.Column("notification_sent_at", sa.DateTime(timezone=True), nullable=True)
    )
    op.create_table(
        "pending_notifications",
        sa.Column("tenant_id", sa.Text(), nullable=False),
        sa.Column("meeting_id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("event_id", sa.Text(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "meeting_id", name=op.f("pk_pending_notifications")),
    )


def downgrade() -> None:
    op.drop_table("pending_notifications")
    op.drop_column("meetings", "notification_sent_at")
