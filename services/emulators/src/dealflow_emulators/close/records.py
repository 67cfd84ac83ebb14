"""Close's records: prefixed string ids, leads owning contacts and opportunities, money in cents
(crm_apis.md §3.1, §3.5). Leads and opportunities are stored bare and rendered with what they
embed or derive (contacts, status labels, formatted values) when read."""

import random
import secrets
import string
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from dealflow_emulators.common import Collection, Record, Store, iso_ms, utc_now

KINDS = (
    "organizations",
    "users",
    "lead_statuses",
    "pipelines",
    "opportunity_statuses",
    "leads",
    "contacts",
    "opportunities",
    "custom_activity_types",
    "activity_custom_fields",
    "custom_activities",
    "notes",
    "meetings",
)


class CloseError(Exception):
    """A 4xx in Close's shape: validation errors as `{errors, field-errors}`, others `{error}`."""

    def __init__(
        self,
        status: int,
        error: str | None = None,
        *,
        errors: list[str] | None = None,
        field_errors: dict[str, str] | None = None,
    ) -> None:
        super().__init__(error or errors or field_errors)
        self.status = status
        self.error = error
        self.errors = errors or []
        self.field_errors = field_errors or {}

    def body(self) -> dict[str, Any]:
        if self.status == 400 and self.error is None:
            return {"errors": self.errors, "field-errors": self.field_errors}
        return {"error": self.error}


def invalid(field: str, message: str) -> CloseError:
    return CloseError(400, field_errors={field: message})


_ALPHABET = string.ascii_letters + string.digits


def new_id(prefix: str, rng: random.Random | None = None) -> str:
    """`lead_…`, `cont_…`: the prefix, then 43 letters and digits like Close's own. The seeded
    fixtures draw from a fixed generator, so their ids survive restarts (a connection's
    configured pipeline and statuses stay valid)."""
    if rng is not None:
        return f"{prefix}_{''.join(rng.choices(_ALPHABET, k=43))}"
    return f"{prefix}_{''.join(secrets.choice(_ALPHABET) for _ in range(43))}"


def stamp() -> str:
    return iso_ms(utc_now()).replace("Z", "+00:00")


def new_store() -> Store:
    return Store(Collection(kind) for kind in KINDS)


def seed(store: Store) -> None:
    """One organization, two users, the default lead statuses and a "Sales" pipeline."""
    rng = random.Random("close-emulator-fixtures")
    org_id = new_id("orga", rng)
    store["organizations"].put(org_id, {"id": org_id, "name": "Emulated Co"})
    for first, last, email in (
        ("Ada", "Owner", "owner@example.com"),
        ("Ben", "Seller", "ben@example.com"),
    ):
        user_id = new_id("user", rng)
        store["users"].put(
            user_id,
            {
                "id": user_id,
                "email": email,
                "first_name": first,
                "last_name": last,
                "image": None,
                "organizations": [org_id],
                "date_created": "2025-01-01T09:00:00+00:00",
                "date_updated": "2025-01-01T09:00:00+00:00",
            },
        )
    for label in ("Potential", "Bad Fit", "Qualified", "Customer"):
        status_id = new_id("stat", rng)
        store["lead_statuses"].put(status_id, {"id": status_id, "label": label})
    add_pipeline(
        store,
        "Sales",
        (("Active", "active"), ("Demo Completed", "active"), ("Won", "won"), ("Lost", "lost")),
        rng,
    )


def organization_id(store: Store) -> str:
    org_id: str = store["organizations"].values()[0]["id"]
    return org_id


def add_pipeline(
    store: Store,
    name: str,
    statuses: tuple[tuple[str, str], ...],
    rng: random.Random | None = None,
) -> Record:
    pipeline_id = new_id("pipe", rng)
    pipeline = store["pipelines"].put(
        pipeline_id, {"id": pipeline_id, "name": name, "organization_id": organization_id(store)}
    )
    for label, kind in statuses:
        add_status(store, label, kind, pipeline_id, rng)
    return pipeline


