"""Close's creates and updates, with its validation answers (crm_apis.md §3.5 b to e)."""

from typing import Any

from dealflow_emulators.close.records import (
    CloseError,
    invalid,
    new_id,
    organization_id,
    stamp,
    today_in,
)
from dealflow_emulators.common import Record, Store

VALUE_PERIODS = ("one_time", "monthly", "annual")


def _audit(store: Store, user_id: str, record: Record, created: bool) -> Record:
    now = stamp()
    if created:
        record.update(organization_id=organization_id(store), date_created=now, created_by=user_id)
    record.update(date_updated=now, updated_by=user_id)
    return record


def _emails(value: Any) -> list[Record]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(
        isinstance(e, dict) and isinstance(e.get("email"), str) and "@" in e["email"] for e in value
    ):
        raise invalid("emails", "Each email needs a valid `email`.")
    return [
        {"type": e.get("type", "office"), "email": e["email"], "email_lower": e["email"].lower()}
        for e in value
    ]


def _phones(value: Any) -> list[Record]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(
        isinstance(p, dict) and isinstance(p.get("phone"), str) for p in value
    ):
        raise invalid("phones", "Each phone needs a `phone`.")
    return [
        {"type": p.get("type", "office"), "phone": p["phone"], "phone_formatted": p["phone"]}
        for p in value
    ]


def _custom(body: Record) -> Record:
    return {k: v for k, v in body.items() if k.startswith("custom.")}


def save_contact(store: Store, user_id: str, body: Record, current: Record | None = None) -> Record:
    """`POST /contact/` without `lead_id` makes a lead named after the contact (§3.5)."""
    lead_id = body.get("lead_id", current["lead_id"] if current else None)
    if lead_id is None:
        lead_id = create_lead(store, user_id, {"name": body.get("name")})["id"]
    elif store["leads"].get(lead_id) is None:
        raise invalid("lead_id", "Object does not exist.")
    contact: Record = dict(current) if current else {"id": new_id("cont")}
    name = body.get("name", contact.get("name", ""))
    contact.update(
        lead_id=lead_id,
        name=name,
        display_name=name,
        title=body.get("title", contact.get("title", "")),
        emails=_emails(body["emails"]) if "emails" in body else contact.get("emails", []),
        phones=_phones(body["phones"]) if "phones" in body else contact.get("phones", []),
        urls=body.get("urls", contact.get("urls", [])),
        **_custom(body),
    )
    store["contacts"].put(contact["id"], _audit(store, user_id, contact, current is None))
    return contact


def _lead_status(store: Store, body: Record) -> str:
    if "status_id" in body and "status" in body:
        raise CloseError(400, errors=["Send status_id or status, not both."])
    statuses = store["lead_statuses"].values()
    if "status" in body:
        for status in statuses:
            if status["label"].casefold() == str(body["status"]).casefold():
                return str(status["id"])
        raise invalid("status", "No lead status with this label.")
    if "status_id" in body:
        if store["lead_statuses"].get(body["status_id"]) is None:
            raise invalid("status_id", "Object does not exist.")
        return str(body["status_id"])
    return str(statuses[0]["id"])


def create_lead(store: Store, user_id: str, body: Record) -> Record:
    """A lead with its nested contacts (and addresses, custom fields), never opportunities."""
    for nested in ("opportunities", "tasks", "activities"):
        if nested in body:
            raise invalid(nested, "Cannot be nested in a lead; create it on its own.")
    contacts = body.get("contacts") or []
    if not isinstance(contacts, list):
        raise invalid("contacts", "Must be a list.")
    lead_id = new_id("lead")
    lead = {
        "id": lead_id,
        "name": body.get("name") or "",
        "status_id": _lead_status(store, body),
        "description": body.get("description", ""),
        "url": body.get("url"),
        "addresses": body.get("addresses", []),
        "html_url": f"https://app.close.com/lead/{lead_id}/",
        **_custom(body),
    }
    store["leads"].put(lead_id, _audit(store, user_id, lead, True))
    try:
        for contact in contacts:
            save_contact(store, user_id, {**contact, "lead_id": lead_id})
    except CloseError:
        for contact in [c for c in store["contacts"] if c["lead_id"] == lead_id]:
            store["contacts"].remove(contact["id"])
        store["leads"].remove(lead_id)
        raise
    return lead


