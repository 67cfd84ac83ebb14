"""trail: what this service consumed and published, by booking correlation id

Revision ID: 0005_trail
Revises: 0004_outbox_headers
"""

from alembic import op

from dealflow_libs.trail import create_trail_table

revision = "0005_trail"
down_revision = "0004_outbox_headers"
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_trail_table(op)


def downgrade() -> None:
    op.drop_table("trail")
