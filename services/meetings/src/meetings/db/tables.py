"""Tables owned by meetings. The Meeting aggregate is mapped imperatively: the domain class
stays plain Python."""

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    ForeignKey,
    Identity,
    Index,
    Integer,
    SmallInteger,
    Table,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, UUID
from sqlalchemy.orm import registry

from dealflow_libs.db import ModelJSON, enum_type, new_metadata, timestamp
from dealflow_libs.ids import new_id
from dealflow_libs.inbox import inbox_table
from dealflow_libs.outbox import outbox_table
from dealflow_libs.tenants import tenants_table
from dealflow_schemas.bookings import Attendee, Person, Tracking
from dealflow_schemas.meetings import MeetingOutcome, MeetingProvider, MeetingStatus, MeetingType
from meetings.db.show_rate_sql import COUNTED
from meetings.domain.meeting import Meeting

metadata = new_metadata()
mapper_registry = registry(metadata=metadata)


meetings = Table(
    "meetings",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True, default=new_id),
    Column("tenant_id", Text, nullable=False),
    Column("provider", enum_type(MeetingProvider, "meeting_provider"), nullable=False),
    Column("provider_uid", Text),
    Column("previous_uids", ARRAY(Text), nullable=False, server_default="{}"),
    Column("title", Text),
    Column("meeting_type", enum_type(MeetingType, "meeting_type"), nullable=False),
    Column("event_type_slug", Text),
    timestamp("scheduled_at"),
    timestamp("ends_at"),
    Column("duration_minutes", Integer),
    Column("time_zone", Text),
    Column("organizer", ModelJSON(Person)),
    Column("attendees", ModelJSON(Attendee, many=True), nullable=False, server_default="[]"),
    Column("primary_email", Text),
    Column("company_domain", Text),
    Column("is_personal_email", Boolean, nullable=False, server_default="false"),
    Column("meeting_url", Text),
    Column("location", Text),
    Column("booked_by", Text),
    Column("booking_method", Text),
    Column("provider_status", Text),
    Column("status", enum_type(MeetingStatus, "meeting_status"), nullable=False),
    Column("confirmed", Boolean, nullable=False, server_default="false"),
    timestamp("confirmed_at"),
    Column("reminder_sent", Boolean, nullable=False, server_default="false"),
    timestamp("reminder_sent_at"),
    Column("showed_up", Boolean),
    timestamp("showed_up_at"),
    Column("attendance_confirmed_by", Text),
    Column("no_show_reason", Text),
    Column("meeting_outcome", enum_type(MeetingOutcome, "meeting_outcome"), nullable=False),
    Column("notes", Text),
    Column("next_steps", Text),
    Column("rescheduled_count", Integer, nullable=False, server_default="0"),
    timestamp("original_scheduled_at"),
    Column("cancellation_reason", Text),
    Column("cancelled_by", Text),
    timestamp("cancelled_at"),
    Column("awaiting_reschedule", Boolean, nullable=False, server_default="false"),
    Column("tracking", ModelJSON(Tracking), nullable=False, server_default="{}"),
    Column("deal_id", UUID(as_uuid=True)),
    Column("touches_before_booking", Integer),
    Column("days_to_booking", Integer),
    Column("converting_activity_id", Text),
    Column("converting_channel", Text),
    Column("first_touch_channel", Text),
    timestamp("notification_sent_at"),
    timestamp("created_at", nullable=False),
    timestamp("updated_at", nullable=False),
    timestamp("deleted_at"),
    Index("ix_meetings_tenant_scheduled", "tenant_id", "scheduled_at", "id"),
    Index("ix_meetings_tenant_email", "tenant_id", "primary_email"),
    # Show-rate counts over a window as an index-only scan: the window's column, then what the
    # counts read (partial on deleted_at, a literal, so generic plans use it too).
    Index(
        "ix_meetings_show_rate",
        "tenant_id",
        "scheduled_at",
        postgresql_include=[
            "status",
            "showed_up",
            "confirmed",
            "reminder_sent",
            "rescheduled_count",
        ],
        postgresql_where=text("deleted_at IS NULL"),
    ),
    # A list filtered by status and outcome (or by outcome alone, skipping over the three
    # statuses) reads only its matches, in order: a combination matching almost nothing no
    # longer walks the tenant's whole range.
    Index(
        "ix_meetings_status_outcome",
        "tenant_id",
        "status",
        "meeting_outcome",
        "scheduled_at",
        "id",
        postgresql_where=text("deleted_at IS NULL"),
    ),
    # A list filtered by outcome and type (e.g. rescheduled closing calls, 0.13% of meetings)
    # reads only its matches, in order. Only meetings with an outcome: a new booking (pending)
    # costs this index nothing.
    Index(
        "ix_meetings_outcome_type",
        "tenant_id",
        "meeting_outcome",
        "meeting_type",
        "scheduled_at",
        "id",
        postgresql_where=text("deleted_at IS NULL AND meeting_outcome <> 'pending'"),
    ),
)