def add_status(
    store: Store, label: str, kind: str, pipeline_id: str, rng: random.Random | None = None
) -> Record:
    if kind not in ("active", "won", "lost"):
        raise invalid("type", "Must be one of active, won, lost.")
    pipeline = store["pipelines"].get(pipeline_id)
    if pipeline is None:
        raise invalid("pipeline_id", "Object does not exist.")
    status_id = new_id("stat", rng)
    return store["opportunity_statuses"].put(
        status_id,
        {
            "id": status_id,
            "label": label,
            "type": kind,
            "pipeline_id": pipeline_id,
            "pipeline_name": pipeline["name"],
            "organization_id": pipeline["organization_id"],
        },
    )


def pipeline_view(store: Store, pipeline: Record) -> Record:
    statuses = [s for s in store["opportunity_statuses"] if s["pipeline_id"] == pipeline["id"]]
    return {**pipeline, "statuses": statuses}


def contact_view(contact: Record) -> Record:
    return dict(contact)


def lead_view(store: Store, lead: Record) -> Record:
    contacts = [c for c in store["contacts"] if c["lead_id"] == lead["id"]]
    opportunities = [
        opportunity_view(store, o) for o in store["opportunities"] if o["lead_id"] == lead["id"]
    ]
    status = store["lead_statuses"].get(lead["status_id"]) or {}
    return {
        **lead,
        "display_name": lead["name"] or (contacts[0]["name"] if contacts else ""),
        "status_label": status.get("label"),
        "contacts": contacts,
        "contact_ids": [c["id"] for c in contacts],
        "opportunities": opportunities,
        "tasks": [],
        "primary_email": next((e for c in contacts for e in c["emails"]), None),
    }


def money(cents: int, currency: str) -> str:
    symbol = {"USD": "$", "EUR": "€", "GBP": "£"}.get(currency, f"{currency} ")
    whole, rest = divmod(abs(cents), 100)
    sign = "-" if cents < 0 else ""
    return f"{sign}{symbol}{whole:,}" + (f".{rest:02d}" if rest else "")


def opportunity_view(store: Store, opp: Record) -> Record:
    status = store["opportunity_statuses"].get(opp["status_id"]) or {}
    lead = store["leads"].get(opp["lead_id"]) or {}
    user = store["users"].get(opp["user_id"]) or {}
    contact = store["contacts"].get(opp["contact_id"]) if opp["contact_id"] else None
    value = opp["value"] or 0
    yearly = value * 12 if opp["value_period"] == "monthly" else value
    confidence = opp["confidence"] or 0
    return {
        **opp,
        "status_label": status.get("label"),
        "status_type": status.get("type"),
        "status_display_name": status.get("label"),
        "pipeline_id": status.get("pipeline_id"),
        "pipeline_name": status.get("pipeline_name"),
        "lead_name": lead.get("name"),
        "user_name": f"{user.get('first_name', '')} {user.get('last_name', '')}".strip(),
        "contact_name": contact["name"] if contact else None,
        "value_formatted": money(value, opp["value_currency"]),
        "annualized_value": yearly,
        "expected_value": value * confidence // 100,
        "annualized_expected_value": yearly * confidence // 100,
    }


def today_in(offset_header: str | None) -> str:
    """The date `date_won` gets: today at the client's `X-TZ-Offset` (`+01:00`, `-0500`, `-5`)."""
    moment = datetime.now(UTC)
    if offset_header:
        raw = offset_header.strip()
        sign = -1 if raw.startswith("-") else 1
        digits = raw.lstrip("+-").replace(":", "")
        try:
            hours, minutes = (
                (int(digits[:-2] or 0), int(digits[-2:])) if len(digits) > 2 else (int(digits), 0)
            )
            moment = moment.astimezone(timezone(sign * timedelta(hours=hours, minutes=minutes)))
        except ValueError:
            pass
    return moment.date().isoformat()
