"""Close (crm_apis.md §3): the company is a lead, the person a contact on it, the deal an
opportunity on the lead, the meeting a custom activity.

- Contacts are found by email with Advanced Filtering (`POST /data/search/`). Its `full_words`
  mode also matches longer addresses (`jane@acme.com` finds `jane@acme.com.au`), so the emails
  returned are compared exactly. A new contact joins the lead of its company (a lead whose
  contacts have addresses at the company's domain, else one with the company's name), or a new
  lead is created with the contact nested; a personal address (no company) gets a lead named
  after the person.
- Meetings: Close meetings come from calendar sync and cannot be created over the API (405,
  §3.5 h). A note (`/activity/note/`) could carry text, but it has no start, end or status a
  user can filter or report on, and it can only be found again by reading its text. So meetings
  are a custom activity type "Dealflow meeting" whose fields (start, end, time zone, status,
  outcome, notes, link, opportunity, Dealflow ID) `ensure_schema` declares once, found by name,
  as Cal.com does with its own type. Close cannot link an activity to an opportunity; the
  "Opportunity" field names it.
- Markers: the activity's "Dealflow ID" field, and the last line of the opportunity's note (an
  opportunity has no other free field without a custom field the account would have to
  declare). Both are written with the create, so `recover=True` finds an uncertain create among
  the lead's activities or opportunities.

Money is sent in cents (§3.1). Every path ends in `/` (§3.1).
"""

import base64
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import httpx

from crm_push.providers.activity_text import STATE_LABELS, has_marker, utc
from crm_push.providers.base import (
    CompanyData,
    ContactData,
    ContactRef,
    CrmUser,
    DealData,
    DealState,
    MeetingData,
    Pipeline,
    Provider,
    Stage,
    marker,
)
from crm_push.providers.transport import (
    Auth,
    FailureKind,
    ProviderError,
    ProviderHttp,
    StaticAuth,
    Throttle,
)

API = "/api/v1"
PAGE = 100  # Close's largest `_limit` (§3.4)
GONE = frozenset({404, 410})
MEETING_TYPE_NAME = "Dealflow meeting"


@dataclass(frozen=True)
class FieldSpec:
    key: str
    name: str
    type: str
    choices: tuple[str, ...] | None = None


MEETING_FIELDS = (
    FieldSpec("title", "Title", "text"),
    FieldSpec("start", "Start", "datetime"),
    FieldSpec("end", "End", "datetime"),
    FieldSpec("time_zone", "Time zone", "text"),
    FieldSpec("status", "Status", "choices", tuple(STATE_LABELS.values())),
    FieldSpec("outcome", "Outcome", "text"),
    FieldSpec("notes", "Notes", "text"),
    FieldSpec("link", "Meeting link", "url"),
    FieldSpec("opportunity", "Opportunity", "text"),
    FieldSpec("dealflow_id", "Dealflow ID", "text"),
)


@dataclass(frozen=True)
class MeetingSchema:
    """The custom activity type and its field ids, keyed by `FieldSpec.key`."""

    type_id: str
    field_ids: Mapping[str, str]

    def key(self, field: str) -> str:
        return f"custom.{self.field_ids[field]}"


def api_key_auth(key: str) -> StaticAuth:
    """HTTP Basic with the key as the username and an empty password (§3.1)."""
    token = base64.b64encode(f"{key}:".encode()).decode()
    return StaticAuth({"Authorization": f"Basic {token}"})


def close_error(response: httpx.Response, body: Any) -> tuple[str | None, str]:
    """`{"error": ...}`, or a validation 400 `{"errors": [...], "field-errors": {...}}` (§3.2)."""
    fallback = response.reason_phrase or f"HTTP {response.status_code}"
    if not isinstance(body, Mapping):
        return None, fallback
    errors = [str(e) for e in body.get("errors") or []]
    field_errors = body.get("field-errors") or {}
    if errors or field_errors:
        details = [*errors, *(f"{name}: {text}" for name, text in field_errors.items())]
        return "validation_error", "; ".join(details)
    error = body.get("error")
    return None, str(error) if error else fallback


