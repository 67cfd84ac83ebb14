"""Pipedrive (crm_apis.md §2): persons, organizations, deals and `meeting` activities over API v2;
users over v1, the one version that has them. v1 persons, deals and activities are out of
support from 2026 (§2.1), so they are not used; nor is the legacy `?api_token=` query parameter,
which would put the key in every logged path: an API token travels in the `x-api-token` header.

Finding what an uncertain create made (`recover=True`):

- A deal carries its marker in a deal custom field "Dealflow ID" (a text field the adapter
  declares once through `GET`/`POST /api/v2/dealFields`, see `ensure_schema`). The marker is
  written in the same request that creates the deal, so a deal that exists always carries it;
  recovery lists the person's deals (`GET /api/v2/deals?person_id=`) and compares the field.
  The alternatives are weaker: a deal note (`POST /v1/notes`) is a second write that the first
  may have outlived, v2 cannot set `origin_id`, and matching the title would take another of the
  person's deals that happens to share the name.
- A meeting activity carries the marker as the last paragraph of its note, written with the
  activity; recovery lists the activities whose primary participant is the person
  (`GET /api/v2/activities?person_id=`, hence `participants` on every write) and looks for it.

A known id that no longer exists (deleted in Pipedrive) is created again: the push keeps the CRM
showing what Dealflow knows. A deal's pipeline is sent only on create (a pipeline alone places a
deal in its first stage, §2.6 d); afterwards only a mapped stage moves it.
"""

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

import httpx

from crm_push.providers.activity_text import has_marker, html_note, meeting_lines, utc
from crm_push.providers.base import (
    CompanyData,
    ContactData,
    ContactRef,
    CrmUser,
    DealData,
    DealState,
    MeetingData,
    MeetingState,
    Pipeline,
    Provider,
    Stage,
    marker,
)
from crm_push.providers.transport import (
    QUOTA_CODE,
    Auth,
    FailureKind,
    ProviderError,
    ProviderHttp,
    StaticAuth,
    Throttle,
)

V2 = "/api/v2"
#: The deal custom field holding the marker (a `varchar`, found by this name).
MARKER_FIELD_NAME = "Dealflow ID"
PAGE = 500  # Pipedrive's largest page (§2.5)
GONE = frozenset({404, 410})
#: States after which the activity is no longer on anyone's to-do list.
FINISHED = frozenset({MeetingState.COMPLETED, MeetingState.NO_SHOW, MeetingState.CANCELLED})
SUBJECT_PREFIX = {MeetingState.CANCELLED: "Cancelled: ", MeetingState.NO_SHOW: "No-show: "}


def api_token_auth(token: str) -> StaticAuth:
    return StaticAuth({"x-api-token": token})


def pipedrive_error(response: httpx.Response, body: Any) -> tuple[str | None, str]:
    """`{success: false, error, error_info, code?|errorCode?}` (§2.3); a 429 that says the day's
    budget is spent gets QUOTA_CODE, a burst-window 429 does not (§2.4)."""
    code: str | None = None
    message = response.reason_phrase or f"HTTP {response.status_code}"
    if isinstance(body, Mapping):
        raw_code = body.get("code") or body.get("errorCode")
        code = str(raw_code) if raw_code is not None else None
        message = str(body.get("error") or body.get("message") or message)
    if response.status_code == 429 and _daily_budget_spent(response, message):
        code = QUOTA_CODE
    return code, message


def _daily_budget_spent(response: httpx.Response, message: str) -> bool:
    headers = response.headers
    spent = any(
        headers.get(name) == "0"
        for name in ("x-daily-requests-left", "x-daily-ratelimit-token-remaining")
    )
    return spent or "daily" in message.lower()


def pipedrive_http(
    client: httpx.AsyncClient, base_url: str, auth: Auth, *, throttle: Throttle | None = None
) -> ProviderHttp:
    """`base_url` is the host: `https://api.pipedrive.com`, or the `api_domain` an OAuth token
    names (`https://acme.pipedrive.com`); paths carry `/api/v1` or `/api/v2`."""
    return ProviderHttp(
        client=client, base_url=base_url, auth=auth, error_reader=pipedrive_error, throttle=throttle
    )


def _pd_id(value: str, what: str) -> int:
    """Pipedrive ids are integers; the push service keeps them as text."""
    try:
        return int(value)
    except ValueError:
        raise ProviderError(FailureKind.REJECTED, f"not a Pipedrive {what} id: {value!r}") from None


