"""Tables owned by crm_push: connections, the push queue and results, the push log (one row per
HTTP call), the external-id map and the last state applied per entity."""

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Identity,
    Index,
    Integer,
    Table,
    Text,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID

from dealflow_libs.db import new_metadata, timestamp
from dealflow_libs.inbox import inbox_table
from dealflow_libs.outbox import outbox_table
from dealflow_libs.tenants import tenants_table

metadata = new_metadata()

connections = Table(
    "connections",
    metadata,
    Column("tenant_id", Text, primary_key=True),
    Column("target", Text, primary_key=True, comment="crm | notion"),
    Column("provider", Text, nullable=False),
    Column("status", Text, nullable=False, comment="connected | error | disconnected"),
    Column("status_reason", Text),
    Column(
        "credentials",
        Text,
        comment="JSON of the credentials, sealed with dealflow_libs.secretbox (tenant, target)",
    ),
    timestamp("token_expires_at"),
    Column("account_id", Text, comment="HubSpot portal, Close organization, Notion database"),
    Column("config", JSONB, nullable=False, server_default=text("'{}'::jsonb")),
    Column("lease_owner", Text, comment="The worker running this connection's pushes"),
    timestamp("lease_until"),
    timestamp("connected_at"),
    timestamp("updated_at", nullable=False),
)

pushes = Table(
    "pushes",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("seq", BigInteger, Identity(always=False), nullable=False, unique=True),
    Column("tenant_id", Text, nullable=False),
    Column("target", Text, nullable=False),
    Column("provider", Text),
    Column("entity", Text, nullable=False, comment="meeting | deal"),
    Column("entity_id", UUID(as_uuid=True), nullable=False),
    Column("meeting_id", UUID(as_uuid=True)),
    Column("deal_id", UUID(as_uuid=True)),
    Column("source_event_id", Text, nullable=False),
    Column("source_event_type", Text, nullable=False),
    Column("operation", Text, nullable=False),
    Column("correlation_id", Text, comment="The source event's trail, for the result event"),
    Column("traceparent", Text),
    Column("payload", JSONB, nullable=False, comment="The event body the push applies"),
    timestamp("version", nullable=False),
    Column("status", Text, nullable=False, comment="pending|running|succeeded|skipped|parked"),
    Column("attempts", Integer, nullable=False, server_default=text("0")),
    timestamp("next_attempt_at", nullable=False),
    Column("recover", Boolean, nullable=False, server_default=text("false")),
    Column("reason", Text),
    Column("error", Text),
    Column("error_code", Text),
    Column("crm_contact_id", Text),
    Column("crm_org_id", Text),
    Column("crm_deal_id", Text),
    Column("crm_activity_id", Text),
    Column("notion_page_id", Text),
    timestamp("created_at", nullable=False),
    timestamp("updated_at", nullable=False),
    timestamp("completed_at"),
    Index("ix_pushes_entity_seq", "tenant_id", "target", "entity_id", "seq"),
    Index(
        "ix_pushes_due",
        "tenant_id",
        "target",
        "seq",
        postgresql_where=text("status IN ('pending', 'running')"),
    ),
    Index("ix_pushes_tenant_created", "tenant_id", "created_at", "id"),
    # The list's filters, newest first: parked (1-2%) or one meeting's pushes are an index range.
    Index("ix_pushes_tenant_status", "tenant_id", "status", "created_at", "id"),
    Index(
        "ix_pushes_tenant_meeting",
        "tenant_id",
        "meeting_id",
        "created_at",
        "id",
        postgresql_where=text("meeting_id IS NOT NULL"),
    ),
    Index(
        "ix_pushes_tenant_deal",
        "tenant_id",
        "deal_id",
        "created_at",
        "id",
        postgresql_where=text("deal_id IS NOT NULL"),
    ),
)

push_calls = Table(
    "push_calls",
    metadata,
    Column("id", BigInteger, Identity(always=False), primary_key=True),
    Column("push_id", UUID(as_uuid=True), nullable=False, index=True),
    Column("tenant_id", Text, nullable=False),
    Column("provider", Text, nullable=False),
    Column("meeting_id", UUID(as_uuid=True)),
    Column("deal_id", UUID(as_uuid=True)),
    Column("attempt", Integer, nullable=False),
    Column("operation", Text, nullable=False),
    Column("method", Text, nullable=False),
    Column("path", Text, nullable=False),
    Column("request_body", JSONB),
    Column("status", Integer, comment="HTTP status; null when no answer came"),
    Column("response_body", JSONB),
    Column("error_code", Text),
    Column("error_message", Text),
    Column("duration_ms", Integer, nullable=False),
    Column("crm_id", Text),
    timestamp("started_at", nullable=False),
    # The log newest first (keyset on started_at, id), alone or by one filter: a time window,
    # a rare operation or one meeting's calls are an index range.
    Index("ix_push_calls_tenant_started", "tenant_id", "started_at", "id"),
    Index("ix_push_calls_tenant_operation", "tenant_id", "operation", "started_at", "id"),
    Index(
        "ix_push_calls_tenant_meeting",
        "tenant_id",
        "meeting_id",
        "started_at",
        "id",
        postgresql_where=text("meeting_id IS NOT NULL"),
    ),
    Index(
        "ix_push_calls_tenant_deal",
        "tenant_id",
        "deal_id",
        "started_at",
        "id",
        postgresql_where=text("deal_id IS NOT NULL"),
    ),
)

external_ids = Table(
    "external_ids",
    metadata,
    Column("tenant_id", Text, primary_key=True),
    Column("provider", Text, primary_key=True),
    Column("entity", Text, primary_key=True, comment="contact | deal | meeting"),
    Column("local_key", Text, primary_key=True, comment="email, deal id or meeting id"),
    Column("external_id", Text, nullable=False),
    Column("parent_id", Text, comment="The contact's company / organization / lead"),
    timestamp("updated_at", nullable=False),
)

applied_versions = Table(
    "applied_versions",
    metadata,
    Column("tenant_id", Text, primary_key=True),
    Column("target", Text, primary_key=True),
    Column("entity_id", UUID(as_uuid=True), primary_key=True),
    timestamp("version", nullable=False),
    Column("push_id", UUID(as_uuid=True), nullable=False),
)

tenants = tenants_table(metadata)
outbox = outbox_table(metadata)
inbox = inbox_table(metadata)
