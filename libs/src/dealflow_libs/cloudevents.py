"""CloudEvents 1.0 envelope and its Kafka protocol binding (binary mode, `ce_*` headers).

The event body is the message value (JSON); the context attributes travel as headers, so any
CloudEvents-aware consumer can read our topics without knowing our schemas.
"""

import builtins
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel

from dealflow_libs.ids import new_id
from dealflow_schemas.base import EventModel

SPEC_VERSION = "1.0"
CONTENT_TYPE = "application/json"


class EnvelopeError(ValueError):
    """A Kafka record that is not a CloudEvent we can read: a permanent failure."""


@dataclass(frozen=True)
class Envelope:
    id: str
    source: str
    type: str
    time: datetime
    tenant_id: str
    subject: str | None = None
    data: bytes = b""
    extensions: Mapping[str, str] = field(default_factory=dict)

    def kafka_headers(self) -> list[tuple[str, bytes]]:
        headers = {
            "ce_specversion": SPEC_VERSION,
            "ce_id": self.id,
            "ce_source": self.source,
            "ce_type": self.type,
            "ce_time": self.time.isoformat(),
            # CloudEvents attribute names allow only [a-z0-9]: `tenantid`, not `tenant_id`.
            "ce_tenantid": self.tenant_id,
            "content-type": CONTENT_TYPE,
            **{f"ce_{k}": v for k, v in self.extensions.items()},
        }
        if self.subject:
            headers["ce_subject"] = self.subject
        return [(k, v.encode()) for k, v in headers.items()]

    def parse(self, model: builtins.type[EventModel]) -> Any:
        return model.model_validate_json(self.data)


def dump_event(event: BaseModel) -> bytes:
    return event.__pydantic_serializer__.to_json(event)


def new_envelope(
    event: EventModel,
    *,
    source: str,
    tenant_id: str,
    subject: str | None = None,
    event_id: uuid.UUID | None = None,
    time: datetime | None = None,
    extensions: Mapping[str, str] | None = None,
) -> Envelope:
    return Envelope(
        id=str(event_id or new_id()),
        source=source,
        type=type(event).ce_type,
        time=time or datetime.now(UTC),
        tenant_id=tenant_id,
        subject=subject,
        data=dump_event(event),
        extensions=dict(extensions or {}),
    )


def envelope_from_kafka(headers: Iterable[tuple[str, bytes]], value: bytes | None) -> Envelope:
    attrs = {k: v.decode("utf-8", "replace") for k, v in headers}
    missing = [k for k in ("ce_id", "ce_type", "ce_source", "ce_tenantid") if not attrs.get(k)]
    if missing:
        raise EnvelopeError(f"not a CloudEvent: missing headers {', '.join(missing)}")
    try:
        time = datetime.fromisoformat(attrs["ce_time"]) if "ce_time" in attrs else datetime.now(UTC)
    except ValueError as exc:
        raise EnvelopeError(f"ce_time is not ISO-8601: {attrs['ce_time']!r}") from exc
    known = {
        "ce_specversion",
        "ce_id",
        "ce_source",
        "ce_type",
        "ce_time",
        "ce_tenantid",
        "ce_subject",
    }
    return Envelope(
        id=attrs["ce_id"],
        source=attrs["ce_source"],
        type=attrs["ce_type"],
        time=time,
        tenant_id=attrs["ce_tenantid"],
        subject=attrs.get("ce_subject"),
        data=value or b"",
        extensions={k[3:]: v for k, v in attrs.items() if k.startswith("ce_") and k not in known},
    )
