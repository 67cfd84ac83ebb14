"""`POST /data/search/`, the Advanced Filtering subset clients use to find contacts by email:
`and`/`or`, `object_type` (contact, lead), `has_related` (contact → contact_email,
lead → contact or contact_email, nested), `field_condition` with `text` conditions
(crm_apis.md §3.5 a)."""

import base64
import re
from collections.abc import Callable
from typing import Any

from dealflow_emulators.close.records import CloseError
from dealflow_emulators.common import Record, Store

_WORD = re.compile(r"[0-9a-z]+")


def _words(text: str) -> list[str]:
    return _WORD.findall(text.casefold())


def _text_matches(mode: str, value: str, actual: str) -> bool:
    """`full_words` and `phrase` match whole words in order, so `jane@acme.com` also matches
    `jane@acme.com.au`: a client must compare the emails it gets back."""
    if mode == "exact_value":
        return actual.casefold() == value.casefold()
    wanted, have = _words(value), _words(actual)
    if not wanted:
        return False
    if mode in ("full_words", "phrase"):
        n = len(wanted)
        return any(have[i : i + n] == wanted for i in range(len(have) - n + 1))
    if mode == "beginning_of_words":
        return all(any(h.startswith(w) for h in have) for w in wanted)
    raise CloseError(400, errors=[f"Unsupported text mode: {mode}"])


def _related(
    store: Store, kind: str, record: Record, related_kind: str
) -> list[tuple[str, Record]]:
    if kind == "contact" and related_kind == "contact_email":
        return [("contact_email", e) for e in record.get("emails", [])]
    if kind == "lead" and related_kind == "contact":
        return [("contact", c) for c in store["contacts"] if c["lead_id"] == record["id"]]
    if kind == "lead" and related_kind == "contact_email":
        return [
            ("contact_email", e)
            for c in store["contacts"]
            if c["lead_id"] == record["id"]
            for e in c.get("emails", [])
        ]
    raise CloseError(400, errors=[f"Unsupported relation: {kind} -> {related_kind}"])


def matches(store: Store, query: Any, kind: str, record: Record) -> bool:
    if not isinstance(query, dict) or "type" not in query:
        raise CloseError(400, errors=["Each query needs a type."])
    qtype = query["type"]
    result: bool
    if qtype in ("and", "or"):
        parts = [matches(store, q, kind, record) for q in query.get("queries", [])]
        result = all(parts) if qtype == "and" else any(parts)
    elif qtype == "object_type":
        result = query.get("object_type") == kind
    elif qtype == "has_related":
        if query.get("this_object_type", kind) != kind:
            result = False  # a lead's relation says nothing about a contact (and vice versa)
        else:
            related = _related(store, kind, record, str(query.get("related_object_type")))
            result = any(matches(store, query.get("related_query"), k, r) for k, r in related)
    elif qtype == "field_condition":
        result = _field_condition(query, kind, record)
    elif qtype == "match_all":
        result = True
    else:
        raise CloseError(400, errors=[f"Unsupported query type: {qtype}"])
    return result != bool(query.get("negate", False))


def _field_condition(query: Record, kind: str, record: Record) -> bool:
    field = query.get("field") or {}
    condition = query.get("condition") or {}
    if field.get("object_type") not in (None, kind):
        return False
    actual = record.get(str(field.get("field_name")))
    if condition.get("type") == "text":
        return isinstance(actual, str) and _text_matches(
            str(condition.get("mode", "full_words")), str(condition.get("value", "")), actual
        )
    if condition.get("type") == "term":
        return actual in (condition.get("values") or [])
    raise CloseError(400, errors=[f"Unsupported condition type: {condition.get('type')}"])


def search(store: Store, body: Record, view: Callable[[str, Record], Record]) -> Record:
    """Contacts and leads that match, `_fields` applied, paged by `limit` and `cursor`."""
    query = body.get("query")
    if query is None:
        raise CloseError(400, field_errors={"query": "This field is required."})
    candidates = [("contact", c) for c in store["contacts"]] + [
        ("lead", lead) for lead in store["leads"]
    ]
    hits = [(k, r) for k, r in candidates if matches(store, query, k, r)]
    if body.get("results_limit") is not None:
        hits = hits[: int(body["results_limit"])]
    limit = body.get("limit") or 100
    start = int(base64.urlsafe_b64decode(body["cursor"]).decode()) if body.get("cursor") else 0
    page = hits[start : start + limit]
    fields = body.get("_fields") or {}
    data = []
    for kind, record in page:
        shown = view(kind, record)
        wanted = fields.get(kind)
        if wanted:
            # the documented example also shows a contact's lead_id
            keep = set(wanted) | ({"lead_id"} if kind == "contact" else set())
            shown = {k: v for k, v in shown.items() if k in keep}
        data.append({"__object_type": kind, **shown})
    more = start + limit < len(hits)
    cursor = base64.urlsafe_b64encode(str(start + limit).encode()).decode() if more else None
    return {"data": data, "cursor": cursor}
