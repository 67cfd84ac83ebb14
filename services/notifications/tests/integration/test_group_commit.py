"""The dispatcher's group commit on real PostgreSQL: outcomes that finish together are written
in one transaction, one outcome the database refuses does not keep the others unwritten, and a
delivery webhook racing the commit is applied whichever commits first."""

import asyncio
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import text

from notifications.dispatch import Dispatcher, DispatchSettings
from notifications.domain.delivery import DeliveryEvent, DeliveryType
from notifications.domain.model import Attempt, Send, SendStatus
from notifications.uow import NotificationsUnitOfWork
from notifications.use_cases import apply_delivery

SENDING = """
INSERT INTO sends (id, tenant_id, meeting_id, kind, send_key, logical, idempotency_key, status,
                   recipients, from_address, subject, html, text, transport, next_attempt_at,
                   source_event_id, created_at, updated_at)
SELECT gen_random_uuid(), :tenant, gen_random_uuid(), 'confirmation', 'k' || g, '{}', 'i' || g,
       'sending', ARRAY['p' || g || '@x.example'], 'team@x.example', 's', 'h', 't', 'resend',
       now(), 'e' || g, now(), now()
FROM generate_series(1, :count) g
RETURNING id
"""


async def sending(uow_factory: Callable[..., NotificationsUnitOfWork], count: int) -> list[Send]:
    """`count` sends of a fresh tenant, claimed (`sending`), as the dispatcher holds them."""
    tenant = f"t-group-{uuid.uuid4().hex[:8]}"
    async with uow_factory() as uow:
        ids = list(await uow.session.scalars(text(SENDING), {"tenant": tenant, "count": count}))
        await uow.commit()
    async with uow_factory() as uow:
        found = [await uow.notifications.send(tenant, send_id) for send_id in ids]
    return [s for s in found if s is not None]


def delivered(send: Send, *, error: str | None = None) -> Attempt:
    now = datetime.now(UTC)
    send.attempts += 1
    send.status, send.sent_at, send.updated_at = SendStatus.SENT, now, now
    send.provider_message_id, send.error = f"msg-{send.id}", error
    return Attempt(send.id, send.attempts, 200, None, None, 12, now)


async def stored(
    uow_factory: Callable[..., NotificationsUnitOfWork], sends: list[Send]
) -> dict[uuid.UUID, Any]:
    """Each send's status, its row version (`xmin`: the transaction that last wrote it) and
    its attempt count."""
    async with uow_factory() as uow:
        rows = await uow.session.execute(
            text(
                "SELECT s.id, s.status, s.xmin::text AS version, "
                "(SELECT count(*) FROM send_attempts a WHERE a.send_id = s.id) AS attempts "
                "FROM sends s WHERE s.id = ANY(:ids)"
            ),
            {"ids": [s.id for s in sends]},
        )
        return {row.id: row for row in rows}


def dispatcher(uow_factory: Callable[..., NotificationsUnitOfWork]) -> Dispatcher:
    return Dispatcher(uow_factory, transports=None, settings=DispatchSettings())  # type: ignore[arg-type]


async def test_outcomes_that_finish_together_are_one_transaction(uow_factory) -> None:  # type: ignore[no-untyped-def]
    sends = await sending(uow_factory, 20)

    recorder = dispatcher(uow_factory)
    await asyncio.gather(*(recorder.record(s, delivered(s), None) for s in sends))

    rows = await stored(uow_factory, sends)
    assert {r.status for r in rows.values()} == {"sent"}
    assert {r.attempts for r in rows.values()} == {1}
    assert len({r.version for r in rows.values()}) == 1  # one transaction wrote them all


async def test_an_outcome_the_database_refuses_leaves_the_others_written(uow_factory) -> None:  # type: ignore[no-untyped-def]
    sends = await sending(uow_factory, 6)
    poisoned = sends[2]
    recorder = dispatcher(uow_factory)

    results = await asyncio.gather(
        *(
            recorder.record(s, delivered(s, error="nul\x00byte" if s is poisoned else None), None)
            for s in sends
        ),
        return_exceptions=True,
    )

    assert [isinstance(r, Exception) for r in results] == [s is poisoned for s in sends]
    rows = await stored(uow_factory, sends)
    assert rows[poisoned.id].status == "sending"  # due again after the lease
    assert rows[poisoned.id].attempts == 0
    others = [rows[s.id] for s in sends if s is not poisoned]
    assert {(r.status, r.attempts) for r in others} == {("sent", 1)}


