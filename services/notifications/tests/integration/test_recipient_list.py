"""The send log by recipient (send_recipients): exactly the tenant's sends that list the address,
whatever its case, newest first, page after page; the table always agrees with the sends."""

import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import text

from dealflow_libs.testing.tenants import TenantCredentials
from dealflow_schemas.notifications import NotificationKind, NotificationTransport
from notifications.domain.model import Send, SendStatus
from notifications.uow import NotificationsUnitOfWork

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def sent(
    tenant_id: str,
    recipients: list[str],
    minutes: int,
    kind: NotificationKind = NotificationKind.CONFIRMATION,
) -> Send:
    """A send already sent (the dispatcher leaves it alone), `minutes` after T0."""
    at = T0 + timedelta(minutes=minutes)
    key = uuid.uuid4().hex
    return Send(
        id=uuid.uuid4(),
        tenant_id=tenant_id,
        meeting_id=uuid.uuid4(),
        kind=kind,
        send_key=f"{kind.value}/{key}",
        logical={},
        idempotency_key=key,
        status=SendStatus.SENT,
        recipients=recipients,
        from_address="team@revenueengineer.com",
        subject="Your meeting",
        html="<p>On.</p>",
        text="On.",
        transport=NotificationTransport.RESEND,
        source_event_id=key,
        created_at=at,
        updated_at=at,
        next_attempt_at=at,
        sent_at=at,
    )


async def pages(api: httpx.AsyncClient, **params: Any) -> list[list[str]]:
    """The ids of every page of the list, following next_cursor to the end."""
    found: list[list[str]] = []
    cursor = None
    while True:
        answer = await api.get("/v1/notifications", params={**params, "cursor": cursor or ""})
        assert answer.status_code == 200, answer.text
        body = answer.json()
        found.append([n["id"] for n in body["items"]])
        cursor = body["next_cursor"]
        if cursor is None:
            return found


def flat(pages: list[list[str]]) -> list[str]:
    return [item for page in pages for item in page]


async def test_a_recipient_lists_exactly_the_sends_naming_them_page_after_page(
    api: httpx.AsyncClient,
    tenant: TenantCredentials,
    uow_factory: Callable[..., NotificationsUnitOfWork],
) -> None:
    jane, bob = f"jane-{uuid.uuid4().hex[:6]}@prospect.io", "bob@prospect.io"
    reminder = NotificationKind.REMINDER
    naming_jane = [
        sent(tenant.id, [jane], 1),
        sent(tenant.id, [bob, jane], 2, reminder),
        sent(tenant.id, [jane.upper(), "carol@prospect.io"], 3),
        sent(tenant.id, [jane, jane.title()], 4, reminder),  # one recipient, spelled twice
        sent(tenant.id, ["carol@prospect.io", jane], 5),
        sent(tenant.id, [jane], 5),  # the same instant as the one before: the id breaks the tie
        sent(tenant.id, [jane, bob], 5, reminder),
    ]
    others = [
        sent(tenant.id, [bob], 6),
        sent(tenant.id, [f"x{jane}"], 7),
        sent(tenant.id, [], 8),
        sent(f"{tenant.id}-other", [jane], 9),  # another tenant's send to the same address
    ]
    async with uow_factory() as uow:
        await uow.notifications.add_sends(naming_jane[:4] + others[:2])
        added = await uow.notifications.add_sends(
            [*naming_jane[2:], *others[2:]]  # two keys seen before: inserted once
        )
        await uow.commit()
    assert [s.id for s in added] == [s.id for s in naming_jane[4:] + others[2:]]
    newest_first = sorted(naming_jane, key=lambda s: (s.created_at, s.id), reverse=True)

    paged = await pages(api, recipient=f" {jane.upper()} ", limit=2)
    assert [len(p) for p in paged] == [2, 2, 2, 1]
    assert flat(paged) == [str(s.id) for s in newest_first]

    reminders = await pages(api, recipient=jane, kind="reminder", limit=1)
    assert flat(reminders) == [str(s.id) for s in newest_first if s.kind == reminder]
    window = await pages(
        api,
        recipient=jane,
        since=(T0 + timedelta(minutes=2)).isoformat(),
        until=(T0 + timedelta(minutes=5)).isoformat(),
    )
    assert flat(window) == [str(s.id) for s in newest_first if 2 <= s.created_at.minute < 5]
    assert await pages(api, recipient=f"nobody-{jane}") == [[]]


async def test_send_recipients_agree_with_the_sends_recipients(
    tenant: TenantCredentials, uow_factory: Callable[..., NotificationsUnitOfWork], sessions: Any
) -> None:
    """One row per distinct lower-cased recipient of each send inserted, none for a send whose
    key was taken (its recipients are the first send's)."""
    first = sent(tenant.id, ["Ann@X.io", "ann@x.io", "bo@x.io"], 1)
    taken = sent(tenant.id, ["zed@x.io"], 2)
    taken.send_key = first.send_key
    async with uow_factory() as uow:
        await uow.notifications.add_sends([first, sent(tenant.id, [], 3)])
        await uow.notifications.add_sends([taken])
        await uow.commit()
    async with sessions() as session:
        rows = await session.execute(
            text(
                "SELECT email, created_at, send_id FROM send_recipients WHERE tenant_id = :t"
                " ORDER BY email"
            ),
            {"t": tenant.id},
        )
    assert rows.all() == [
        ("ann@x.io", first.created_at, first.id),
        ("bo@x.io", first.created_at, first.id),
    ]
