"""Tables owned by attribution."""

from sqlalchemy import Column, Index, Integer, Table, Text
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, UUID

from dealflow_libs.db import new_metadata, timestamp
from dealflow_libs.inbox import inbox_table
from dealflow_libs.outbox import outbox_table
from dealflow_libs.tenants import tenants_table

metadata = new_metadata()

#: Every touch once per (tenant, sender's touch_id), with the channel its rules gave it then.
touches = Table(
    "touches",
    metadata,
    Column("tenant_id", Text, primary_key=True),
    Column("touch_id", Text, primary_key=True),
    Column("person_email", Text, nullable=False),
    timestamp("occurred_at", nullable=False),
    Column("activity_type", Text, nullable=False),
    # What the sender named, if anything; `channel` is what counts (explicit or classified).
    Column("explicit_channel", Text),
    Column("channel", Text, nullable=False),
    Column("channel_rule_id", Text, nullable=False),
    Column("rule_version", Integer, nullable=False),
    Column("utm_source", Text),
    Column("utm_medium", Text),
    Column("utm_campaign", Text),
    Column("utm_content", Text),
    Column("utm_term", Text),
    Column("campaign_id", Text),
    Column("external_activity_id", Text),
    Column("metadata", JSONB, nullable=False, server_default="{}"),
    # Where it came in: "api", "kafka" or "meeting".
    Column("source", Text, nullable=False),
    timestamp("received_at", nullable=False),
    Index("ix_touches_person", "tenant_id", "person_email", "occurred_at", "touch_id"),
)

#: Each booked meeting once: who booked (the person and every attendee) and when; deals link
#: their meetings, and a deal's journey takes in these people.
meeting_bookings = Table(
    "meeting_bookings",
    metadata,
    Column("meeting_id", UUID(as_uuid=True), primary_key=True),
    Column("tenant_id", Text, nullable=False),
    Column("person_email", Text, nullable=False),
    Column("attendee_emails", ARRAY(Text), nullable=False, server_default="{}"),
    Column("company_domain", Text),
    timestamp("booked_at", nullable=False),
    Column("touch_id", Text, nullable=False),
    Index("ix_meeting_bookings_company", "tenant_id", "company_domain"),
)

tenants = tenants_table(metadata)
outbox = outbox_table(metadata)
inbox = inbox_table(metadata)
