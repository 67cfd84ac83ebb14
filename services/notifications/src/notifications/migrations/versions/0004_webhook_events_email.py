"""webhook_events by (tenant, email id): a delivery event that arrived before its send was
written is found when the send is

Revision ID: 0004
Revises: 0003
"""

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_webhook_events_email", "webhook_events", ["tenant_id", "email_id"])


def downgrade() -> None:
    op.drop_index("ix_webhook_events_email", table_name="webhook_events")
