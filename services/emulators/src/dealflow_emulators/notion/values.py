"""Property values a client writes (PATCH /v1/pages/{id}) and the filters it queries with,
checked against the data source's schema the way Notion does (notify_notion.md §3.2, §3.3)."""

from datetime import date, datetime
from typing import Any

from dealflow_emulators.common import Record
from dealflow_emulators.notion.records import COLORS, invalid, rich_text, short_id

MAX_TEXT = 2000
MAX_ITEMS = 100
TEXT_OPS = (
    "equals",
    "does_not_equal",
    "contains",
    "does_not_contain",
    "starts_with",
    "ends_with",
    "is_empty",
    "is_not_empty",
)
FILTER_KEYS = {
    "title": "text",
    "rich_text": "text",
    "email": "text",
    "url": "text",
    "phone_number": "text",
    "select": "option",
    "status": "option",
    "date": "date",
    "number": "number",
    "checkbox": "checkbox",
}


def find_property(schema: dict[str, Record], key: str) -> Record:
    """By name or by property id (an id survives renames)."""
    if key in schema:
        return schema[key]
    for prop in schema.values():
        if prop["id"] == key:
            return prop
    raise invalid(f"Could not find property with name or id: {key}")


def _where(name: str, kind: str) -> str:
    return f"body.properties.{name}.{kind}"


def _text(name: str, kind: str, value: Any) -> list[Record]:
    if not isinstance(value, list) or len(value) > MAX_ITEMS:
        raise invalid(f"{_where(name, kind)} should be an array of at most {MAX_ITEMS} items.")
    out: list[Record] = []
    for item in value:
        content = (item or {}).get("text", {}).get("content") if isinstance(item, dict) else None
        if not isinstance(content, str):
            raise invalid(f"{_where(name, kind)}[].text.content should be defined.")
        if len(content) > MAX_TEXT:
            raise invalid(
                f"{_where(name, kind)}[].text.content.length should be ≤ `{MAX_TEXT}`, "
                f"instead was `{len(content)}`."
            )
        out += rich_text(content)
    return out


def _iso(text: Any) -> bool:
    if not isinstance(text, str):
        return False
    try:
        if len(text) == 10:
            date.fromisoformat(text)
        else:
            datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return False
    return True


def _option(prop: Record, value: Any) -> Record | None:
    """select: an unknown name becomes a new option; status: options must exist already."""
    kind, name = prop["type"], prop["name"]
    if value is None:
        return None
    if not isinstance(value, dict) or not ({"name", "id"} & set(value)):
        raise invalid(f"{_where(name, kind)} should be an object with a name or an id.")
    options: list[Record] = prop[kind]["options"]
    for option in options:
        if option["id"] == value.get("id") or option["name"] == value.get("name"):
            return dict(option)
    if kind == "status" or "name" not in value:
        raise invalid(
            f"Invalid {kind} option for {name}: "
            f"{value.get('name', value.get('id'))!r} does not exist."
        )
    if "," in value["name"] or len(value["name"]) > 100:
        raise invalid(f"Invalid select option name for {name}: no commas, at most 100 characters.")
    option = {
        "id": short_id(value["name"]),
        "name": value["name"],
        "color": COLORS[len(options) % len(COLORS)],
    }
    options.append(option)
    return dict(option)


def write_value(prop: Record, value: Any) -> Any:
    """The stored value of one property from a request's `{"<type>": …}` object."""
    kind, name = prop["type"], prop["name"]
    if not isinstance(value, dict) or kind not in value:
        raise invalid(f"{_where(name, kind)} should be defined, instead was `undefined`.")
    raw = value[kind]
    if kind in ("title", "rich_text"):
        return _text(name, kind, raw)
    if kind in ("select", "status"):
        return _option(prop, raw)
    if kind == "multi_select":
        if not isinstance(raw, list):
            raise invalid(f"{_where(name, kind)} should be an array.")
        return [_option({**prop, "type": "select", "select": prop[kind]}, item) for item in raw]
    if kind == "date":
        if raw is None:
            return None
        if not isinstance(raw, dict) or not _iso(raw.get("start")):
            raise invalid(f"{_where(name, kind)}.start should be an ISO 8601 date or date-time.")
        if raw.get("end") is not None and not _iso(raw["end"]):
            raise invalid(f"{_where(name, kind)}.end should be an ISO 8601 date or date-time.")
        return {"start": raw["start"], "end": raw.get("end"), "time_zone": raw.get("time_zone")}
    if kind in ("email", "url", "phone_number"):
        if raw is not None and (not isinstance(raw, str) or len(raw) > 200):
            raise invalid(f"{_where(name, kind)} should be a string of at most 200 characters.")
        return raw
    if kind == "number":
        if raw is not None and (isinstance(raw, bool) or not isinstance(raw, int | float)):
            raise invalid(f"{_where(name, kind)} should be a number.")
        return raw
    if not isinstance(raw, bool):
        raise invalid(f"{_where(name, kind)} should be a boolean.")
    return raw