def close_http(
    client: httpx.AsyncClient, base_url: str, auth: Auth, *, throttle: Throttle | None = None
) -> ProviderHttp:
    """`base_url` is the host (`https://api.close.com`); paths carry `/api/v1/`."""
    return ProviderHttp(
        client=client, base_url=base_url, auth=auth, error_reader=close_error, throttle=throttle
    )


def _cents(value: Decimal) -> int:
    return int((value * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _custom(properties: Mapping[str, str]) -> dict[str, str]:
    """A field mapping names `cf_…` or `custom.cf_…`; Close writes `custom.cf_…` keys."""
    return {k if k.startswith("custom.") else f"custom.{k}": v for k, v in properties.items()}


def _person_name(contact: ContactData) -> str | None:
    if contact.full_name:
        return contact.full_name.strip()
    parts = [p.strip() for p in (contact.first_name, contact.last_name) if p and p.strip()]
    return " ".join(parts) or None


def _text(condition_field: dict[str, str], value: str) -> dict[str, Any]:
    return {
        "type": "field_condition",
        "field": {"type": "regular_field", **condition_field},
        "condition": {"type": "text", "mode": "full_words", "value": value},
    }


def _email_condition(value: str) -> dict[str, Any]:
    """Contacts with an email address matching `value` in `full_words` mode."""
    return {
        "type": "has_related",
        "this_object_type": "contact",
        "related_object_type": "contact_email",
        "related_query": _text({"object_type": "contact_email", "field_name": "email"}, value),
    }


class CloseAdapter:
    provider = Provider.CLOSE

    def __init__(self, http: ProviderHttp) -> None:
        self.http = http
        self._schema: MeetingSchema | None = None

    # -- account ---------------------------------------------------------------------------------

    async def verify(self) -> None:
        await self.http.request("verify", "GET", f"{API}/pipeline/")

    async def pipelines(self) -> list[Pipeline]:
        """Pipelines with their opportunity statuses (active, then won and lost) as stages."""
        return [
            Pipeline(
                id=p["id"],
                name=p["name"],
                stages=tuple(
                    Stage(id=s["id"], name=s["label"], pipeline_id=p["id"], order=n)
                    for n, s in enumerate(p.get("statuses") or [], start=1)
                ),
            )
            for p in await self._all("list_pipelines", f"{API}/pipeline/")
        ]

    async def users(self) -> list[CrmUser]:
        return [
            CrmUser(
                id=u["id"],
                email=u["email"],
                name=" ".join(p for p in (u.get("first_name"), u.get("last_name")) if p) or None,
            )
            for u in await self._all("list_users", f"{API}/user/")
        ]

    async def ensure_schema(self) -> MeetingSchema:
        """The "Dealflow meeting" activity type and its fields, each created unless it exists
        (found by name), so calling it again changes nothing."""
        if self._schema is not None:
            return self._schema
        types = await self._all("list_activity_types", f"{API}/custom_activity/")
        found = [t for t in types if t.get("name") == MEETING_TYPE_NAME]
        if found:
            type_id = found[0]["id"]
        else:
            body = {
                "name": MEETING_TYPE_NAME,
                "description": "Meetings booked through Dealflow.",
                "api_create_only": True,
            }
            created = await self.http.request(
                "create_activity_type", "POST", f"{API}/custom_activity/", json=body
            )
            type_id = created["id"]
        fields = await self._all(
            "list_activity_fields",
            f"{API}/custom_field/activity/",
            {"custom_activity_type_id": type_id},
        )
        by_name = {
            f["name"]: f["id"] for f in fields if f.get("custom_activity_type_id") == type_id
        }
        field_ids: dict[str, str] = {}
        for spec in MEETING_FIELDS:
            if spec.name not in by_name:
                body = {"name": spec.name, "type": spec.type, "custom_activity_type_id": type_id}
                if spec.choices:
                    body["choices"] = list(spec.choices)
                made = await self.http.request(
                    "create_activity_field", "POST", f"{API}/custom_field/activity/", json=body
                )
                by_name[spec.name] = made["id"]
            field_ids[spec.key] = by_name[spec.name]
        self._schema = MeetingSchema(type_id=type_id, field_ids=field_ids)
        return self._schema

    # -- contacts --------------------------------------------------------------------------------

    async def upsert_contact(self, contact: ContactData, known: ContactRef | None) -> ContactRef:
        record = await self._get("get_contact", "contact", known.contact_id) if known else None
        if record is None:
            record = await self._find_contact(contact.email)
        if record is None:
            return await self._create_contact(contact)
        changes = self._contact_changes(record, contact)
        if changes:
            await self.http.request(
                "update_contact", "PUT", f"{API}/contact/{record['id']}/", json=changes
            )
        return ContactRef(record["id"], record["lead_id"])

    async def _find_contact(self, email: str) -> dict[str, Any] | None:
        query = {
            "type": "and",
            "queries": [{"type": "object_type", "object_type": "contact"}, _email_condition(email)],
        }
        fields = ["id", "lead_id", "name", "emails", "phones"]
        for item in await self._search("search_contact", query, {"contact": fields}):
            if any(e.get("email", "").casefold() == email.casefold() for e in item["emails"]):
                return item
        return None

    def _contact_changes(self, record: Mapping[str, Any], contact: ContactData) -> dict[str, Any]:
        """Only what differs: an unchanged contact costs no write."""
        changes: dict[str, Any] = {}
        name = _person_name(contact)
        if name and record.get("name") != name:
            changes["name"] = name
        emails = list(record.get("emails") or [])
        if not any(e.get("email", "").casefold() == contact.email.casefold() for e in emails):
            kept = [{"email": e["email"], "type": e.get("type", "office")} for e in emails]
            changes["emails"] = [*kept, {"email": contact.email, "type": "office"}]
        phones = list(record.get("phones") or [])
        if contact.phone and not any(p.get("phone") == contact.phone for p in phones):
            kept = [{"phone": p["phone"], "type": p.get("type", "office")} for p in phones]
            changes["phones"] = [*kept, {"phone": contact.phone, "type": "office"}]
        for key, value in _custom(contact.properties).items():
            if record.get(key) != value:
                changes[key] = value
        return changes

    def _contact_body(self, contact: ContactData) -> dict[str, Any]:
        body: dict[str, Any] = {
            "name": _person_name(contact) or contact.email.split("@")[0],
            "emails": [{"email": contact.email, "type": "office"}],
            **_custom(contact.properties),
        }
        if contact.phone:
            body["phones"] = [{"phone": contact.phone, "type": "office"}]
        return body

    async def _create_contact(self, contact: ContactData) -> ContactRef:
        body = self._contact_body(contact)
        lead_id = await self._find_lead(contact.company) if contact.company else None
        if lead_id is not None:
            made = await self.http.request(
                "create_contact", "POST", f"{API}/contact/", json={**body, "lead_id": lead_id}
            )
            return ContactRef(made["id"], lead_id)
        lead: dict[str, Any] = {"name": body["name"], "contacts": [body]}
        if contact.company:
            lead["name"] = contact.company.name.strip() or contact.company.domain
            lead["url"] = f"https://{contact.company.domain}"
        made = await self.http.request("create_lead", "POST", f"{API}/lead/", json=lead)
        return ContactRef(made["contacts"][0]["id"], made["id"])

    async def _find_lead(self, company: CompanyData) -> str | None:
        """The lead with a contact at the company's domain, else the one named like it."""
        domain, name = company.domain.casefold(), company.name.strip()
        at_domain = {
            "type": "has_related",
            "this_object_type": "lead",
            "related_object_type": "contact",
            "related_query": _email_condition(domain),
        }
        alternatives: list[dict[str, Any]] = [at_domain]
        if name:
            alternatives.append(_text({"object_type": "lead", "field_name": "name"}, name))
        query = {
            "type": "and",
            "queries": [
                {"type": "object_type", "object_type": "lead"},
                {"type": "or", "queries": alternatives},
            ],
        }
        leads = await self._search("search_lead", query, {"lead": ["id", "name", "contacts"]})
        for lead in leads:
            emails = (e.get("email", "") for c in lead.get("contacts") or [] for e in c["emails"])
            if any(e.casefold().endswith(f"@{domain}") for e in emails):
                return str(lead["id"])
        for lead in leads:
            if name and str(lead.get("name", "")).casefold() == name.casefold():
                return str(lead["id"])
        return None

    # -- opportunities ---------------------------------------------------------------------------

    async def upsert_deal(
        self, deal: DealData, contact: ContactRef, known_id: str | None, *, recover: bool
    ) -> str:
        lead_id = await self._lead_of(contact)
        deal_marker = marker("deal", deal.deal_id)
        body = await self._opportunity_body(deal, contact, lead_id, deal_marker)
        if known_id is not None and await self._update(
            "update_opportunity", "opportunity", known_id, body
        ):
            return known_id
        if recover:
            for opp in await self._all(
                "find_opportunity", f"{API}/opportunity/", {"lead_id": lead_id}
            ):
                if has_marker(opp.get("note"), deal_marker):
                    await self._update("update_opportunity", "opportunity", opp["id"], body)
                    return str(opp["id"])
        if "status_id" not in body:
            body["status_id"] = await self._pipeline_status(deal.pipeline_id, "active")
        made = await self.http.request(
            "create_opportunity", "POST", f"{API}/opportunity/", json=body
        )
        return str(made["id"])

    async def _opportunity_body(
        self, deal: DealData, contact: ContactRef, lead_id: str, deal_marker: str
    ) -> dict[str, Any]:
        lines = [deal.name]
        if deal.state is DealState.LOST and deal.lost_reason:
            lines.append(f"Lost: {deal.lost_reason}")
        body: dict[str, Any] = {
            "lead_id": lead_id,
            "contact_id": contact.contact_id,
            "note": "\n".join([*lines, f"Dealflow reference: {deal_marker}"]),
            "value_period": "one_time",
            "value_currency": deal.currency,
            **_custom(deal.properties),
        }
        if deal.value is not None:
            body["value"] = _cents(deal.value)
        if deal.owner_id is not None:
            body["user_id"] = deal.owner_id
        if deal.stage_id is not None:
            body["status_id"] = deal.stage_id
        elif deal.state is not DealState.OPEN:
            body["status_id"] = await self._pipeline_status(deal.pipeline_id, deal.state.value)
        if deal.state is DealState.WON:
            body["confidence"] = 100
            if deal.closed_at is not None:
                body["date_won"] = utc(deal.closed_at).date().isoformat()
        elif deal.state is DealState.LOST:
            body["confidence"] = 0
        elif deal.expected_close_date is not None:
            body["date_won"] = deal.expected_close_date.isoformat()  # Close's expected close
        return body

    async def _pipeline_status(self, pipeline_id: str | None, kind: str) -> str:
        """The first status of that type (active, won, lost) in the pipeline (or the first
        pipeline): where a deal goes when no status is mapped."""
        pipelines = await self._all("list_pipelines", f"{API}/pipeline/")
        chosen = next((p for p in pipelines if p["id"] == pipeline_id), None)
        if chosen is None and pipeline_id is None and pipelines:
            chosen = pipelines[0]
        for status in (chosen or {}).get("statuses") or []:
            if status.get("type") == kind:
                return str(status["id"])
        raise ProviderError(
            FailureKind.REJECTED, f"Close pipeline {pipeline_id or '(first)'} has no {kind} status"
        )

    # -- meetings --------------------------------------------------------------------------------

    async def upsert_meeting(
        self,
        meeting: MeetingData,
        contact: ContactRef,
        deal_id: str | None,
        known_id: str | None,
        *,
        recover: bool,
    ) -> str:
        schema = await self.ensure_schema()
        lead_id = await self._lead_of(contact)
        meeting_marker = marker("meeting", meeting.meeting_id)
        body = self._activity_body(schema, meeting, contact, lead_id, deal_id, meeting_marker)
        if known_id is not None and await self._update(
            "update_activity", "activity/custom", known_id, body
        ):
            return known_id
        if recover:
            path = f"{API}/activity/custom/"
            for act in await self._all("find_activity", path, {"lead_id": lead_id}):
                if act.get(schema.key("dealflow_id")) == meeting_marker:
                    await self._update("update_activity", "activity/custom", act["id"], body)
                    return str(act["id"])
        made = await self.http.request(
            "create_activity", "POST", f"{API}/activity/custom/", json=body
        )
        return str(made["id"])

    def _activity_body(
        self,
        schema: MeetingSchema,
        meeting: MeetingData,
        contact: ContactRef,
        lead_id: str,
        deal_id: str | None,
        meeting_marker: str,
    ) -> dict[str, Any]:
        notes = [f"Location: {meeting.location}"] if meeting.location else []
        if meeting.notes:
            notes.append(meeting.notes)
        values: dict[str, Any] = {
            "title": meeting.title,
            "start": utc(meeting.starts_at).isoformat(),
            "end": utc(meeting.ends_at).isoformat() if meeting.ends_at else None,
            "time_zone": meeting.time_zone,
            "status": STATE_LABELS[meeting.state],
            "outcome": meeting.outcome.replace("_", " ") if meeting.outcome else None,
            "notes": "\n".join(notes) or None,
            "link": meeting.meeting_url,
            "opportunity": deal_id,
            "dealflow_id": meeting_marker,
        }
        body: dict[str, Any] = {
            "custom_activity_type_id": schema.type_id,
            "lead_id": lead_id,
            "contact_id": contact.contact_id,
            "status": "published",
            **{schema.key(k): v for k, v in values.items()},  # None clears a field
            **_custom(meeting.properties),
        }
        if meeting.owner_id is not None:
            body["user_id"] = meeting.owner_id
        return body

    # -- shared ----------------------------------------------------------------------------------

    async def _lead_of(self, contact: ContactRef) -> str:
        if contact.company_id:
            return contact.company_id
        record = await self._get("get_contact", "contact", contact.contact_id)
        if record is None:
            raise ProviderError(FailureKind.REJECTED, f"Close contact {contact.contact_id} is gone")
        return str(record["lead_id"])

    async def _get(self, operation: str, kind: str, item_id: str) -> dict[str, Any] | None:
        try:
            found: dict[str, Any] = await self.http.request(
                operation, "GET", f"{API}/{kind}/{item_id}/"
            )
        except ProviderError as exc:
            if exc.status in GONE:
                return None
            raise
        return found

    async def _update(
        self, operation: str, kind: str, item_id: str, body: Mapping[str, Any]
    ) -> bool:
        """PUT a known record; False when it is gone (deleted in Close)."""
        try:
            await self.http.request(operation, "PUT", f"{API}/{kind}/{item_id}/", json=body)
        except ProviderError as exc:
            if exc.status in GONE:
                return False
            raise
        return True

    async def _search(
        self, operation: str, query: Mapping[str, Any], fields: Mapping[str, list[str]]
    ) -> list[dict[str, Any]]:
        """Every page of an Advanced Filtering search (a cursor, §3.4)."""
        results: list[dict[str, Any]] = []
        body: dict[str, Any] = {"query": query, "_fields": fields, "limit": PAGE}
        while True:
            answer = await self.http.request(operation, "POST", f"{API}/data/search/", json=body)
            results.extend(answer.get("data") or [])
            if not answer.get("cursor"):
                return results
            body = {**body, "cursor": answer["cursor"]}

    async def _all(
        self, operation: str, path: str, params: Mapping[str, Any] | None = None
    ) -> list[dict[str, Any]]:
        """Every page of a list (`_skip`/`_limit` → `{data, has_more}`, §3.4)."""
        items: list[dict[str, Any]] = []
        while True:
            query = {**(params or {}), "_skip": len(items), "_limit": PAGE}
            answer = await self.http.request(operation, "GET", path, params=query)
            page = answer.get("data") or []
            items.extend(page)
            if not page or not answer.get("has_more"):
                return items
