"""initial: sends and their attempts, meeting states, tenant settings, suppressions, provider
webhooks (+ platform tables)

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
    create_platform_tables(op, "notifications")
    op.create_table(
        "meeting_states",
        sa.Column("tenant_id", sa.Text(), nullable=False),
        sa.Column("meeting_id", sa.UUID(), nullable=False),
        sa.Column(
            "snapshot",
            postgresql.JSONB(astext_type=sa.Text()),
            nullable=False,
            comment="The latest MeetingSnapshot seen",
        ),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "meeting_id", name=op.f("pk_meeting_states")),
    )
    op.create_table(
        "send_attempts",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("send_id", sa.UUID(), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column(
            "status",
            sa.Integer(),
            nullable=True,
            comment="HTTP status or SMTP reply code; null when no answer came",
        ),
        sa.Column("error_code", sa.Text(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("duration_ms", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_send_attempts")),
    )
    op.create_index(op.f("ix_send_attempts_send_id"), "send_attempts", ["send_id"], unique=False)
    op.create_table(
        "sends",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("tenant_id", sa.Text(), nullable=False),
        sa.Column("meeting_id", sa.UUID(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("offset_minutes", sa.Integer(), nullable=True),
        sa.Column(
            "send_key",
            sa.Text(),
            nullable=False,
            comment="The logical send: kind, meeting, version",
        ),
        sa.Column(
            "logical",
            postgresql.JSONB(astext_type=sa.Text()),
            nullable=False,
            comment="The LogicalSend, re-checked before sending",
        ),
        sa.Column("idempotency_key", sa.Text(), nullable=False, comment="Sent to the provider"),
        sa.Column(
            "status", sa.Text(), nullable=False, comment="pending|sending|sent|failed|skipped"
        ),
        sa.Column("recipients", postgresql.ARRAY(sa.Text()), nullable=False),
        sa.Column("from_address", sa.Text(), nullable=False),
        sa.Column("reply_to", sa.Text(), nullable=True),
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("html", sa.Text(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column(
            "ics",
            sa.Text(),
            nullable=True,
            comment="The iCalendar attachment, when the kind has one",
        ),
        sa.Column("transport", sa.Text(), nullable=False),
        sa.Column("attempts", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("provider_message_id", sa.Text(), nullable=True),
        sa.Column(
            "delivery",
            sa.Text(),
            nullable=True,
            comment="What the provider reported after: delivered, bounced, ...",
        ),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("error_code", sa.Text(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("source_event_id", sa.Text(), nullable=False),
        sa.Column("correlation_id", sa.Text(), nullable=True),
        sa.Column("traceparent", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sends")),
        sa.UniqueConstraint("tenant_id", "send_key", name="uq_sends_tenant_key"),
    )
    op.create_index(
        "ix_sends_due",
        "sends",
        ["next_attempt_at"],
        unique=False,
        postgresql_where=sa.text("status = 'pending'"),
    )
    op.create_index("ix_sends_meeting", "sends", ["tenant_id", "meeting_id"], unique=False)
    op.create_index("ix_sends_provider_message", "sends", ["provider_message_id"], unique=False)
    op.create_index(
        "ix_sends_tenant_created", "sends", ["tenant_id", "created_at", "id"], unique=False
    )
    op.create_table(
        "suppressions",
        sa.Column("tenant_id", sa.Text(), nullable=False),
        sa.Column("email", sa.Text(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False, comment="bounced | complained | manual"),
        sa.Column("send_id", sa.UUID(), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "email", name=op.f("pk_suppressions")),
    )
    op.create_table(
        "tenant_settings",
        sa.Column("tenant_id", sa.Text(), nullable=False),
        sa.Column(
            "senders",
            postgresql.JSONB(astext_type=sa.Text()),
            nullable=True,
            comment="SenderTable; null = none set (sends are skipped)",
        ),
        sa.Column(
            "templates",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=False,
        ),
        sa.Column(
            "transport",
            postgresql.JSONB(astext_type=sa.Text()),
            nullable=True,
            comment="Resend or SMTP settings; secrets sealed",
        ),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", name=op.f("pk_tenant_settings")),
    )
    op.create_table(
        "webhook_events",
        sa.Column("svix_id", sa.Text(), nullable=False),
        sa.Column("tenant_id", sa.Text(), nullable=False),
        sa.Column("type", sa.Text(), nullable=False),
        sa.Column("email_id", sa.Text(), nullable=True),
        sa.Column("body", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("svix_id", name=op.f("pk_webhook_events")),
    )


def downgrade() -> None:
    for table in (
        "webhook_events",
        "suppressions",
        "tenant_settings",
        "meeting_states",
        "send_attempts",
        "sends",
    ):
        op.drop_table(table)
    drop_platform_tables(op)
