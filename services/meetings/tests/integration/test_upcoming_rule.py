"""The `upcoming` filter of GET /v1/meetings is the SQL form of the shared rule; both must agree."""

import uuid
from datetime import UTC, datetime, timedelta

from dealflow_schemas.meetings import MeetingProvider, MeetingStatus, MeetingType, is_upcoming
from meetings.domain.meeting import Meeting


async def test_the_sql_filter_and_the_shared_rule_agree(client, tenant, uow_factory) -> None:
    now = datetime.now(UTC)
    meetings = [
        Meeting(
            tenant_id=tenant.id,
            provider=MeetingProvider.MANUAL,
            provider_uid=f"u-{uuid.uuid4().hex}",
            meeting_type=MeetingType.DEMO,
            status=status,
            created_at=now,
            updated_at=now,
            scheduled_at=now + shift,
        )
        for status in MeetingStatus
        for shift in (timedelta(days=-1), timedelta(hours=1), timedelta(days=30))
    ]
    async with uow_factory() as uow:
        for meeting in meetings:
            uow.meetings.add(meeting)
        await uow.commit()

    listed = {}
    for flag in ("true", "false"):
        answer = await client.get(
            "/v1/meetings", params={"upcoming": flag, "limit": 100}, headers=tenant.auth
        )
        assert answer.status_code == 200, answer.text
        listed[flag] = {item["meeting_id"] for item in answer.json()["items"]}

    expected = {
        str(m.id) for m in meetings if is_upcoming(m.status, m.scheduled_at, datetime.now(UTC))
    }
    assert len(expected) == 2  # scheduled, in an hour and in a month
    assert listed["true"] == expected
    assert listed["false"] == {str(m.id) for m in meetings} - expected
