"""The HubSpot calls a new booking makes, shared by the pushes in flight (crm_apis.md §1.3).

Each is one batch request for up to 100 pushes (providers/batching.py): contacts upserted by
email, the companies of contacts that existed, companies found by domain (one search with `IN`),
companies, deals and meetings created. Answers are matched to inputs by a key the input carries
(email, contact id, domain, the `dealflow_id` marker), never by position: HubSpot does not
promise its batch results in the inputs' order.
"""

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from crm_push.providers.batching import (
    BATCH_WINDOW_SECONDS,
    Batcher,
    BatchInput,
    Send,
    Share,
    rejected,
)
from crm_push.providers.hubspot_api import OBJECTS
from crm_push.providers.hubspot_fields import MARKER_PROPERTY
from crm_push.providers.transport import FailureKind, ProviderError, ProviderHttp

#: The companies one search page returns (HubSpot's search maximum).
SEARCH_PAGE = 200


class HubSpotBatches:
    """One connection's batchers (they never mix two connections' records or tokens)."""

    def __init__(self, http: ProviderHttp, window: float = BATCH_WINDOW_SECONDS) -> None:
        self.http = http

        def batcher(send: Send) -> Batcher:
            return Batcher(send, http.calls, window=window)

        self._upserts = batcher(self._upsert_contacts)
        self._companies_of = batcher(self._contacts_companies)
        self._by_domain = batcher(self._search_companies)
        self._companies = batcher(self._creator("create_company", "companies", "domain"))
        self._deals = batcher(self._creator("create_deal", "deals", MARKER_PROPERTY))
        self._meetings = batcher(self._creator("create_meeting", "meetings", MARKER_PROPERTY))

    # -- what the adapter asks ------------------------------------------------------------------

    async def upsert_contact(self, properties: Mapping[str, str]) -> tuple[str, bool]:
        """(contact id, created now) for the contact with this email, its properties set."""
        email = properties["email"].lower()
        body = {"id": email, "idProperty": "email", "properties": dict(properties)}
        found: tuple[str, bool] = await self._upserts.call(BatchInput(email, body))
        return found

    async def companies_of(self, contact_id: str) -> list[str]:
        """The contact's companies, primary first."""
        companies: list[str] = await self._companies_of.call(
            BatchInput(contact_id, {"id": contact_id})
        )
        return companies

    async def company_by_domain(self, domain: str) -> str | None:
        """The oldest company with this domain."""
        domain = domain.strip().lower()  # the key answers are matched by
        found: str | None = await self._by_domain.call(
            BatchInput(domain, domain, logged={"domain": domain})
        )
        return found

    async def create_company(self, body: Mapping[str, Any]) -> str:
        return await self._create(self._companies, str(body["properties"]["domain"]), body)

    async def create_deal(self, body: Mapping[str, Any]) -> str:
        return await self._create(self._deals, str(body["properties"][MARKER_PROPERTY]), body)

    async def create_meeting(self, body: Mapping[str, Any]) -> str:
        return await self._create(self._meetings, str(body["properties"][MARKER_PROPERTY]), body)

    @staticmethod
    async def _create(batcher: Batcher, key: str, body: Mapping[str, Any]) -> str:
        # HubSpot echoes objectWriteTraceId in the input's result or error: the surest match.
        trace = key.lower()
        created: str = await batcher.call(BatchInput(trace, {**body, "objectWriteTraceId": trace}))
        return created

    # -- the batch calls ------------------------------------------------------------------------

    async def _upsert_contacts(self, inputs: Sequence[BatchInput]) -> list[Share]:
        answer = await self.http.request(
            "upsert_contact",
            "POST",
            f"{OBJECTS}/contacts/batch/upsert",
            json={"inputs": [i.body for i in inputs]},
            shared=True,
        )
        return _matched(inputs, answer, "email", lambda r: (str(r["id"]), bool(r.get("new"))))

    async def _contacts_companies(self, inputs: Sequence[BatchInput]) -> list[Share]:
        answer = await self.http.request(
            "read_contact_companies",
            "POST",
            "/crm/v4/associations/contacts/companies/batch/read",
            json={"inputs": [i.body for i in inputs]},
            shared=True,
        )
        # An id without companies comes back in `errors` (207), not as an empty result.
        linked = {str(r["from"]["id"]): r.get("to") or [] for r in answer.get("results", [])}
        shares = []
        for item in inputs:
            links = linked.get(item.key, [])
            primary = [
                str(link["toObjectId"])
                for link in links
                if any(t.get("typeId") == 1 for t in link.get("associationTypes") or [])
            ]
            companies = list(dict.fromkeys([*primary, *(str(x["toObjectId"]) for x in links)]))
            shares.append(Share(companies, logged={"companies": companies}))
        return shares

    async def _search_companies(self, inputs: Sequence[BatchInput]) -> list[Share]:
        domains = [str(i.body) for i in inputs]
        first: dict[str, str] = {}
        after: str | None = None
        while True:
            search: dict[str, Any] = {
                "filterGroups": [
                    {"filters": [{"propertyName": "domain", "operator": "IN", "values": domains}]}
                ],
                "properties": ["domain", "name"],
                "sorts": ["hs_object_id"],
                "limit": SEARCH_PAGE,
            }
            if after is not None:
                search["after"] = after
            answer = await self.http.request(
                "search_company", "POST", f"{OBJECTS}/companies/search", json=search, shared=True
            )
            for record in answer.get("results", []):
                domain = str((record.get("properties") or {}).get("domain", "")).lower()
                first.setdefault(domain, str(record["id"]))  # sorted by id: the oldest
            after = ((answer.get("paging") or {}).get("next") or {}).get("after")
            if not after:
                break
        return [
            Share(first.get(d), logged={"company": first.get(d)}, crm_id=first.get(d))
            for d in domains
        ]

    def _creator(self, operation: str, object_type: str, key_property: str) -> Send:
        async def create(inputs: Sequence[BatchInput]) -> list[Share]:
            answer = await self.http.request(
                operation,
                "POST",
                f"{OBJECTS}/{object_type}/batch/create",
                json={"inputs": [i.body for i in inputs]},
                shared=True,
            )
            return _matched(inputs, answer, key_property, lambda r: str(r["id"]))

        return create


