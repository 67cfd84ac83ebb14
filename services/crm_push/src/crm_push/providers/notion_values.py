"""Notion property values (notify_notion.md §3.3): a mapping's text shaped for the column's
type, and a page's value read back in a comparable form."""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from crm_push.providers.base import NotionValue
from crm_push.providers.transport import FailureKind, ProviderError

MAX_TEXT = 2000  # characters per rich text object
# Kinds a mapping may name for a column of another kind of the same family: "Booking Status"
# may be a select in one table and a status in the next (§3.3).
_FAMILIES = ({"select", "status"}, {"rich_text", "title"})
_TEXT = ("rich_text", "title")
_OPTIONS = ("select", "status", "multi_select")


@dataclass(frozen=True)
class NotionProperty:
    name: str
    type: str
    options: tuple[str, ...] = ()

    @classmethod
    def of(cls, name: str, raw: Mapping[str, Any]) -> "NotionProperty":
        kind = str(raw.get("type"))
        config = raw.get(kind) or {}
        options = config.get("options", []) if kind in _OPTIONS else []
        return cls(name, kind, tuple(str(o.get("name")) for o in options))


def _rejected(message: str) -> ProviderError:
    return ProviderError(FailureKind.REJECTED, message, code="invalid_value")


def _compatible(prop: NotionProperty, kind: str) -> bool:
    return kind == prop.type or any({kind, prop.type} <= family for family in _FAMILIES)


def _iso(text: str) -> bool:
    try:
        if len(text) == 10:
            date.fromisoformat(text)
        else:
            datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return False
    return True


def written_value(prop: NotionProperty, value: NotionValue) -> dict[str, Any]:
    """The request value for `prop` (`{"<type>": ...}`); a value the column cannot take is a
    REJECTED error naming the property and the value, raised before anything is written."""
    if not _compatible(prop, value.kind):
        raise _rejected(f"Notion property {prop.name!r} is a {prop.type}, not a {value.kind}")
    kind, text = prop.type, value.value
    if kind in _TEXT:
        content = (text or "")[:MAX_TEXT]
        return {kind: [{"type": "text", "text": {"content": content}}] if content else []}
    if kind in ("select", "status"):
        if text is None:
            return {kind: None}
        if kind == "status" and text not in prop.options:
            raise _rejected(
                f"Notion property {prop.name!r} has no status option {text!r} "
                f"(options: {', '.join(prop.options)}); the API cannot add one"
            )
        return {kind: {"name": text}}
    if kind == "date":
        if text is None:
            return {kind: None}
        if not _iso(text):
            raise _rejected(f"Notion property {prop.name!r}: {text!r} is not an ISO date")
        return {kind: {"start": text}}
    if kind in ("email", "url", "phone_number"):
        return {kind: text or None}
    if kind == "number":
        return {kind: _number(prop, text)}
    if kind == "checkbox":
        return {kind: (text or "").strip().lower() in ("true", "yes", "1")}
    if kind == "multi_select":
        names = [part.strip() for part in (text or "").split(",") if part.strip()]
        return {kind: [{"name": name} for name in names]}
    raise _rejected(f"Notion property {prop.name!r} is a {kind}, which Dealflow does not write")


def _number(prop: NotionProperty, text: str | None) -> float | int | None:
    if text is None or not text.strip():
        return None
    try:
        number = float(text)
    except ValueError:
        raise _rejected(f"Notion property {prop.name!r}: {text!r} is not a number") from None
    return int(number) if number.is_integer() else number


def current_value(value: Mapping[str, Any] | None) -> Any:
    """A property value (as a page holds it, or as written) in a form to compare: text for
    text, the option name, the date's start. Unknown shapes compare as themselves."""
    if value is None:
        return None
    kind = value.get("type") or next(iter(value), None)
    raw = value.get(kind) if kind else None
    if kind in _TEXT:
        return "".join(
            part.get("plain_text") or (part.get("text") or {}).get("content", "")
            for part in raw or []
        )
    if kind in ("select", "status"):
        return raw.get("name") if raw else None
    if kind == "date":
        return raw.get("start") if raw else None
    if kind == "multi_select":
        return sorted(item.get("name") for item in raw or [])
    return raw
