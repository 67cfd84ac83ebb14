"""Tables owned by deals. Deal, Company and MeetingRecord are mapped imperatively."""

from datetime import timedelta

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    Date,
    ForeignKey,
    Identity,
    Index,
    Integer,
    Numeric,
    SmallInteger,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, UUID
from sqlalchemy.orm import registry

from dealflow_libs.db import enum_type, new_metadata, timestamp
from dealflow_libs.inbox import inbox_table
from dealflow_libs.outbox import outbox_table
from dealflow_libs.tenants import tenants_table
from dealflow_schemas.deals import DealStage, DealStatus, LostReason
from deals.domain.company import Company, MeetingRecord
from deals.domain.deal import Deal

#: How much earlier than its creation a deal's closing time may be (clocks of two instances);
#: a deal created after a closing window's end plus this cannot be in the window.
CLOSING_SLACK = timedelta(days=1)

metadata = new_metadata()
mapper_registry = registry(metadata=metadata)


companies = Table(
    "companies",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("tenant_id", Text, nullable=False),
    Column("domain", Text, nullable=False),
    Column("name", Text, nullable=False),
    timestamp("created_at", nullable=False),
    UniqueConstraint("tenant_id", "domain", name="uq_companies_tenant_domain"),
)

people = Table(
    "people",
    metadata,
    Column("tenant_id", Text, primary_key=True),
    Column("email", Text, primary_key=True),
    Column("name", Text),
    Column("company_id", UUID(as_uuid=True), ForeignKey("companies.id"), index=True),
    Column("last_meeting_id", UUID(as_uuid=True)),
    timestamp("first_seen_at", nullable=False),
    timestamp("updated_at", nullable=False),
)

deals = Table(
    "deals",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("tenant_id", Text, nullable=False),
    Column(
        "company_id", UUID(as_uuid=True), ForeignKey("companies.id"), nullable=False, index=True
    ),
    Column("name", Text, nullable=False),
    Column("status", enum_type(DealStatus, "deal_status"), nullable=False),
    Column("stage", enum_type(DealStage, "deal_stage"), nullable=False),
    Column("probability", Integer, nullable=False),
    Column("value", Numeric(14, 2)),
    Column("currency", Text, nullable=False),
    Column("expected_close_date", Date),
    Column("owner", Text),
    Column("primary_contact_email", Text),
    Column("source_meeting_id", UUID(as_uuid=True)),
    Column("meeting_ids", ARRAY(UUID(as_uuid=True)), nullable=False, server_default="{}"),
    Column("converting_activity_id", Text),
    Column("converting_channel", Text),
    Column("lost_reason", enum_type(LostReason, "lost_reason")),
    Column("lost_notes", Text),
    timestamp("closed_at"),
    Column("days_to_close", Integer),
    Column("stage_before_close", enum_type(DealStage, "deal_stage")),
    Column("external_ids", JSONB, nullable=False, server_default="{}"),
    timestamp("created_at", nullable=False),
    timestamp("updated_at", nullable=False),
    timestamp("stage_entered_at", nullable=False),
    Index("ix_deals_tenant_created", "tenant_id", "created_at", "id"),
    # A list filtered by a closing window: the window's deals by closing time (a narrow window
    # sorted), or ix_deals_tenant_created walked down from the window's end (CLOSING_SLACK).
    Index(
        "ix_deals_tenant_closed",
        "tenant_id",
        "closed_at",
        postgresql_where=text("closed_at IS NOT NULL"),
    ),
    # A deal closes after it was created, give or take the clocks of two service instances.
    CheckConstraint(
        f"closed_at IS NULL OR closed_at > created_at - interval '{CLOSING_SLACK.days} days'",
        name="closed_after_created",
    ),
    # Lost-deal analysis over a closing window, answered from the index alone (the query spells
    # status = 'lost' as a literal, so generic plans of the prepared statement match it too).
    Index(
        "ix_deals_tenant_lost_closed",
        "tenant_id",
        "closed_at",
        postgresql_include=["lost_reason", "stage_before_close", "value", "days_to_close"],
        postgresql_where=text("status = 'lost'"),
    ),
    # At most one active deal per company, whatever the application does.
    Index(
        "uq_deals_one_active_per_company",
        "tenant_id",
        "company_id",
        unique=True,
        postgresql_where=text("status = 'active'"),
    ),
)

