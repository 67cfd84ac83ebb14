"""ix_meetings_outcome_type: a list filtered by outcome and type is an index range in order

Revision ID: 0012_list_outcome_type_index
Revises: 0011_trail_subject_index
"""

import sqlalchemy as sa
from alembic import op

revision = "0012_list_outcome_type_index"
down_revision = "0011_trail_subject_index"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_meetings_outcome_type",
        "meetings",
        ["tenant_id", "meeting_outcome", "meeting_type", "scheduled_at", "id"],
        postgresql_where=sa.text("deleted_at IS NULL AND meeting_outcome <> 'pending'"),
    )


def downgrade() -> None:
    op.drop_index("ix_meetings_outcome_type", table_name="meetings")
