"""Base model shared by every event contract."""

from datetime import datetime
from typing import Annotated, ClassVar

from pydantic import AfterValidator, BaseModel, ConfigDict


def _require_utc(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise ValueError("datetime must carry a time zone")
    return value


AwareDatetime = Annotated[datetime, AfterValidator(_require_utc)]


class EventModel(BaseModel):
    """An event body. Unknown fields are ignored so that additive changes never break readers."""

    model_config = ConfigDict(extra="ignore", frozen=True, populate_by_name=True)

    #: CloudEvents `type`, e.g. "dealflow.booking.v1". Set by each concrete event.
    ce_type: ClassVar[str]
