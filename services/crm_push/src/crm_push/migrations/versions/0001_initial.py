"""initial: connections, pushes, the push log, external ids, applied versions (+ platform tables)

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
    create_platform_tables(op, "crm_push")
    op.create_table(
        "applied_versions",
        sa.Column("tenant_id", sa.Text(), nullable=False),
        sa.Column("target", sa.Text(), nullable=False),
        sa.Column("entity_id", sa.UUID(), nullable=False),
        sa.Column("version", sa.DateTime(timezone=True), nullable=False),
        sa.Column("push_id", sa.UUID(), nullable=False),
        sa.PrimaryKeyConstraint(
            "tenant_id", "target", "entity_id", name=op.f("pk_applied_versions")
        ),
    )
    op.create_table(
        "connections",
        sa.Column("tenant_id", sa.Text(), nullable=False),
        sa.Column("target", sa.Text(), nullable=False, comment="crm | notion"),
        sa.Column("provider", sa.Text(), nullable=False),
        sa.Column("status", sa.Text(), nullable=False, comment="connected | error | disconnected"),
        sa.Column("status_reason", sa.Text(), nullable=True),
        sa.Column(
            "credentials",
            sa.Text(),
            nullable=True,
            comment="JSON of the credentials, sealed with dealflow_libs.secretbox (tenant, target)",
        ),
        sa.Column("token_expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "account_id",
            sa.Text(),
            nullable=True,
            comment="HubSpot portal, Close organization, Notion database",
        ),
        sa.Column(
            "config",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=False,
        ),
        sa.Column(
            "lease_owner",
            sa.Text(),
            nullable=True,
            comment="The worker running this connection's pushes",
        ),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("connected_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "target", name=op.f("pk_connections")),
    )
    op.create_table(
        "external_ids",
        sa.Column("tenant_id", sa.Text(), nullable=False),
        sa.Column("provider", sa.Text(), nullable=False),
        sa.Column("entity", sa.Text(), nullable=False, comment="contact | deal | meeting"),
        sa.Column("local_key", sa.Text(), nullable=False, comment="email, deal id or meeting id"),
        sa.Column("external_id", sa.Text(), nullable=False),
        sa.Column(
            "parent_id",
            sa.Text(),
            nullable=True,
            comment="The contact's company / organization / lead",
        ),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint(
            "tenant_id", "provider", "entity", "local_key", name=op.f("pk_external_ids")
        ),
    )
    op.create_table(
        "push_calls",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("push_id", sa.UUID(), nullable=False),
        sa.Column("tenant_id", sa.Text(), nullable=False),
        sa.Column("provider", sa.Text(), nullable=False),
        sa.Column("meeting_id", sa.UUID(), nullable=True),
        sa.Column("deal_id", sa.UUID(), nullable=True),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("operation", sa.Text(), nullable=False),
        sa.Column("method", sa.Text(), nullable=False),
        sa.Column("path", sa.Text(), nullable=False),
        sa.Column("request_body", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column(
            "status", sa.Integer(), nullable=True, comment="HTTP status; null when no answer came"
        ),
        sa.Column("response_body", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("error_code", sa.Text(), nullable=True),
        sa.Column("error_message", sa.Text(), nullable=True),
        sa.Column("duration_ms", sa.Integer(), nullable=False),
        sa.Column("crm_id", sa.Text(), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_push_calls")),
    )
    op.create_index(op.f("ix_push_calls_push_id"), "push_calls", ["push_id"], unique=False)
    op.create_index("ix_push_calls_tenant_id", "push_calls", ["tenant_id", "id"], unique=False)
    op.create_table(
        "pushes",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("seq", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("tenant_id", sa.Text(), nullable=False),
        sa.Column("target", sa.Text(), nullable=False),
        sa.Column("provider", sa.Text(), nullable=True),
        sa.Column("entity", sa.Text(), nullable=False, comment="meeting | deal"),
        sa.Column("entity_id", sa.UUID(), nullable=False),
        sa.Column("meeting_id", sa.UUID(), nullable=True),
        sa.Column("deal_id", sa.UUID(), nullable=True),
        sa.Column("source_event_id", sa.Text(), nullable=False),
        sa.Column("source_event_type", sa.Text(), nullable=False),
        sa.Column("operation", sa.Text(), nullable=False),
        sa.Column(
            "correlation_id",
            sa.Text(),
            nullable=True,
            comment="The source event's trail, for the result event",
        ),
        sa.Column("traceparent", sa.Text(), nullable=True),
        sa.Column(
            "payload",
            postgresql.JSONB(astext_type=sa.Text()),
            nullable=False,
            comment="The event body the push applies",
        ),
        sa.Column("version", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "status", sa.Text(), nullable=False, comment="pending|running|succeeded|skipped|parked"
        ),
        sa.Column("attempts", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recover", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("error_code", sa.Text(), nullable=True),
        sa.Column("crm_contact_id", sa.Text(), nullable=True),
        sa.Column("crm_org_id", sa.Text(), nullable=True),
        sa.Column("crm_deal_id", sa.Text(), nullable=True),
        sa.Column("crm_activity_id", sa.Text(), nullable=True),
        sa.Column("notion_page_id", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pushes")),
        sa.UniqueConstraint("seq", name=op.f("uq_pushes_seq")),
    )
    op.create_index(
        "ix_pushes_due",
        "pushes",
        ["tenant_id", "target", "seq"],
        unique=False,
        postgresql_where=sa.text("status IN ('pending', 'running')"),
    )
    op.create_index(
        "ix_pushes_entity_seq", "pushes", ["tenant_id", "target", "entity_id", "seq"], unique=False
    )
    op.create_index(
        "ix_pushes_tenant_created", "pushes", ["tenant_id", "created_at", "id"], unique=False
    )


def downgrade() -> None:
    for table in ("applied_versions", "external_ids", "push_calls", "pushes", "connections"):
        op.drop_table(table)
    drop_platform_tables(op)
