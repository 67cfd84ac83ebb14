"""Tables owned by notifications: one row per logical send (its key unique per tenant), every
attempt, the latest state of each meeting, tenant settings, suppressions, provider webhooks."""

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Identity,
    Index,
    Integer,
    Table,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, UUID

from dealflow_libs.db import new_metadata, timestamp
from dealflow_libs.inbox import inbox_table
from dealflow_libs.outbox import outbox_table
from dealflow_libs.tenants import tenants_table

metadata = new_metadata()

sends = Table(
    "sends",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("tenant_id", Text, nullable=False),
    Column("meeting_id", UUID(as_uuid=True), nullable=False),
    Column("kind", Text, nullable=False),
    Column("offset_minutes", Integer),
    Column("send_key", Text, nullable=False, comment="The logical send: kind, meeting, version"),
    Column("logical", JSONB, nullable=False, comment="The LogicalSend, re-checked before sending"),
    Column("idempotency_key", Text, nullable=False, comment="Sent to the provider"),
    Column("status", Text, nullable=False, comment="pending|sending|sent|failed|skipped"),
    Column("recipients", ARRAY(Text), nullable=False),
    Column("from_address", Text, nullable=False),
    Column("reply_to", Text),
    Column("subject", Text, nullable=False),
    Column("html", Text, nullable=False),
    Column("text", Text, nullable=False),
    Column("ics", Text, comment="The iCalendar attachment, when the kind has one"),
    Column("transport", Text, nullable=False),
    Column("attempts", Integer, nullable=False, server_default=text("0")),
    timestamp("next_attempt_at", nullable=False),
    Column("provider_message_id", Text),
    Column("delivery", Text, comment="What the provider reported after: delivered, bounced, ..."),
    Column("reason", Text),
    Column("error_code", Text),
    Column("error", Text),
    Column("source_event_id", Text, nullable=False),
    Column("correlation_id", Text),
    Column("traceparent", Text),
    timestamp("created_at", nullable=False),
    timestamp("updated_at", nullable=False),
    timestamp("sent_at"),
    UniqueConstraint("tenant_id", "send_key", name="uq_sends_tenant_key"),
    Index("ix_sends_due", "next_attempt_at", postgresql_where=text("status = 'pending'")),
    Index("ix_sends_tenant_created", "tenant_id", "created_at", "id"),
    # The list's filter by a rare status is an index range (by recipient: send_recipients).
    Index("ix_sends_tenant_status", "tenant_id", "status", "created_at", "id"),
    Index("ix_sends_meeting", "tenant_id", "meeting_id"),
    Index("ix_sends_provider_message", "provider_message_id"),
)

# One row per recipient of each send, written with the send: the list by recipient is a range
# of its primary key in the list's order, whatever plan (custom or generic) it gets.
send_recipients = Table(
    "send_recipients",
    metadata,
    Column("tenant_id", Text, primary_key=True),
    Column("email", Text, primary_key=True, comment="Lower-cased, as the list's filter compares"),
    Column("created_at", DateTime(timezone=True), primary_key=True, comment="The send's"),
    Column("send_id", UUID(as_uuid=True), primary_key=True),
)

send_attempts = Table(
    "send_attempts",
    metadata,
    Column("id", BigInteger, Identity(always=False), primary_key=True),
    Column("send_id", UUID(as_uuid=True), nullable=False, index=True),
    Column("attempt", Integer, nullable=False),
    Column("status", Integer, comment="HTTP status or SMTP reply code; null when no answer came"),
    Column("error_code", Text),
    Column("error", Text),
    Column("duration_ms", Integer, nullable=False),
    timestamp("at", nullable=False),
)

meeting_states = Table(
    "meeting_states",
    metadata,
    Column("tenant_id", Text, primary_key=True),
    Column("meeting_id", UUID(as_uuid=True), primary_key=True),
    Column("snapshot", JSONB, nullable=False, comment="The latest MeetingSnapshot seen"),
    timestamp("updated_at", nullable=False),
)

tenant_settings = Table(
    "tenant_settings",
    metadata,
    Column("tenant_id", Text, primary_key=True),
    Column("senders", JSONB, comment="SenderTable; null = none set (sends are skipped)"),
    Column("templates", JSONB, nullable=False, server_default=text("'{}'::jsonb")),
    Column("transport", JSONB, comment="Resend or SMTP settings; secrets sealed"),
    timestamp("updated_at", nullable=False),
)

suppressions = Table(
    "suppressions",
    metadata,
    Column("tenant_id", Text, primary_key=True),
    Column("email", Text, primary_key=True),
    Column("reason", Text, nullable=False, comment="bounced | complained | manual"),
    Column("send_id", UUID(as_uuid=True)),
    timestamp("at", nullable=False),
)

webhook_events = Table(
    "webhook_events",
    metadata,
    Column("svix_id", Text, primary_key=True),
    Column("tenant_id", Text, nullable=False),
    Column("type", Text, nullable=False),
    Column("email_id", Text),
    Column("body", JSONB, nullable=False),
    timestamp("received_at", nullable=False),
    # An event that arrived before its send was written is found when the send is.
    Index("ix_webhook_events_email", "tenant_id", "email_id"),
)

tenants = tenants_table(metadata)
outbox = outbox_table(metadata)
inbox = inbox_table(metadata)
