"""Companies (one per registrable email domain) and the people seen at them."""

import uuid
from dataclasses import dataclass, field
from datetime import datetime

from dealflow_libs.domains import company_name
from dealflow_libs.ids import new_id
from dealflow_schemas.meetings import is_upcoming


@dataclass(eq=False)
class Company:
    tenant_id: str
    domain: str
    name: str
    created_at: datetime
    id: uuid.UUID = field(default_factory=new_id)

    @classmethod
    def named_after(cls, tenant_id: str, domain: str, now: datetime) -> "Company":
        """A company first seen through an email at `domain`, named after it."""
        return cls(tenant_id=tenant_id, domain=domain, name=company_name(domain), created_at=now)

    @property
    def default_deal_name(self) -> str:
        """What a deal is called when nobody named it."""
        return f"{self.name} - new business"


@dataclass(eq=False)
class MeetingRecord:
    """What deals knows of a meeting, from meeting events (no reads of the meetings service)."""

    meeting_id: uuid.UUID
    tenant_id: str
    status: str
    updated_at: datetime
    company_id: uuid.UUID | None = None
    deal_id: uuid.UUID | None = None
    title: str | None = None
    meeting_type: str | None = None
    scheduled_at: datetime | None = None
    primary_email: str | None = None
    primary_name: str | None = None
    organizer_email: str | None = None
    utm_source: str | None = None
    utm_campaign: str | None = None
    converting_activity_id: str | None = None
    converting_channel: str | None = None

    def is_upcoming(self, now: datetime) -> bool:
        return is_upcoming(self.status, self.scheduled_at, now)
