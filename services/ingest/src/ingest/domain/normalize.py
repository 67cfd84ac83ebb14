"""Provider webhook bodies -> normalized `BookingEvent`s. Pure functions: no I/O.

Each `normalize_*` takes the already-parsed JSON body and returns
- `Normalized(event, dedupe_key)` for a booking-related delivery,
- `Ignored(reason, trigger)` for a well-formed delivery the pipeline does not use (PING, ...),
and raises `PayloadError` (with the missing JSON paths) for JSON that lacks what we need.
"""

from collections.abc import Mapping

from dealflow_schemas.bookings import Provider
from ingest.domain._parse import clean_text
from ingest.domain.calcom import CALCOM_TRIGGERS, normalize_calcom
from ingest.domain.calendly import CALENDLY_TRIGGERS, normalize_calendly
from ingest.domain.results import Ignored, Normalized, PayloadError

__all__ = [
    "CALCOM_TRIGGERS",
    "CALENDLY_TRIGGERS",
    "Ignored",
    "Normalized",
    "PayloadError",
    "normalize_calcom",
    "normalize_calendly",
    "provider_trigger",
]

_TRIGGER_FIELD = {Provider.CALCOM: "triggerEvent", Provider.CALENDLY: "event"}


def provider_trigger(provider: Provider, body: object) -> str:
    """Best-effort provider trigger name for audit rows, even of invalid bodies; "" if none."""
    if not isinstance(body, Mapping):
        return ""
    return clean_text(body.get(_TRIGGER_FIELD[Provider(provider)])) or ""
