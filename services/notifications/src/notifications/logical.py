"""A LogicalSend kept on its row as JSON, and read back to re-check it before sending."""

import dataclasses
from datetime import datetime
from typing import Any
from uuid import UUID

from dealflow_schemas.notifications import NotificationKind
from notifications.domain.sends import LogicalSend


def logical_json(send: LogicalSend) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for f in dataclasses.fields(send):
        value = getattr(send, f.name)
        if isinstance(value, datetime):
            value = value.isoformat()
        elif isinstance(value, UUID | NotificationKind):
            value = str(value)
        elif isinstance(value, tuple):
            value = list(value)
        out[f.name] = value
    return out


def logical_of(data: dict[str, Any]) -> LogicalSend:
    def instant(name: str) -> datetime | None:
        value = data.get(name)
        return datetime.fromisoformat(value) if value else None

    return LogicalSend(
        kind=NotificationKind(data["kind"]),
        meeting_id=UUID(data["meeting_id"]),
        version=int(data["version"]),
        recipients=tuple(data["recipients"]),
        key=data["key"],
        offset_minutes=data.get("offset_minutes"),
        planned_start=instant("planned_start"),
        due_at=instant("due_at"),
    )
