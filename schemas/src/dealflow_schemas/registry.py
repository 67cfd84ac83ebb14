"""Where each event type lives: the lookup consumers use to parse what they receive."""

from enum import StrEnum

from dealflow_schemas.attribution import (
    ATTRIBUTION_EVENTS,
    ATTRIBUTION_TOPIC,
    TOUCHES_TOPIC,
    TouchSubmitted,
)
from dealflow_schemas.base import EventModel
from dealflow_schemas.bookings import BOOKINGS_TOPIC, BookingEvent
from dealflow_schemas.crm import CRM_EVENTS, CRM_TOPIC
from dealflow_schemas.deals import DEAL_EVENTS, DEALS_TOPIC
from dealflow_schemas.meetings import MEETING_EVENTS, MEETINGS_TOPIC
from dealflow_schemas.notifications import NOTIFICATION_EVENTS, NOTIFICATIONS_TOPIC
from dealflow_schemas.tenants import TENANTS_TOPIC, TenantChanged


class Topic(StrEnum):
    BOOKINGS = BOOKINGS_TOPIC
    TENANTS = TENANTS_TOPIC
    MEETINGS = MEETINGS_TOPIC
    DEALS = DEALS_TOPIC
    TOUCHES = TOUCHES_TOPIC
    ATTRIBUTION = ATTRIBUTION_TOPIC
    CRM = CRM_TOPIC
    NOTIFICATIONS = NOTIFICATIONS_TOPIC


_ALL: tuple[type[EventModel], ...] = (
    BookingEvent,
    TenantChanged,
    *MEETING_EVENTS,
    *DEAL_EVENTS,
    TouchSubmitted,
    *ATTRIBUTION_EVENTS,
    *CRM_EVENTS,
    *NOTIFICATION_EVENTS,
)
EVENT_TYPES: dict[str, type[EventModel]] = {model.ce_type: model for model in _ALL}


def model_for(event_type: str) -> type[EventModel] | None:
    return EVENT_TYPES.get(event_type)
