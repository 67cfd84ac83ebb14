"""keep published outbox rows with their Kafka partition and offset (republished if the broker
loses them)

Revision ID: 0004_outbox_retention
Revises: 0003_tenant_personal_domains
"""

from alembic import op

from dealflow_libs.migration_steps import delete_published_outbox_rows, keep_published_outbox_rows

revision = "0004_outbox_retention"
down_revision = "0003_tenant_personal_domains"
branch_labels = None
depends_on = None


def upgrade() -> None:
    keep_published_outbox_rows(op)


def downgrade() -> None:
    delete_published_outbox_rows(op)
