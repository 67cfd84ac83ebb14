"""outbox headers as Kafka takes them (names and bytes side by side) instead of a JSON object

Revision ID: 0005_outbox_headers
Revises: 0004_outbox_retention
"""

from alembic import op

from dealflow_libs.migration_steps import (
    store_outbox_headers_as_arrays,
    store_outbox_headers_as_json,
)

revision = "0005_outbox_headers"
down_revision = "0004_outbox_retention"
branch_labels = None
depends_on = None


def upgrade() -> None:
    store_outbox_headers_as_arrays(op)


def downgrade() -> None:
    store_outbox_headers_as_json(op)