def _data(answer: Any) -> Any:
    return answer.get("data") if isinstance(answer, Mapping) else None


def _number(value: Decimal) -> int | float:
    """v2 wants a JSON number, not a string (§2.1)."""
    return int(value) if value == value.to_integral_value() else float(value)


def _person_name(contact: ContactData) -> str | None:
    if contact.full_name:
        return contact.full_name.strip()
    parts = [p.strip() for p in (contact.first_name, contact.last_name) if p and p.strip()]
    return " ".join(parts) or None


class PipedriveAdapter:
    provider = Provider.PIPEDRIVE

    def __init__(self, http: ProviderHttp) -> None:
        self.http = http
        self._marker_codes: tuple[str, ...] | None = None

    # -- account ---------------------------------------------------------------------------------

    async def verify(self) -> None:
        await self.http.request("verify", "GET", f"{V2}/pipelines", params={"limit": 1})

    async def pipelines(self) -> list[Pipeline]:
        pipelines = await self._all("list_pipelines", f"{V2}/pipelines")
        stages = await self._all("list_stages", f"{V2}/stages")
        by_pipeline: dict[str, list[Stage]] = {}
        for s in sorted(stages, key=lambda s: (s["pipeline_id"], s["order_nr"])):
            if s.get("is_deleted"):
                continue
            stage = Stage(
                id=str(s["id"]),
                name=s["name"],
                pipeline_id=str(s["pipeline_id"]),
                order=s["order_nr"],
                probability=s.get("deal_probability"),
            )
            by_pipeline.setdefault(stage.pipeline_id, []).append(stage)
        return [
            Pipeline(
                id=str(p["id"]), name=p["name"], stages=tuple(by_pipeline.get(str(p["id"]), []))
            )
            for p in sorted(pipelines, key=lambda p: p["order_nr"])
            if not p.get("is_deleted")
        ]

    async def users(self) -> list[CrmUser]:
        answer = await self.http.request("list_users", "GET", "/api/v1/users")
        return [
            CrmUser(id=str(u["id"]), email=u["email"], name=u.get("name"))
            for u in _data(answer) or []
            if u.get("active_flag", True) and not u.get("is_deleted")
        ]

    async def ensure_schema(self) -> None:
        """Declares the "Dealflow ID" deal field unless the account has it (idempotent)."""
        await self._marker_fields()

    # -- contacts --------------------------------------------------------------------------------

    async def upsert_contact(self, contact: ContactData, known: ContactRef | None) -> ContactRef:
        person = await self._get_person(known.contact_id) if known else None
        if person is None:
            found_id = await self._find_person(contact.email)
            person = await self._get_person(found_id) if found_id else None
        if person is None:
            return await self._create_person(contact)
        changes = await self._person_changes(person, contact)
        if changes:
            answer = await self.http.request(
                "update_person", "PATCH", f"{V2}/persons/{person['id']}", json=changes
            )
            person = _data(answer) or person
        org_id = person.get("org_id")
        return ContactRef(str(person["id"]), str(org_id) if org_id else None)

    async def _get_person(self, person_id: str) -> dict[str, Any] | None:
        path = f"{V2}/persons/{_pd_id(person_id, 'person')}"
        try:
            person = _data(await self.http.request("get_person", "GET", path))
        except ProviderError as exc:
            if exc.status in GONE:
                return None
            raise
        return None if not person or person.get("is_deleted") else person

    async def _find_person(self, email: str) -> str | None:
        """`exact_match` is case-insensitive; the emails returned are compared all the same."""
        params = {"term": email, "fields": "email", "exact_match": "true", "limit": 10}
        answer = await self.http.request(
            "search_person", "GET", f"{V2}/persons/search", params=params
        )
        wanted = email.casefold()
        for hit in (_data(answer) or {}).get("items", []):
            item = hit.get("item", {})
            if any(str(e).casefold() == wanted for e in item.get("emails", [])):
                return str(item["id"])
        return None

    async def _create_person(self, contact: ContactData) -> ContactRef:
        org_id = await self._organization(contact.company) if contact.company else None
        body: dict[str, Any] = {
            "name": _person_name(contact) or contact.email.split("@")[0],
            "emails": [{"value": contact.email, "primary": True, "label": "work"}],
        }
        if contact.phone:
            body["phones"] = [{"value": contact.phone, "primary": True, "label": "work"}]
        if org_id is not None:
            body["org_id"] = org_id
        if contact.properties:
            body["custom_fields"] = dict(contact.properties)
        answer = await self.http.request("create_person", "POST", f"{V2}/persons", json=body)
        person = _data(answer)
        return ContactRef(str(person["id"]), str(org_id) if org_id is not None else None)

    async def _person_changes(
        self, person: Mapping[str, Any], contact: ContactData
    ) -> dict[str, Any]:
        """Only what differs, so an unchanged contact costs no write (writes are budgeted)."""
        changes: dict[str, Any] = {}
        name = _person_name(contact)
        if name and person.get("name") != name:
            changes["name"] = name
        emails = list(person.get("emails") or [])
        if not any(str(e.get("value", "")).casefold() == contact.email.casefold() for e in emails):
            primary = not emails
            changes["emails"] = [
                *emails,
                {"value": contact.email, "primary": primary, "label": "work"},
            ]
        phones = list(person.get("phones") or [])
        if contact.phone and not any(p.get("value") == contact.phone for p in phones):
            changes["phones"] = [
                *phones,
                {"value": contact.phone, "primary": not phones, "label": "work"},
            ]
        if not person.get("org_id") and contact.company:
            changes["org_id"] = await self._organization(contact.company)
        current = person.get("custom_fields") or {}
        wanted = {k: v for k, v in contact.properties.items() if current.get(k) != v}
        if wanted:
            changes["custom_fields"] = wanted
        return changes

    async def _organization(self, company: CompanyData) -> int:
        """Found by name (case-insensitive, as Pipedrive's exact match), else created."""
        name = company.name.strip() or company.domain
        params = {"term": name, "fields": "name", "exact_match": "true", "limit": 10}
        answer = await self.http.request(
            "search_organization", "GET", f"{V2}/organizations/search", params=params
        )
        for hit in (_data(answer) or {}).get("items", []):
            item = hit.get("item", {})
            if str(item.get("name", "")).casefold() == name.casefold():
                return int(item["id"])
        created = await self.http.request(
            "create_organization", "POST", f"{V2}/organizations", json={"name": name}
        )
        return int(_data(created)["id"])

    # -- deals -----------------------------------------------------------------------------------

    async def upsert_deal(
        self, deal: DealData, contact: ContactRef, known_id: str | None, *, recover: bool
    ) -> str:
        codes = await self._marker_fields()
        deal_marker = marker("deal", deal.deal_id)
        body = self._deal_body(deal, contact, codes[0], deal_marker)
        if known_id is not None:
            updated = await self._update("update_deal", "deals", known_id, body)
            if updated is not None:
                return updated
        if recover:
            found = await self._find_deal(contact, codes, deal_marker)
            if found is not None:
                await self._update("update_deal", "deals", found, body)
                return found
        if deal.pipeline_id is not None and deal.stage_id is None:
            body["pipeline_id"] = _pd_id(deal.pipeline_id, "pipeline")
        answer = await self.http.request("create_deal", "POST", f"{V2}/deals", json=body)
        return str(_data(answer)["id"])

    def _deal_body(
        self, deal: DealData, contact: ContactRef, marker_code: str, deal_marker: str
    ) -> dict[str, Any]:
        body: dict[str, Any] = {
            "title": deal.name,
            "person_id": _pd_id(contact.contact_id, "person"),
            "status": deal.state.value,
            "currency": deal.currency,
            "custom_fields": {**deal.properties, marker_code: deal_marker},
        }
        if contact.company_id:
            body["org_id"] = _pd_id(contact.company_id, "organization")
        if deal.stage_id is not None:
            body["stage_id"] = _pd_id(deal.stage_id, "stage")  # the stage decides the pipeline
        if deal.value is not None:
            body["value"] = _number(deal.value)
        if deal.owner_id is not None:
            body["owner_id"] = _pd_id(deal.owner_id, "user")
        if deal.expected_close_date is not None:
            body["expected_close_date"] = deal.expected_close_date.isoformat()
        if deal.state is DealState.LOST and deal.lost_reason:
            body["lost_reason"] = deal.lost_reason  # "can only be set if deal status is lost"
        return body

    async def _find_deal(
        self, contact: ContactRef, codes: tuple[str, ...], deal_marker: str
    ) -> str | None:
        params = {"person_id": _pd_id(contact.contact_id, "person")}
        for deal in await self._all("find_deal", f"{V2}/deals", params):
            fields = deal.get("custom_fields") or {}
            if any(fields.get(code) == deal_marker for code in codes):
                return str(deal["id"])
        return None

    async def _marker_fields(self) -> tuple[str, ...]:
        """The codes of every "Dealflow ID" deal field (two, if two workers declared it at once:
        recovery looks in both, writes go to the first); declared when there is none."""
        if self._marker_codes:
            return self._marker_codes
        fields = await self._all("list_deal_fields", f"{V2}/dealFields")
        codes = tuple(
            f["field_code"]
            for f in fields
            if f.get("is_custom_field") and f.get("field_name") == MARKER_FIELD_NAME
        )
        if not codes:
            body = {
                "field_name": MARKER_FIELD_NAME,
                "field_type": "varchar",
                "description": "Set by Dealflow: finds the deal again after a lost answer.",
            }
            answer = await self.http.request(
                "create_deal_field", "POST", f"{V2}/dealFields", json=body
            )
            codes = (str(_data(answer)["field_code"]),)
        self._marker_codes = codes
        return codes

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
        meeting_marker = marker("meeting", meeting.meeting_id)
        body = self._activity_body(meeting, contact, deal_id, meeting_marker)
        if known_id is not None:
            updated = await self._update("update_activity", "activities", known_id, body)
            if updated is not None:
                return updated
        if recover:
            found = await self._find_activity(contact, meeting_marker)
            if found is not None:
                await self._update("update_activity", "activities", found, body)
                return found
        answer = await self.http.request("create_activity", "POST", f"{V2}/activities", json=body)
        return str(_data(answer)["id"])

    def _activity_body(
        self, meeting: MeetingData, contact: ContactRef, deal_id: str | None, meeting_marker: str
    ) -> dict[str, Any]:
        starts = utc(meeting.starts_at)
        person_id = _pd_id(contact.contact_id, "person")
        body: dict[str, Any] = {
            "subject": SUBJECT_PREFIX.get(meeting.state, "") + meeting.title,
            "type": "meeting",
            "due_date": starts.date().isoformat(),
            "due_time": starts.strftime("%H:%M"),  # UTC, as Pipedrive reads it (§2.6 h)
            "person_id": person_id,
            "participants": [{"person_id": person_id, "primary": True}],
            "done": meeting.state in FINISHED,
            "busy": meeting.state not in FINISHED,
            "note": html_note(meeting_lines(meeting), meeting_marker),
        }
        if meeting.ends_at is not None and meeting.ends_at > meeting.starts_at:
            minutes = int((utc(meeting.ends_at) - starts).total_seconds()) // 60
            body["duration"] = f"{min(minutes // 60, 99):02d}:{minutes % 60:02d}"
        if contact.company_id:
            body["org_id"] = _pd_id(contact.company_id, "organization")
        if deal_id is not None:
            body["deal_id"] = _pd_id(deal_id, "deal")
        if meeting.owner_id is not None:
            body["owner_id"] = _pd_id(meeting.owner_id, "user")
        if meeting.location:
            body["location"] = {"value": meeting.location}  # an object in v2
        return body

    async def _find_activity(self, contact: ContactRef, meeting_marker: str) -> str | None:
        params = {"person_id": _pd_id(contact.contact_id, "person")}
        for activity in await self._all("find_activity", f"{V2}/activities", params):
            if has_marker(activity.get("note"), meeting_marker):
                return str(activity["id"])
        return None

    # -- shared ----------------------------------------------------------------------------------

    async def _update(
        self, operation: str, kind: str, item_id: str, body: Mapping[str, Any]
    ) -> str | None:
        """PATCH a known record; None when it is gone (deleted in Pipedrive)."""
        path = f"{V2}/{kind}/{_pd_id(item_id, kind)}"
        try:
            await self.http.request(operation, "PATCH", path, json=body)
        except ProviderError as exc:
            if exc.status in GONE:
                return None
            raise
        return item_id

    async def _all(
        self, operation: str, path: str, params: Mapping[str, Any] | None = None
    ) -> list[dict[str, Any]]:
        """Every page of a v2 list (`cursor` → `additional_data.next_cursor`, §2.5)."""
        items: list[dict[str, Any]] = []
        query: dict[str, Any] = {**(params or {}), "limit": PAGE}
        while True:
            answer = await self.http.request(operation, "GET", path, params=query)
            items.extend(_data(answer) or [])
            cursor = ((answer or {}).get("additional_data") or {}).get("next_cursor")
            if not cursor:
                return items
            query = {**query, "cursor": cursor}
