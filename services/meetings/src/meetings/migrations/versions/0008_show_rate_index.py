"""ix_meetings_show_rate: show-rate counts over a window as an index-only scan

Revision ID: 0008_show_rate_index
Revises: 0007_notification_sent_at
"""

import sqlalchemy as sa
from alembic import op

revision = "0008_show_rate_index"
down_revision = "0007_notification_sent_at"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_meetings_show_rate",
        "meetings",
        ["tenant_id", "scheduled_at"],
        postgresql_include=[
            "status",
            "showed_up",
            "confirmed",
            "reminder_sent",
            "rescheduled_count",
        ],
        postgresql_where=sa.text("deleted_at IS NULL"),
    )


def downgrade() -> None:
    op.drop_index("ix_meetings_show_rate", table_name="meetings")
