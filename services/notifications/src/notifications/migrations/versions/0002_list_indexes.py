"""list indexes: sends by status are an index range, newest first; by recipient a GIN lookup

Revision ID: 0002
Revises: 0001
"""

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_sends_tenant_status", "sends", ["tenant_id", "status", "created_at", "id"])
    op.create_index("ix_sends_recipients", "sends", ["recipients"], postgresql_using="gin")


def downgrade() -> None:
    op.drop_index("ix_sends_recipients", table_name="sends")
    op.drop_index("ix_sends_tenant_status", table_name="sends")
