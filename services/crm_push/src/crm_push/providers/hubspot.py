"""HubSpot (CRM v3 objects, v4 associations; crm_apis.md §1) behind `CrmAdapter`.

Contacts and companies are found by their natural keys (hubspot_contacts.py). Deals and
meetings have none, so they carry the `dealflow_id` property (created by `ensure_schema`, which
a connection runs once): with `recover=True` it is searched before anything is created.
"""

from collections.abc import Mapping
from typing import Any

from crm_push.providers.base import (
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
from crm_push.providers.batching import BATCH_WINDOW_SECONDS
from crm_push.providers.hubspot_api import (
    DEAL_TO_CONTACT,
    MEETING_TO_COMPANY,
    MEETING_TO_CONTACT,
    MEETING_TO_DEAL,
    PRIMARY_DEAL_TO_COMPANY,
    associate,
    association,
    find_marked,
    hubspot_error,
    hubspot_http,
    update,
)
from crm_push.providers.hubspot_batches import HubSpotBatches
from crm_push.providers.hubspot_contacts import upsert_contact
from crm_push.providers.hubspot_fields import MARKER_PROPERTY, deal_properties, meeting_properties
from crm_push.providers.transport import FailureKind, ProviderError, ProviderHttp

__all__ = ["HubSpotAdapter", "hubspot_error", "hubspot_http"]

DEFAULT_PIPELINE = "default"
# A standard property whose group the marker property joins (every portal has these groups).
_GROUP_ANCHOR = {"deals": "dealname", "meetings": "hs_meeting_title"}


class HubSpotAdapter:
    """One HubSpot portal, reached with one connection's token."""

    provider = Provider.HUBSPOT

    def __init__(self, http: ProviderHttp, batch_window: float = BATCH_WINDOW_SECONDS) -> None:
        self.http = http
        self.batches = HubSpotBatches(http, batch_window)

    # -- account ---------------------------------------------------------------------------------

    async def verify(self) -> None:
        await self.http.request("verify", "GET", "/crm/v3/pipelines/deals")

    async def pipelines(self) -> list[Pipeline]:
        answer = await self.http.request("list_pipelines", "GET", "/crm/v3/pipelines/deals")
        found = sorted(answer.get("results", []), key=lambda p: p.get("displayOrder", 0))
        return [_pipeline(raw) for raw in found if not raw.get("archived")]

    async def users(self) -> list[CrmUser]:
        users: list[CrmUser] = []
        after: str | None = None
        while True:
            params = {"limit": "100", **({"after": after} if after else {})}
            answer = await self.http.request("list_users", "GET", "/crm/v3/owners/", params=params)
            for owner in answer.get("results", []):
                if owner.get("email") and not owner.get("archived"):
                    name = " ".join(p for p in (owner.get("firstName"), owner.get("lastName")) if p)
                    users.append(CrmUser(str(owner["id"]), owner["email"], name or None))
            after = ((answer.get("paging") or {}).get("next") or {}).get("after")
            if not after:
                return users

    async def ensure_schema(self) -> None:
        """The `dealflow_id` property on deals and meetings, created when missing (idempotent);
        a portal needs it before deals and meetings can carry their marker."""
        for object_type in ("deals", "meetings"):
            path = f"/crm/v3/properties/{object_type}"
            answer = await self.http.request("read_properties", "GET", path)
            groups = {p.get("name"): p.get("groupName") for p in answer.get("results", [])}
            if MARKER_PROPERTY in groups:
                continue
            group = groups.get(_GROUP_ANCHOR[object_type]) or f"{object_type[:-1]}information"
            definition = {
                "name": MARKER_PROPERTY,
                "label": "Dealflow ID",
                "type": "string",
                "fieldType": "text",
                "groupName": group,
                "description": "Set by Dealflow: finds this record again after a retried push.",
                "formField": False,
            }
            try:
                await self.http.request("create_property", "POST", path, json=definition)
            except ProviderError as exc:
                if exc.status != 409:  # 409: made by a concurrent call, which is what we want
                    raise

    # -- records ---------------------------------------------------------------------------------

    async def upsert_contact(self, contact: ContactData, known: ContactRef | None) -> ContactRef:
        return await upsert_contact(self.http, self.batches, contact, known)

    async def upsert_deal(
        self, deal: DealData, contact: ContactRef, known_id: str | None, *, recover: bool
    ) -> str:
        stage = await self._stage_for(deal, creating=False)
        properties = deal_properties(deal, stage)
        if known_id is not None and await update(
            self.http, "update_deal", "deals", known_id, properties
        ):
            return known_id
        if recover or known_id is not None:
            mark = marker("deal", deal.deal_id)
            found = await find_marked(self.http, "search_deal", "deals", mark)
            if found is not None:
                await update(self.http, "update_deal", "deals", found, properties)
                return found
        if stage is None:
            properties = deal_properties(deal, await self._stage_for(deal, creating=True))
        associations = [association(contact.contact_id, DEAL_TO_CONTACT)]
        if contact.company_id:
            associations.append(association(contact.company_id, PRIMARY_DEAL_TO_COMPANY))
        return await self.batches.create_deal(
            {"properties": properties, "associations": associations}
        )

    async def _stage_for(self, deal: DealData, *, creating: bool) -> str | None:
        """The given stage; else, for a won or lost deal, the pipeline's closed-won or
        closed-lost stage, and for a new open deal the pipeline's first (HubSpot needs one)."""
        if deal.stage_id:
            return deal.stage_id
        if deal.state is DealState.OPEN and not creating:
            return None  # leave the stage where the CRM has it
        pipeline_id = deal.pipeline_id or DEFAULT_PIPELINE
        answer = await self.http.request(
            "get_pipeline", "GET", f"/crm/v3/pipelines/deals/{pipeline_id}"
        )
        stages = sorted(answer.get("stages", []), key=lambda s: s.get("displayOrder", 0))
        if deal.state is DealState.OPEN:
            open_stages = [s for s in stages if not _closed(s)]
            return str((open_stages or stages)[0]["id"])
        won = deal.state is DealState.WON
        for stage in stages:
            probability = _percent((stage.get("metadata") or {}).get("probability"))
            if _closed(stage) and (probability == 100) == won:
                return str(stage["id"])
        raise ProviderError(
            FailureKind.REJECTED,
            f"pipeline {pipeline_id} has no closed-{'won' if won else 'lost'} stage",
            code="no_closed_stage",
        )

    async def upsert_meeting(
        self,
        meeting: MeetingData,
        contact: ContactRef,
        deal_id: str | None,
        known_id: str | None,
        *,
        recover: bool,
    ) -> str:
        properties = meeting_properties(meeting)
        found: str | None = None
        if known_id is not None:
            found = await update(self.http, "update_meeting", "meetings", known_id, properties)
        if found is None and (recover or known_id is not None):
            mark = marker("meeting", meeting.meeting_id)
            found = await find_marked(self.http, "search_meeting", "meetings", mark)
            if found is not None:
                await update(self.http, "update_meeting", "meetings", found, properties)
        if found is not None:
            if deal_id:  # a deal made after the meeting: associated now (idempotent)
                await associate(
                    self.http, "associate_meeting_deal", "meetings", found, "deals", deal_id
                )
            return found
        associations = [association(contact.contact_id, MEETING_TO_CONTACT)]
        if deal_id:
            associations.append(association(deal_id, MEETING_TO_DEAL))
        if contact.company_id:
            associations.append(association(contact.company_id, MEETING_TO_COMPANY))
        return await self.batches.create_meeting(
            {"properties": properties, "associations": associations}
        )


def _pipeline(raw: Mapping[str, Any]) -> Pipeline:
    stages = sorted(raw.get("stages", []), key=lambda s: s.get("displayOrder", 0))
    return Pipeline(
        id=str(raw["id"]),
        name=str(raw.get("label") or raw["id"]),
        stages=tuple(
            Stage(
                id=str(s["id"]),
                name=str(s.get("label") or s["id"]),
                pipeline_id=str(raw["id"]),
                order=int(s.get("displayOrder", n)),
                probability=_percent((s.get("metadata") or {}).get("probability")),
            )
            for n, s in enumerate(stages)
            if not s.get("archived")
        ),
    )


def _percent(probability: Any) -> int | None:
    try:
        return round(float(probability) * 100)
    except (TypeError, ValueError):
        return None


def _closed(stage: Mapping[str, Any]) -> bool:
    return str((stage.get("metadata") or {}).get("isClosed")).lower() == "true"
