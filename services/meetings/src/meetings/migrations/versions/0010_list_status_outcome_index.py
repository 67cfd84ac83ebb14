"""ix_meetings_status_outcome: a list filtered by status and outcome is an index range in order

Revision ID: 0010_list_status_outcome_index
Revises: 0009_show_rate_days
"""

import sqlalchemy as sa
from alembic import op

revision = "0010_list_status_outcome_index"
down_revision = "0009_show_rate_days"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_meetings_status_outcome",
        "meetings",
        ["tenant_id", "status", "meeting_outcome", "scheduled_at", "id"],
        postgresql_where=sa.text("deleted_at IS NULL"),
    )


def downgrade() -> None:
    op.drop_index("ix_meetings_status_outcome", table_name="meetings")
