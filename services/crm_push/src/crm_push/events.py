"""The events crm_push publishes, each built naming every contract field."""

from datetime import datetime

from crm_push.domain.model import Connection, Push, PushStatus
from dealflow_schemas.crm import (
    ConnectionStatus,
    CrmConnectionChanged,
    CrmProvider,
    CrmPushed,
    PushOutcome,
)

_OUTCOMES = {
    PushStatus.SUCCEEDED: PushOutcome.SUCCEEDED,
    PushStatus.SKIPPED: PushOutcome.SKIPPED,
    PushStatus.PARKED: PushOutcome.PARKED,
}


def result_key(push: Push) -> str:
    """Results are keyed by the meeting or deal pushed, so they stay in order per entity."""
    return str(push.entity_id)


def push_result(push: Push) -> CrmPushed:
    """The result of a push that has just ended (succeeded, skipped or parked)."""
    outcome = _OUTCOMES[push.status]
    if push.completed_at is None:
        raise ValueError(f"push {push.id} has not ended: it has no result yet")
    return CrmPushed(
        push_id=push.id,
        tenant_id=push.tenant_id,
        target=push.target,
        provider=CrmProvider(push.provider) if push.provider else None,
        entity=push.entity,
        meeting_id=push.meeting_id,
        deal_id=push.deal_id,
        source_event_id=push.source_event_id,
        source_event_type=push.source_event_type,
        outcome=outcome,
        success=outcome == PushOutcome.SUCCEEDED,
        skipped=outcome == PushOutcome.SKIPPED,
        reason=push.reason,
        crm_contact_id=push.ids.contact_id,
        crm_org_id=push.ids.org_id,
        crm_deal_id=push.ids.deal_id,
        crm_activity_id=push.ids.activity_id,
        notion_page_id=push.ids.notion_page_id,
        error=push.error if outcome == PushOutcome.PARKED else None,
        error_code=push.error_code if outcome == PushOutcome.PARKED else None,
        attempts=push.attempts,
        completed_at=push.completed_at,
        caused_by=push.source_event_id,
    )


def connection_changed(connection: Connection, at: datetime) -> CrmConnectionChanged:
    return CrmConnectionChanged(
        tenant_id=connection.tenant_id,
        target=connection.target,
        provider=CrmProvider(connection.provider),
        status=ConnectionStatus(connection.status),
        reason=connection.status_reason,
        changed_at=at,
    )