async def test_delivery_events_that_beat_the_commit_apply_when_the_send_is_written(
    uow_factory,  # type: ignore[no-untyped-def]
) -> None:
    """Resend's webhook can arrive before the send's outcome is written (a fast webhook, or a
    crash between the provider's answer and the commit): it was recorded then, and applies now."""
    sends = await sending(uow_factory, 2)
    early, plain = sends
    async with uow_factory() as uow:
        for n, kind in enumerate(("email.delivered", "email.sent", "malformed: no data")):
            await uow.notifications.claim_webhook(
                f"msg_{uuid.uuid4().hex}",
                early.tenant_id,
                kind,
                f"msg-{early.id}",
                {"n": n},
                datetime.now(UTC),
            )
        await uow.commit()
    recorder = dispatcher(uow_factory)

    await asyncio.gather(*(recorder.record(s, delivered(s), None) for s in sends))

    async with uow_factory() as uow:
        found = {s.id: await uow.notifications.send(s.tenant_id, s.id) for s in sends}
    assert found[early.id].delivery == "delivered"  # not taken back by the later `email.sent`
    assert found[plain.id].delivery is None


def delivered_event(send: Send) -> DeliveryEvent:
    return DeliveryEvent(
        DeliveryType.DELIVERED, f"msg-{send.id}", tuple(send.recipients), datetime.now(UTC)
    )


async def webhook(
    uow_factory: Callable[..., NotificationsUnitOfWork],
    send: Send,
    *,
    before_commit: asyncio.Event | None = None,
) -> str:
    """What `record_delivery` does once the signature is checked: the event recorded once,
    then applied to its send if that is written yet."""
    event = delivered_event(send)
    async with uow_factory() as uow:
        await uow.notifications.claim_webhook(
            f"msg_{uuid.uuid4().hex}",
            send.tenant_id,
            event.type.value,
            event.email_id,
            {},
            event.at,
        )
        applied = await apply_delivery(uow, send.tenant_id, event, event.at)
        if before_commit is not None:
            await before_commit.wait()
        await uow.commit()
    return applied


async def delivery_of(uow_factory: Callable[..., NotificationsUnitOfWork], send: Send) -> Any:
    async with uow_factory() as uow:
        found = await uow.notifications.send(send.tenant_id, send.id)
    assert found is not None
    return found.delivery


async def test_a_webhook_committing_during_the_group_commit_is_found_by_it(uow_factory) -> None:  # type: ignore[no-untyped-def]
    """The webhook holds its email's lock (the send not written yet, so only recorded): the
    outcome's commit waits for it, then reads the event it recorded."""
    (send,) = await sending(uow_factory, 1)
    release = asyncio.Event()
    hook = asyncio.create_task(webhook(uow_factory, send, before_commit=release))
    await asyncio.sleep(0.3)  # the webhook has applied (nothing to apply to) and holds the lock
    outcome = asyncio.create_task(dispatcher(uow_factory).record(send, delivered(send), None))
    await asyncio.sleep(0.5)
    assert not outcome.done()  # waiting for the webhook's lock

    release.set()
    assert await hook == "recorded"
    await outcome

    assert await delivery_of(uow_factory, send) == "delivered"


async def test_a_webhook_arriving_during_the_group_commit_waits_and_applies(uow_factory) -> None:  # type: ignore[no-untyped-def]
    """The outcome's commit holds the lock: the webhook waits for it, then finds the send."""
    (send,) = await sending(uow_factory, 1)
    async with uow_factory() as uow:
        await uow.notifications.lock_provider_emails([(send.tenant_id, f"msg-{send.id}")])
        hook = asyncio.create_task(webhook(uow_factory, send))
        await asyncio.sleep(0.5)
        assert not hook.done()  # waiting for the commit's lock
        delivered(send)
        await uow.notifications.save_states([send])
        await uow.commit()

    assert (await hook).endswith("delivered")
    assert await delivery_of(uow_factory, send) == "delivered"
