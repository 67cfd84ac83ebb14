"""ix_trail_tenant_subject: a meeting's trail rows by its id, to name the booking it came from

Revision ID: 0011_trail_subject_index
Revises: 0010_list_status_outcome_index
"""

from alembic import op

revision = "0011_trail_subject_index"
down_revision = "0010_list_status_outcome_index"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_trail_tenant_subject", "trail", ["tenant_id", "subject", "id"])


def downgrade() -> None:
    op.drop_index("ix_trail_tenant_subject", table_name="trail")
