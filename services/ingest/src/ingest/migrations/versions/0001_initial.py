"""initial

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from dealflow_libs.outbox import outbox_trigger_sql

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "delivery_keys",
        sa.Column("tenant_id", sa.Text(), nullable=False),
        sa.Column("dedupe_key", sa.Text(), nullable=False),
        sa.Column("event_id", sa.UUID(), nullable=False),
        sa.Column("raw_event_id", sa.UUID(), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "dedupe_key", name=op.f("pk_delivery_keys")),
    )
    op.create_table(
        "outbox",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("topic", sa.Text(), nullable=False),
        sa.Column("key", sa.Text(), nullable=True),
        sa.Column("headers", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("value", sa.LargeBinary(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox")),
    )
    for statement in outbox_trigger_sql("ingest"):
        op.execute(statement)
    op.create_table(
        "raw_events",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("tenant_id", sa.Text(), nullable=False),
        sa.Column("provider", sa.Text(), nullable=False),
        sa.Column("trigger", sa.Text(), nullable=False),
        sa.Column("verdict", sa.Text(), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("headers", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("body", sa.LargeBinary(), nullable=False),
        sa.Column("body_truncated", sa.Boolean(), nullable=False),
        sa.Column("dedupe_key", sa.Text(), nullable=True),
        sa.Column("event_id", sa.UUID(), nullable=True),
        sa.Column("replay_of", sa.UUID(), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_raw_events")),
    )
    op.create_index("ix_raw_events_event_id", "raw_events", ["event_id"], unique=False)
    op.create_index(
        "ix_raw_events_tenant_received",
        "raw_events",
        ["tenant_id", "received_at", "id"],
        unique=False,
    )
    op.create_table(
        "tenants",
        sa.Column("tenant_id", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("calcom_secrets", sa.ARRAY(sa.Text()), nullable=False),
        sa.Column("calendly_secrets", sa.ARRAY(sa.Text()), nullable=False),
        sa.Column("api_key_hashes", sa.ARRAY(sa.Text()), nullable=False),
        sa.Column("default_currency", sa.Text(), nullable=False),
        sa.Column("disabled", sa.Boolean(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("tenant_id", name=op.f("pk_tenants")),
    )


def downgrade() -> None:
    op.drop_table("tenants")
    op.drop_index("ix_raw_events_tenant_received", table_name="raw_events")
    op.drop_index("ix_raw_events_event_id", table_name="raw_events")
    op.drop_table("raw_events")
    op.drop_table("outbox")
    op.execute("DROP FUNCTION IF EXISTS outbox_notify()")
    op.drop_table("delivery_keys")
