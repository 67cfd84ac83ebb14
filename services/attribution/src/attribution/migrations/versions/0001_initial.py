"""initial: touches, tenants copy, inbox, outbox (with its relay positions) and trail

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from dealflow_libs.migration_steps import create_platform_tables, drop_platform_tables

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_platform_tables(op, "attribution")
    op.create_table(
        "touches",
        sa.Column("tenant_id", sa.Text(), nullable=False),
        sa.Column("touch_id", sa.Text(), nullable=False),
        sa.Column("person_email", sa.Text(), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("activity_type", sa.Text(), nullable=False),
        sa.Column("explicit_channel", sa.Text(), nullable=True),
        sa.Column("channel", sa.Text(), nullable=False),
        sa.Column("channel_rule_id", sa.Text(), nullable=False),
        sa.Column("rule_version", sa.Integer(), nullable=False),
        sa.Column("utm_source", sa.Text(), nullable=True),
        sa.Column("utm_medium", sa.Text(), nullable=True),
        sa.Column("utm_campaign", sa.Text(), nullable=True),
        sa.Column("utm_content", sa.Text(), nullable=True),
        sa.Column("utm_term", sa.Text(), nullable=True),
        sa.Column("campaign_id", sa.Text(), nullable=True),
        sa.Column("external_activity_id", sa.Text(), nullable=True),
        sa.Column(
            "metadata", postgresql.JSONB(astext_type=sa.Text()), server_default="{}", nullable=False
        ),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "touch_id", name=op.f("pk_touches")),
    )
    op.create_index(
        "ix_touches_person",
        "touches",
        ["tenant_id", "person_email", "occurred_at", "touch_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_table("touches")
    drop_platform_tables(op)