def plain(prop: Record, value: Any) -> Any:
    """The comparable form of a stored value: text for text types, a name for options."""
    kind = prop["type"]
    if kind in ("title", "rich_text"):
        return "".join(part["plain_text"] for part in value or [])
    if kind in ("select", "status"):
        return value["name"] if value else None
    if kind == "date":
        return value["start"] if value else None
    return value


def _text_match(op: str, wanted: Any, actual: str | None) -> bool:
    """Case-insensitive: Notion does not document it; clients should lower-case anyway."""
    text = (actual or "").casefold()
    if op == "is_empty":
        return not text
    if op == "is_not_empty":
        return bool(text)
    if not isinstance(wanted, str):
        raise invalid(f"body failed validation: filter {op} should be a string.")
    needle = wanted.casefold()
    checks = {
        "equals": text == needle,
        "does_not_equal": text != needle,
        "contains": needle in text,
        "does_not_contain": needle not in text,
        "starts_with": text.startswith(needle),
        "ends_with": text.endswith(needle),
    }
    return checks[op]


def _compare(kind: str, op: str, wanted: Any, actual: Any) -> bool:
    if op == "is_empty":
        return actual in (None, "", [])
    if op == "is_not_empty":
        return actual not in (None, "", [])
    if kind == "text":
        return _text_match(op, wanted, actual)
    if kind == "checkbox":
        return bool(actual) == wanted if op == "equals" else bool(actual) != wanted
    ordered = {
        "equals": actual == wanted,
        "does_not_equal": actual != wanted,
    }
    if op in ordered:
        return ordered[op]
    if actual is None:
        return False
    ranges = {
        "greater_than": actual > wanted,
        "less_than": actual < wanted,
        "greater_than_or_equal_to": actual >= wanted,
        "less_than_or_equal_to": actual <= wanted,
        "after": actual > wanted,
        "before": actual < wanted,
        "on_or_after": actual >= wanted,
        "on_or_before": actual <= wanted,
    }
    return ranges[op]


_OPS = {
    "text": TEXT_OPS,
    "option": ("equals", "does_not_equal", "is_empty", "is_not_empty"),
    "checkbox": ("equals", "does_not_equal"),
    "number": (
        "equals",
        "does_not_equal",
        "greater_than",
        "less_than",
        "greater_than_or_equal_to",
        "less_than_or_equal_to",
        "is_empty",
        "is_not_empty",
    ),
    "date": (
        "equals",
        "before",
        "after",
        "on_or_before",
        "on_or_after",
        "is_empty",
        "is_not_empty",
    ),
}


def page_matches(schema: dict[str, Record], values: Record, spec: Any) -> bool:
    """One filter object: `and`/`or` compounds, or `{property, <type>: {<op>: value}}`."""
    if not isinstance(spec, dict):
        raise invalid("body failed validation: body.filter should be an object.")
    if "and" in spec or "or" in spec:
        parts = spec.get("and", spec.get("or"))
        if not isinstance(parts, list):
            raise invalid("body failed validation: a compound filter should be an array.")
        results = [page_matches(schema, values, part) for part in parts]
        return all(results) if "and" in spec else any(results)
    if "property" not in spec:
        raise invalid("body failed validation: body.filter.property should be defined.")
    prop = find_property(schema, str(spec["property"]))
    kind = prop["type"]
    if kind not in spec:
        given = sorted(set(spec) - {"property", "type"})
        raise invalid(
            f"body failed validation: body.filter.{kind} should be defined for property "
            f"{prop['name']} of type {kind}, instead got {', '.join(given) or 'nothing'}."
        )
    condition = spec[kind]
    family = FILTER_KEYS.get(kind)
    if family is None or not isinstance(condition, dict) or len(condition) != 1:
        raise invalid(f"body failed validation: body.filter.{kind} should have one operator.")
    [(op, wanted)] = condition.items()
    if op not in _OPS[family]:
        raise invalid(f"body failed validation: {op} is not a {kind} filter operator.")
    return _compare(family, op, wanted, plain(prop, values.get(prop["name"])))