#: The pipeline's read model: per tenant, status, stage and currency the deals' count and sums,
#: in shards that concurrent writers share out; kept by a trigger on `deals` (db.summaries_sql).
deal_summaries = Table(
    "deal_summaries",
    metadata,
    Column("tenant_id", Text, primary_key=True),
    Column("status", enum_type(DealStatus, "deal_status"), primary_key=True),
    Column("stage", enum_type(DealStage, "deal_stage"), primary_key=True),
    Column("currency", Text, primary_key=True),
    Column("shard", SmallInteger, primary_key=True),
    Column("deals", BigInteger, nullable=False),
    Column("value_sum", Numeric, nullable=False),
    Column("probability_sum", BigInteger, nullable=False),
    #: sum(value x probability): weighted value is this / 100, rounded once, as the API always did.
    Column("weighted_sum", Numeric, nullable=False),
)

#: Lost-deal analysis's monthly rollup: per tenant, UTC month of closing, reason and stage left
#: (db.lost_sql.NO_STAGE for none) the lost deals' count and sums; kept by a trigger on `deals`.
deal_lost_months = Table(
    "deal_lost_months",
    metadata,
    Column("tenant_id", Text, primary_key=True),
    Column("month", Date, primary_key=True),
    Column("lost_reason", enum_type(LostReason, "lost_reason"), primary_key=True),
    Column("stage_left", String(32), primary_key=True),
    Column("shard", SmallInteger, primary_key=True),
    Column("deals", BigInteger, nullable=False),
    Column("value_sum", Numeric, nullable=False),
    Column("days_sum", BigInteger, nullable=False),
    Column("days_count", BigInteger, nullable=False),
)

stage_history = Table(
    "deal_stage_history",
    metadata,
    Column("id", BigInteger, Identity(), primary_key=True),
    Column("deal_id", UUID(as_uuid=True), ForeignKey("deals.id"), nullable=False, index=True),
    Column("tenant_id", Text, nullable=False),
    Column("kind", Text, nullable=False),
    Column("from_stage", Text),
    Column("to_stage", Text),
    Column("from_status", Text),
    Column("to_status", Text),
    Column("changed_by", Text),
    Column("reason", Text),
    timestamp("changed_at", nullable=False),
)

deal_activities = Table(
    "deal_activities",
    metadata,
    Column("id", BigInteger, Identity(), primary_key=True),
    Column("deal_id", UUID(as_uuid=True), ForeignKey("deals.id"), nullable=False, index=True),
    Column("kind", Text, nullable=False),
    Column("detail", JSONB, nullable=False),
    timestamp("at", nullable=False),
)

meeting_records = Table(
    "meeting_records",
    metadata,
    Column("meeting_id", UUID(as_uuid=True), primary_key=True),
    Column("tenant_id", Text, nullable=False),
    Column("company_id", UUID(as_uuid=True), index=True),
    Column("deal_id", UUID(as_uuid=True), index=True),
    Column("status", Text, nullable=False),
    Column("title", Text),
    Column("meeting_type", Text),
    timestamp("scheduled_at"),
    Column("primary_email", Text),
    Column("primary_name", Text),
    Column("organizer_email", Text),
    Column("utm_source", Text),
    Column("utm_campaign", Text),
    Column("converting_activity_id", Text),
    Column("converting_channel", Text),
    timestamp("updated_at", nullable=False),
)

#: The attribution service's journey of each booking (MeetingAttributed), whatever the order it
#: arrives in relative to the meeting events: reads join it through the deal's source meeting.
meeting_attributions = Table(
    "meeting_attributions",
    metadata,
    Column("tenant_id", Text, primary_key=True),
    Column("meeting_id", UUID(as_uuid=True), primary_key=True),
    Column("touches_before_booking", Integer, nullable=False),
    Column("days_to_booking", Integer),
    Column("first_touch_channel", Text),
    Column("converting_activity_id", Text),
    Column("converting_channel", Text),
    timestamp("booked_at", nullable=False),
    timestamp("received_at", nullable=False),
)

tenants = tenants_table(metadata)
outbox = outbox_table(metadata)
inbox = inbox_table(metadata)

mapper_registry.map_imperatively(Deal, deals)
mapper_registry.map_imperatively(Company, companies)
mapper_registry.map_imperatively(MeetingRecord, meeting_records)
