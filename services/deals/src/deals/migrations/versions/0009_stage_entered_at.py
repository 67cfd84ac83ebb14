"""deals.stage_entered_at: when the deal entered its current stage or status (days in stage)

Existing deals take it from their latest stage history row (every row is a move: created,
stage, won, lost, cancelled, reopened), else from when they were created.

Revision ID: 0009_stage_entered_at
Revises: 0008_deal_summaries_one_lock
"""

import sqlalchemy as sa
from alembic import op

revision = "0009_stage_entered_at"
down_revision = "0008_deal_summaries_one_lock"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("deals", sa.Column("stage_entered_at", sa.DateTime(timezone=True)))
    op.execute(
        """
        UPDATE deals d SET stage_entered_at = coalesce(
            (SELECT max(h.changed_at) FROM deal_stage_history h WHERE h.deal_id = d.id),
            d.created_at
        )
        """
    )
    op.alter_column("deals", "stage_entered_at", nullable=False)


def downgrade() -> None:
    op.drop_column("deals", "stage_entered_at")