def _matched(
    inputs: Sequence[BatchInput],
    answer: Mapping[str, Any],
    key_property: str,
    result: Callable[[Mapping[str, Any]], Any],
) -> list[Share]:
    """Each input's share: the result record whose `key_property` is the input's key."""
    by_key = {}
    for record in answer.get("results", []):
        by_key[str((record.get("properties") or {}).get(key_property, "")).lower()] = record
        if record.get("objectWriteTraceId"):
            by_key[str(record["objectWriteTraceId"])] = record
    shares = []
    for item in inputs:
        record = by_key.get(item.key)
        if record is None:
            shares.append(_unanswered(item, answer))
        else:
            shares.append(Share(result(record), logged=record, crm_id=str(record["id"])))
    return shares


def _unanswered(item: BatchInput, answer: Mapping[str, Any]) -> Share:
    """An input the batch answer has no result for: its error when the answer names it."""
    for error in answer.get("errors") or []:
        context = error.get("context") or {}
        named = {
            str(v).lower()
            for values in context.values()
            for v in (values if isinstance(values, list) else [values])
        }
        if item.key in named or error.get("objectWriteTraceId") == item.key:
            message = f"{item.key}: {error.get('message', 'failed')}"
            return Share(error=rejected(message), logged=error)
    # Neither a result nor an error for it: it may have been written all the same, so the
    # push retries and looks before it creates (never parked on an answer it cannot read).
    missing = ProviderError(
        FailureKind.UNAVAILABLE,
        f"{item.key}: the batch answer has no result for this input",
        code="batch_input_unanswered",
        uncertain=True,
    )
    return Share(error=missing, logged={"error": "no result for this input"})
