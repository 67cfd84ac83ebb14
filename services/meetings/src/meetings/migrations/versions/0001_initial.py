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
        "inbox",
        sa.Column("consumer", sa.Text(), nullable=False),
        sa.Column("event_id", sa.Text(), nullable=False),
        sa.Column(
            "processed_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("consumer", "event_id", name=op.f("pk_inbox")),
    )
    op.create_table(
        "meetings",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("tenant_id", sa.Text(), nullable=False),
        sa.Column(
            "provider",
            sa.Enum(
                "calcom",
                "calendly",
                "manual",
                name="meeting_provider",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("provider_uid", sa.Text(), nullable=True),
        sa.Column(
            "previous_uids", postgresql.ARRAY(sa.Text()), server_default="{}", nullable=False
        ),
        sa.Column("title", sa.Text(), nullable=True),
        sa.Column(
            "meeting_type",
            sa.Enum(
                "discovery",
                "demo",
                "follow_up",
                "close",
                "onboarding",
                "other",
                name="meeting_type",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("event_type_slug", sa.Text(), nullable=True),
        sa.Column("scheduled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("duration_minutes", sa.Integer(), nullable=True),
        sa.Column("time_zone", sa.Text(), nullable=True),
        sa.Column("organizer", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column(
            "attendees",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default="[]",
            nullable=False,
        ),
        sa.Column("primary_email", sa.Text(), nullable=True),
        sa.Column("company_domain", sa.Text(), nullable=True),
        sa.Column("is_personal_email", sa.Boolean(), server_default="false", nullable=False),
        sa.Column("meeting_url", sa.Text(), nullable=True),
        sa.Column("location", sa.Text(), nullable=True),
        sa.Column("booked_by", sa.Text(), nullable=True),
        sa.Column("booking_method", sa.Text(), nullable=True),
        sa.Column("provider_status", sa.Text(), nullable=True),
        sa.Column(
            "status",
            sa.Enum(
                "scheduled",
                "cancelled",
                "completed",
                name="meeting_status",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("confirmed", sa.Boolean(), server_default="false", nullable=False),
        sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reminder_sent", sa.Boolean(), server_default="false", nullable=False),
        sa.Column("reminder_sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("showed_up", sa.Boolean(), nullable=True),
        sa.Column("showed_up_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("attendance_confirmed_by", sa.Text(), nullable=True),
        sa.Column("no_show_reason", sa.Text(), nullable=True),
        sa.Column(
            "meeting_outcome",
            sa.Enum(
                "good",
                "bad",
                "rescheduled",
                "no_show",
                "cancelled",
                "pending",
                name="meeting_outcome",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("next_steps", sa.Text(), nullable=True),
        sa.Column("rescheduled_count", sa.Integer(), server_default="0", nullable=False),
        sa.Column("original_scheduled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("cancellation_reason", sa.Text(), nullable=True),
        sa.Column("cancelled_by", sa.Text(), nullable=True),
        sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("awaiting_reschedule", sa.Boolean(), server_default="false", nullable=False),
        sa.Column(
            "tracking", postgresql.JSONB(astext_type=sa.Text()), server_default="{}", nullable=False
        ),
        sa.Column("deal_id", sa.UUID(), nullable=True),
        sa.Column("touches_before_booking", sa.Integer(), nullable=True),
        sa.Column("days_to_booking", sa.Integer(), nullable=True),
        sa.Column("converting_activity_id", sa.Text(), nullable=True),
        sa.Column("converting_channel", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_meetings")),
    )
    op.create_index(
        "ix_meetings_tenant_email", "meetings", ["tenant_id", "primary_email"], unique=False
    )
    op.create_index(
        "ix_meetings_tenant_scheduled",
        "meetings",
        ["tenant_id", "scheduled_at", "id"],
        unique=False,
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
    for statement in outbox_trigger_sql("meetings"):
        op.execute(statement)
    op.create_table(
        "pending_booking_events",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("tenant_id", sa.Text(), nullable=False),
        sa.Column("uid", sa.Text(), nullable=False),
        sa.Column("event_id", sa.Text(), nullable=False),
        sa.Column("payload", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pending_booking_events")),
    )
    op.create_index(
        "ix_pending_booking_events_uid",
        "pending_booking_events",
        ["tenant_id", "uid"],
        unique=False,
    )
    op.create_table(
        "tenants",
        sa.Column("tenant_id", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("api_key_hashes", sa.ARRAY(sa.Text()), server_default="{}", nullable=False),
        sa.Column("default_currency", sa.Text(), server_default="USD", nullable=False),
        sa.Column("disabled", sa.Boolean(), server_default="false", nullable=False),
        sa.Column(
            "settings", postgresql.JSONB(astext_type=sa.Text()), server_default="{}", nullable=False
        ),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("tenant_id", name=op.f("pk_tenants")),
    )
    op.create_table(
        "meeting_reschedules",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("meeting_id", sa.UUID(), nullable=False),
        sa.Column("from_uid", sa.Text(), nullable=True),
        sa.Column("to_uid", sa.Text(), nullable=True),
        sa.Column("from_scheduled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("to_scheduled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("rescheduled_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["meeting_id"], ["meetings.id"], name=op.f("fk_meeting_reschedules_meeting_id_meetings")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_meeting_reschedules")),
    )
    op.create_index(
        op.f("ix_meeting_reschedules_meeting_id"),
        "meeting_reschedules",
        ["meeting_id"],
        unique=False,
    )
    op.create_table(
        "meeting_uids",
        sa.Column("tenant_id", sa.Text(), nullable=False),
        sa.Column("uid", sa.Text(), nullable=False),
        sa.Column("meeting_id", sa.UUID(), nullable=False),
        sa.ForeignKeyConstraint(
            ["meeting_id"], ["meetings.id"], name=op.f("fk_meeting_uids_meeting_id_meetings")
        ),
        sa.PrimaryKeyConstraint("tenant_id", "uid", name=op.f("pk_meeting_uids")),
    )
    op.create_table(
        "reminders",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("tenant_id", sa.Text(), nullable=False),
        sa.Column("meeting_id", sa.UUID(), nullable=False),
        sa.Column("offset_minutes", sa.Integer(), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.Text(), server_default="pending", nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["meeting_id"], ["meetings.id"], name=op.f("fk_reminders_meeting_id_meetings")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reminders")),
        sa.UniqueConstraint(
            "meeting_id", "offset_minutes", "due_at", name="uq_reminders_meeting_offset_due"
        ),
    )
    op.create_index("ix_reminders_meeting_id", "reminders", ["meeting_id"], unique=False)
    op.create_index("ix_meeting_uids_meeting_id", "meeting_uids", ["meeting_id"], unique=False)
    op.create_index(
        "ix_reminders_pending_due",
        "reminders",
        ["due_at"],
        unique=False,
        postgresql_where=sa.text("status = 'pending'"),
    )


def downgrade() -> None:
    op.drop_index(
        "ix_reminders_pending_due",
        table_name="reminders",
        postgresql_where=sa.text("status = 'pending'"),
    )
    op.drop_table("reminders")
    op.drop_table("meeting_uids")
    op.drop_index(op.f("ix_meeting_reschedules_meeting_id"), table_name="meeting_reschedules")
    op.drop_table("meeting_reschedules")
    op.drop_table("tenants")
    op.drop_index("ix_pending_booking_events_uid", table_name="pending_booking_events")
    op.drop_table("pending_booking_events")
    op.drop_table("outbox")
    op.execute("DROP FUNCTION IF EXISTS outbox_notify()")
    op.drop_index("ix_meetings_tenant_scheduled", table_name="meetings")
    op.drop_index("ix_meetings_tenant_email", table_name="meetings")
    op.drop_table("meetings")
    op.drop_table("inbox")