def update_lead(store: Store, user_id: str, lead: Record, body: Record) -> Record:
    changes: Record = {k: body[k] for k in ("name", "description", "url", "addresses") if k in body}
    if "status_id" in body or "status" in body:
        changes["status_id"] = _lead_status(store, body)
    updated = {**lead, **changes, **_custom(body)}
    store["leads"].put(lead["id"], _audit(store, user_id, updated, False))
    return updated


def _int_field(body: Record, key: str, low: int | None = None, high: int | None = None) -> Any:
    value = body.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise invalid(key, "Must be an integer.")
    if (low is not None and value < low) or (high is not None and value > high):
        raise invalid(key, f"Must be between {low} and {high}.")
    return value


def _opportunity_status(store: Store, body: Record, current: Record | None) -> str:
    statuses = store["opportunity_statuses"]
    pipeline_id = body.get("pipeline_id")
    if pipeline_id is not None and store["pipelines"].get(pipeline_id) is None:
        raise invalid("pipeline_id", "Object does not exist.")
    status_id = body.get("status_id")
    if status_id is not None:
        status = statuses.get(status_id)
        if status is None:
            raise invalid("status_id", "Object does not exist.")
        if pipeline_id is not None and status["pipeline_id"] != pipeline_id:
            raise invalid("status_id", "Status does not belong to the pipeline.")
        return str(status_id)
    if current is not None and pipeline_id is None:
        return str(current["status_id"])
    if pipeline_id is None:
        pipeline_id = store["pipelines"].values()[0]["id"]
    first = next(s for s in statuses if s["pipeline_id"] == pipeline_id)
    return str(first["id"])


def save_opportunity(
    store: Store, user_id: str, body: Record, tz_offset: str | None, current: Record | None = None
) -> Record:
    """Moving to a won status sets `date_won` to today unless set or sent (§3.5 e)."""
    lead_id = body.get("lead_id", current["lead_id"] if current else None)
    if lead_id is None:
        lead_id = create_lead(store, user_id, {"name": "Untitled"})["id"]
    elif store["leads"].get(lead_id) is None:
        raise invalid("lead_id", "Object does not exist.")
    contact_id = body.get("contact_id", current["contact_id"] if current else None)
    if contact_id is not None and store["contacts"].get(contact_id) is None:
        raise invalid("contact_id", "Object does not exist.")
    owner = str(body.get("user_id", current["user_id"] if current else user_id))
    if store["users"].get(owner) is None:
        raise invalid("user_id", "Object does not exist.")
    period = body.get("value_period", current["value_period"] if current else "one_time")
    if period not in VALUE_PERIODS:
        raise invalid("value_period", "Must be one of one_time, monthly, annual.")
    status_id = _opportunity_status(store, body, current)
    opp: Record = (
        dict(current)
        if current
        else {
            "id": new_id("oppo"),
            "value": None,
            "confidence": 0,
            "note": "",
            "date_won": None,
            "date_lost": None,
            "value_currency": "USD",
        }
    )
    for key, low, high in (("value", None, None), ("confidence", 0, 100)):
        if key in body:
            opp[key] = _int_field(body, key, low, high)
    kind = store["opportunity_statuses"].get(status_id)["type"]  # type: ignore[index]
    if kind == "won" and opp["date_won"] is None and body.get("date_won") is None:
        opp["date_won"] = today_in(tz_offset)
    if kind == "lost" and current is not None and current["status_id"] != status_id:
        opp["date_lost"] = today_in(tz_offset)  # assumed by symmetry; Close documents date_won
    opp.update(
        lead_id=lead_id,
        contact_id=contact_id,
        user_id=owner,
        status_id=status_id,
        value_period=period,
        note=body.get("note", opp["note"]),
        value_currency=body.get("value_currency", opp["value_currency"]),
        **_custom(body),
    )
    if body.get("date_won") is not None:
        opp["date_won"] = body["date_won"]
    store["opportunities"].put(opp["id"], _audit(store, user_id, opp, current is None))
    return opp