#: Show-rate's daily rollup: per (tenant, UTC day of scheduled_at) the counts show-rate is made
#: of, over meetings not deleted; in shards that concurrent writers share out; kept by a trigger
#: on `meetings` in the change's own transaction (db.show_rate_sql).
meeting_show_rate_days = Table(
    "meeting_show_rate_days",
    metadata,
    Column("tenant_id", Text, primary_key=True),
    Column("day", Date, primary_key=True),
    Column("shard", SmallInteger, primary_key=True),
    *(Column(name, BigInteger, nullable=False) for name in COUNTED),
)

#: Every provider uid a meeting has had: the reschedule chain, and how events find their meeting.
meeting_uids = Table(
    "meeting_uids",
    metadata,
    Column("tenant_id", Text, primary_key=True),
    Column("uid", Text, primary_key=True),
    Column("meeting_id", UUID(as_uuid=True), ForeignKey("meetings.id"), nullable=False, index=True),
)

meeting_reschedules = Table(
    "meeting_reschedules",
    metadata,
    Column("id", BigInteger, Identity(), primary_key=True),
    Column("meeting_id", UUID(as_uuid=True), ForeignKey("meetings.id"), nullable=False, index=True),
    Column("from_uid", Text),
    Column("to_uid", Text),
    timestamp("from_scheduled_at"),
    timestamp("to_scheduled_at"),
    Column("source", Text, nullable=False),
    timestamp("rescheduled_at", nullable=False),
)

#: Events about a meeting that has not appeared yet (e.g. a no-show mark before the booking).
pending_booking_events = Table(
    "pending_booking_events",
    metadata,
    Column("id", BigInteger, Identity(), primary_key=True),
    Column("tenant_id", Text, nullable=False),
    Column("uid", Text, nullable=False),
    Column("event_id", Text, nullable=False),
    Column("payload", JSONB, nullable=False),
    timestamp("received_at", nullable=False),
    Index("ix_pending_booking_events_uid", "tenant_id", "uid"),
)

#: MeetingAttributed for a meeting not stored (yet): applied when a meeting with that id is
#: inserted. Meetings mints meeting ids, so in practice attribution follows its meeting; this
#: keeps an event for an unknown (or another tenant's) meeting instead of dropping it.
pending_attributions = Table(
    "pending_attributions",
    metadata,
    Column("tenant_id", Text, primary_key=True),
    Column("meeting_id", UUID(as_uuid=True), primary_key=True),
    Column("event_id", Text, nullable=False),
    Column("payload", JSONB, nullable=False),
    timestamp("received_at", nullable=False),
)

#: The latest NotificationSent time of a meeting not stored (yet), by meeting id: taken over
#: when a meeting with that id is inserted (as with pending_attributions; notifications follow
#: their meeting's events, so in practice the meeting is there first).
pending_notifications = Table(
    "pending_notifications",
    metadata,
    Column("tenant_id", Text, primary_key=True),
    Column("meeting_id", UUID(as_uuid=True), primary_key=True),
    timestamp("sent_at", nullable=False),
    Column("event_id", Text, nullable=False),
    timestamp("received_at", nullable=False),
)

reminders = Table(
    "reminders",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True, default=new_id),
    Column("tenant_id", Text, nullable=False),
    Column("meeting_id", UUID(as_uuid=True), ForeignKey("meetings.id"), nullable=False, index=True),
    Column("offset_minutes", Integer, nullable=False),
    timestamp("due_at", nullable=False),
    Column("status", Text, nullable=False, server_default="pending"),
    timestamp("sent_at"),
    timestamp("created_at", nullable=False),
    UniqueConstraint(
        "meeting_id", "offset_minutes", "due_at", name="uq_reminders_meeting_offset_due"
    ),
    Index("ix_reminders_pending_due", "due_at", postgresql_where=text("status = 'pending'")),
)

tenants = tenants_table(metadata)
outbox = outbox_table(metadata)
inbox = inbox_table(metadata)
#: What meetings did for each booking (dealflow_libs.trail), created beside the outbox.
trail: Table = metadata.tables["trail"]
# A meeting's events by its id (the subject): which booking's trail a meeting belongs to.
Index("ix_trail_tenant_subject", trail.c.tenant_id, trail.c.subject, trail.c.id)

mapper_registry.map_imperatively(Meeting, meetings)
