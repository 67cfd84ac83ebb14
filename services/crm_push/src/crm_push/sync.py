"""One push attempt, provider-neutral: what to find, create or update, in which order.

The push worker (pushing.py) gives it the push, the tenant's settings, an adapter for the
connection and the external ids Dealflow already knows; it answers what it did (CRM ids, ids
learned, a reason) or raises ProviderError. Ids live in the external-id map under
(entity, local key): `contact`/email, `deal`/deal id, `meeting`/meeting id (parent = the CRM
deal the activity is linked to) and `deal_of_meeting`/meeting id (the CRM deal a meeting belongs
to, learned from deal pushes, so an activity created later is linked at once).
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from crm_push.db.repository import ExternalId
from crm_push.domain.config import CrmConfig, NotionMapping
from crm_push.domain.mapping import (
    choose_owner,
    deal_contact,
    deal_record,
    journey_fields,
    mapped,
    meeting_activity,
    meeting_contact,
    notion_update,
)
from crm_push.domain.model import CrmIds, Operation, Push
from crm_push.providers.base import ContactData, ContactRef, CrmAdapter, CrmUser, NotionTarget
from dealflow_schemas.attribution import MeetingAttributed
from dealflow_schemas.deals import DealEvent
from dealflow_schemas.meetings import MeetingEvent
from dealflow_schemas.registry import model_for

Key = tuple[str, str]


@dataclass
class Outcome:
    """What an attempt did. `skipped` is a reason when nothing was written on purpose."""

    ids: CrmIds = field(default_factory=CrmIds)
    learned: dict[Key, ExternalId] = field(default_factory=dict)
    reason: str | None = None
    skipped: str | None = None
    relink_meetings: list[str] = field(default_factory=list)
    """Meetings whose activity exists but is not linked to the deal just pushed."""


#: The events pushes are made of.
PushedEvent = MeetingEvent | DealEvent | MeetingAttributed


def event_of(push: Push) -> PushedEvent:
    model = model_for(push.source_event_type)
    if model is None:
        raise ValueError(f"push {push.id}: unknown event type {push.source_event_type}")
    event = model.model_validate(push.payload)
    if not isinstance(event, MeetingEvent | DealEvent | MeetingAttributed):
        raise TypeError(f"push {push.id}: {push.source_event_type} is not pushed")
    return event


def lock_keys(event: PushedEvent) -> list[str]:
    """What a push must hold alone while it runs: the contact (so two pushes never both create
    it), the company, and the meetings it may link. Sorted, so pushes never deadlock."""
    keys: set[str] = set()
    if isinstance(event, MeetingEvent):
        if event.meeting.primary_email:
            keys.add(f"contact:{event.meeting.primary_email}")
        if event.meeting.company_domain and not event.meeting.is_personal_email:
            keys.add(f"company:{event.meeting.company_domain}")
        keys.add(f"meeting:{event.meeting_id}")
    elif isinstance(event, DealEvent):
        if event.deal.primary_contact_email:
            keys.add(f"contact:{event.deal.primary_contact_email}")
        keys.add(f"company:{event.deal.company.domain}")
        keys.update(f"meeting:{m}" for m in event.deal.meeting_ids)
    else:
        keys.add(f"contact:{event.person_email}")
    return sorted(keys)


def keys_needed(event: PushedEvent) -> list[Key]:
    """The external ids a push may use."""
    if isinstance(event, MeetingEvent):
        meeting = event.meeting
        keys: list[Key] = [("meeting", str(meeting.meeting_id))]
        keys.append(("deal_of_meeting", str(meeting.meeting_id)))
        if meeting.primary_email:
            keys.append(("contact", meeting.primary_email))
        if meeting.deal_id:
            keys.append(("deal", str(meeting.deal_id)))
        return keys
    if isinstance(event, DealEvent):
        keys = [("deal", str(event.deal_id))]
        keys.extend(("meeting", str(m)) for m in event.deal.meeting_ids)
        if event.deal.primary_contact_email:
            keys.append(("contact", event.deal.primary_contact_email))
        return keys
    return [("contact", event.person_email)]


def _contact_ref(known: Mapping[Key, ExternalId], email: str) -> ContactRef | None:
    found = known.get(("contact", email))
    return ContactRef(found.external_id, found.parent_id) if found else None


async def _upsert_contact(
    crm: CrmAdapter, contact: ContactData, known: Mapping[Key, ExternalId], outcome: Outcome
) -> ContactRef:
    ref = await crm.upsert_contact(contact, _contact_ref(known, contact.email))
    outcome.learned[("contact", contact.email)] = ExternalId(ref.contact_id, ref.company_id)
    outcome.ids.contact_id, outcome.ids.org_id = ref.contact_id, ref.company_id
    return ref


async def sync_meeting(
    push: Push,
    event: MeetingEvent,
    config: CrmConfig,
    crm: CrmAdapter,
    known: Mapping[Key, ExternalId],
    users: Sequence[CrmUser],
) -> Outcome:
    """Contact (and company), then the meeting activity linked to its deal when the CRM has it."""
    meeting = event.meeting
    outcome = Outcome()
    contact = meeting_contact(meeting, config)
    if contact is None:
        outcome.skipped = "the meeting has no attendee email"
        return outcome
    ref = await _upsert_contact(crm, contact, known, outcome)
    owner = choose_owner(
        meeting.organizer.email if meeting.organizer else None, users, config.default_owner_id
    )
    activity = meeting_activity(meeting, owner)
    if activity is None:
        outcome.reason = "contact only: the meeting has no time yet"
        return outcome
    deal = known.get(("deal", str(meeting.deal_id))) if meeting.deal_id else None
    deal = deal or known.get(("deal_of_meeting", str(meeting.meeting_id)))
    crm_deal_id = deal.external_id if deal else None
    existing = known.get(("meeting", str(meeting.meeting_id)))
    activity_id = await crm.upsert_meeting(
        activity,
        ref,
        crm_deal_id,
        existing.external_id if existing else None,
        recover=push.recover,
    )
    linked = crm_deal_id or (existing.parent_id if existing else None)
    outcome.learned[("meeting", str(meeting.meeting_id))] = ExternalId(activity_id, linked)
    outcome.ids.activity_id, outcome.ids.deal_id = activity_id, linked
    outcome.reason = owner.reason
    return outcome


async def sync_deal(
    push: Push,
    event: DealEvent,
    config: CrmConfig,
    crm: CrmAdapter,
    known: Mapping[Key, ExternalId],
    users: Sequence[CrmUser],
) -> Outcome:
    """Contact (and company), then the deal in its mapped stage; the deal's meetings are linked
    to it (now, or by the meeting's own push when its activity does not exist yet)."""
    deal = event.deal
    outcome = Outcome()
    contact = deal_contact(deal)
    if contact is None:
        outcome.skipped = "the deal has no contact email"
        return outcome
    ref = await _upsert_contact(crm, contact, known, outcome)
    host = event.meeting.organizer_email if event.meeting else None
    owner = choose_owner(
        deal.owner if deal.owner and "@" in deal.owner else host, users, config.default_owner_id
    )
    existing = known.get(("deal", str(deal.deal_id)))
    record = deal_record(deal, event.meeting, config, owner, is_new=existing is None)
    crm_deal_id = await crm.upsert_deal(
        record, ref, existing.external_id if existing else None, recover=push.recover
    )
    outcome.learned[("deal", str(deal.deal_id))] = ExternalId(crm_deal_id)
    outcome.ids.deal_id = crm_deal_id
    for meeting_id in deal.meeting_ids:
        outcome.learned[("deal_of_meeting", str(meeting_id))] = ExternalId(crm_deal_id)
        activity = known.get(("meeting", str(meeting_id)))
        if activity is not None and activity.parent_id != crm_deal_id:
            outcome.relink_meetings.append(str(meeting_id))
    outcome.reason = owner.reason
    return outcome


async def sync_journey(
    event: MeetingAttributed, config: CrmConfig, crm: CrmAdapter, known: Mapping[Key, ExternalId]
) -> Outcome:
    """The attendee's attribution fields, where the field mapping names them."""
    outcome = Outcome()
    properties = mapped(config.field_mapping.contact, journey_fields(event))
    if not properties:
        outcome.skipped = "no attribution field is mapped (field_mapping.contact)"
        return outcome
    contact = ContactData(email=event.person_email, properties=properties)
    await _upsert_contact(crm, contact, known, outcome)
    outcome.reason = "attribution fields: " + ", ".join(sorted(properties))
    return outcome


async def sync_crm(
    push: Push,
    event: PushedEvent,
    config: CrmConfig,
    crm: CrmAdapter,
    known: Mapping[Key, ExternalId],
    users: Sequence[CrmUser],
) -> Outcome:
    if push.operation == Operation.SYNC_MEETING and isinstance(event, MeetingEvent):
        return await sync_meeting(push, event, config, crm, known, users)
    if push.operation == Operation.SYNC_DEAL and isinstance(event, DealEvent):
        return await sync_deal(push, event, config, crm, known, users)
    if push.operation == Operation.MEETING_JOURNEY and isinstance(event, MeetingAttributed):
        return await sync_journey(event, config, crm, known)
    raise ValueError(f"push {push.id}: {push.operation} does not apply to {push.source_event_type}")


async def sync_notion(
    push: Push,
    event: PushedEvent,
    mapping: NotionMapping,
    notion: NotionTarget,
    property_types: Mapping[str, str],
) -> Outcome:
    outcome = Outcome()
    if not isinstance(event, MeetingEvent):
        raise ValueError(f"push {push.id}: Notion takes meeting events only")
    update = notion_update(event.meeting, mapping, property_types)
    if update is None:
        outcome.skipped = f"nothing to set in Notion for a {event.meeting.status} meeting"
        return outcome
    page_id = await notion.update_by_email(update)
    if page_id is None:
        outcome.skipped = f"no Notion page has {mapping.email_property} = {update.email}"
        return outcome
    outcome.ids.notion_page_id = page_id
    outcome.reason = "set " + ", ".join(sorted(update.properties))
    return outcome
