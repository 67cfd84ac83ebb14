"""Tables owned by ingest."""

import uuid
from datetime import datetime

from sqlalchemy import Boolean, DateTime, Index, Integer, LargeBinary, Table, Text, func
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, UUID
from sqlalchemy.orm import Mapped, mapped_column

from dealflow_libs.db import ServiceBase, new_metadata
from dealflow_libs.outbox import outbox_table
from dealflow_schemas.tenants import DEFAULT_CURRENCY


class Base(ServiceBase):
    __abstract__ = True
    metadata = new_metadata()


class Tenant(Base):
    __tablename__ = "tenants"

    tenant_id: Mapped[str] = mapped_column(Text, primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    calcom_secrets: Mapped[list[str]] = mapped_column(ARRAY(Text), default=list)
    calendly_secrets: Mapped[list[str]] = mapped_column(ARRAY(Text), default=list)
    api_key_hashes: Mapped[list[str]] = mapped_column(ARRAY(Text), default=list)
    default_currency: Mapped[str] = mapped_column(Text, default=DEFAULT_CURRENCY)
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    #: Announced with the tenant: every service classifies emails with the same list.
    personal_domains: Mapped[list[str]] = mapped_column(
        ARRAY(Text), default=list, server_default="{}"
    )
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class RawEvent(Base):
    """Every delivery, valid or not: nothing a sender sent is lost."""

    __tablename__ = "raw_events"
    __table_args__ = (
        Index("ix_raw_events_tenant_received", "tenant_id", "received_at", "id"),
        Index("ix_raw_events_event_id", "event_id"),
        # The list's filters, newest first: a rare verdict or trigger is an index range, not a
        # walk down every delivery of the tenant.
        Index("ix_raw_events_tenant_verdict", "tenant_id", "verdict", "received_at", "id"),
        Index("ix_raw_events_tenant_trigger", "tenant_id", "trigger", "received_at", "id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(Text)
    provider: Mapped[str] = mapped_column(Text)
    trigger: Mapped[str] = mapped_column(Text, default="")
    verdict: Mapped[str] = mapped_column(Text)
    status_code: Mapped[int] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(Text)
    headers: Mapped[dict[str, str]] = mapped_column(JSONB)
    body: Mapped[bytes] = mapped_column(LargeBinary)
    body_truncated: Mapped[bool] = mapped_column(Boolean, default=False)
    dedupe_key: Mapped[str | None] = mapped_column(Text)
    event_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    replay_of: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class DeliveryKey(Base):
    """First accepted delivery of each provider event; a second one is a duplicate."""

    __tablename__ = "delivery_keys"

    tenant_id: Mapped[str] = mapped_column(Text, primary_key=True)
    dedupe_key: Mapped[str] = mapped_column(Text, primary_key=True)
    event_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    raw_event_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))


outbox = outbox_table(Base.metadata)
raw_events: Table = RawEvent.__table__  # type: ignore[assignment]
delivery_keys: Table = DeliveryKey.__table__  # type: ignore[assignment]
metadata = Base.metadata
