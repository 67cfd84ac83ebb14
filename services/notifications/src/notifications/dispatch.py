"""The dispatcher: claims due sends (`FOR UPDATE SKIP LOCKED`, so instances share the work and
never take the same row), re-checks each against the meeting's latest state and the suppression
list just before sending, hands it to the tenant's transport with its Idempotency-Key, and
records the attempt and the outcome (NotificationSent / NotificationFailed) in one transaction
with the other outcomes that finished meanwhile (a group commit).

A crash between the provider's answer and that commit leaves the row `sending`; after
`sending_lease_seconds` it is due again and sent with the same Idempotency-Key, which Resend
answers with the original email (no second one)."""

import asyncio
import contextlib
import logging
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from dealflow_libs import tracing
from dealflow_libs.errors import is_transient
from dealflow_libs.group_commit import GroupCommit
from dealflow_schemas.meetings import MeetingSnapshot
from dealflow_schemas.notifications import NOTIFICATIONS_TOPIC
from notifications.domain.delivery import delivery_after
from notifications.domain.model import Attempt, Send, SendStatus
from notifications.domain.retry import Action, RetryPolicy
from notifications.domain.staleness import stale_reason
from notifications.events import notification_failed, notification_sent
from notifications.logical import logical_of
from notifications.settings_store import TenantConfig, tenant_config
from notifications.transports.base import Accepted, SendError, Transport
from notifications.transports.factory import TransportFactory, email_of
from notifications.uow import NotificationsUnitOfWork

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DispatchSettings:
    concurrency: int = 32
    poll_seconds: float = 0.5
    max_attempts: int = 3
    retry_base_seconds: float = 1.0
    sending_lease_seconds: float = 120.0


@dataclass(frozen=True)
class _Outcome:
    send: Send
    attempt: Attempt | None
    event: object | None


def storable(message: str) -> str:
    """A provider's error text as PostgreSQL stores it: no NUL characters (a text column refuses
    them, which would leave the send `sending` forever), at most 1,000 characters."""
    return message.replace("\x00", "")[:1000]


@dataclass(frozen=True)
class Context:
    """What a send is checked against just before it goes: read with its claim."""

    suppressed: dict[str, str]
    state: dict[str, Any] | None
    config: TenantConfig


class Dispatcher:
    def __init__(
        self,
        uow: Callable[[], NotificationsUnitOfWork],
        transports: TransportFactory,
        settings: DispatchSettings,
    ) -> None:
        self.uow, self.transports, self.settings = uow, transports, settings
        self.wake = asyncio.Event()
        self.in_flight: set[asyncio.Task[None]] = set()
        self.rng = random.Random()
        self.outcomes = GroupCommit(self._write, name="send-outcomes")
        self.policy = RetryPolicy(
            max_attempts=settings.max_attempts, base_seconds=settings.retry_base_seconds
        )

    def nudge(self) -> None:
        self.wake.set()

    async def run(self) -> None:
        while True:
            try:
                started = await self.dispatch_due()
            except Exception as exc:
                if not is_transient(exc):
                    raise
                log.warning("dispatcher: database unavailable (%s); retrying", exc)
                started = 0
            if started == 0 or len(self.in_flight) >= self.settings.concurrency:
                self.wake.clear()
                woken: asyncio.Future[Any] = asyncio.ensure_future(self.wake.wait())
                waiters: list[asyncio.Future[Any]] = [woken, *self.in_flight]
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait(
                        waiters, timeout=self.settings.poll_seconds, return_when="FIRST_COMPLETED"
                    )
                woken.cancel()

    async def dispatch_due(self) -> int:
        free = self.settings.concurrency - len(self.in_flight)
        if free <= 0:
            return 0
        now = datetime.now(UTC)
        stale_before = now - timedelta(seconds=self.settings.sending_lease_seconds)
        async with self.uow() as uow:
            claimed = await uow.notifications.claim_due(now, free, stale_before)
            # What every claimed send is checked against, read once for the batch.
            suppressed = await uow.notifications.suppressed_among(claimed)
            states = await uow.notifications.meeting_states_of(claimed)
            settings = await uow.notifications.settings_of(sorted({s.tenant_id for s in claimed}))
            await uow.commit()
        for send in claimed:
            context = Context(
                suppressed={
                    email: reason
                    for (tenant, email), reason in suppressed.items()
                    if tenant == send.tenant_id
                },
                state=states.get((send.tenant_id, send.meeting_id)),
                config=tenant_config(settings.get(send.tenant_id)),
            )
            task = asyncio.create_task(self.deliver(send, context), name=f"send-{send.id}")
            self.in_flight.add(task)
            task.add_done_callback(self.in_flight.discard)
        return len(claimed)

    async def stop(self) -> None:
        if self.in_flight:
            await asyncio.gather(*self.in_flight, return_exceptions=True)

    async def deliver(self, send: Send, context: "Context") -> None:
        try:
            await self._deliver(send, context)
        except Exception:
            # Left `sending`: due again after the lease, with the same Idempotency-Key.
            log.exception("send %s could not be completed", send.id)

    async def _deliver(self, send: Send, context: "Context") -> None:
        now = datetime.now(UTC)
        suppressed, state, config = context.suppressed, context.state, context.config
        reachable = [r for r in send.recipients if r.lower() not in suppressed]
        if not reachable:
            why = ", ".join(f"{r} ({suppressed[r.lower()]})" for r in send.recipients)
            await self._end(send, SendStatus.SKIPPED, f"suppressed: {why}", failed=True)
            return
        if state is not None:
            stale = stale_reason(
                logical_of(send.logical), MeetingSnapshot.model_validate(state), now=now
            )
            if stale is not None:
                await self._end(send, SendStatus.SKIPPED, f"{stale.reason.value}: {stale.detail}")
                return
        if config.transport is None:
            await self._end(send, SendStatus.SKIPPED, "no email transport configured")
            return
        transport: Transport = self.transports.for_tenant(send.tenant_id, config.transport)
        try:
            accepted = await transport.send(email_of(send, reachable))
        except SendError as error:
            await self._failed(send, error)
            return
        await self._sent(send, accepted, reachable)

    async def _sent(self, send: Send, accepted: Accepted, recipients: list[str]) -> None:
        now = datetime.now(UTC)
        send.attempts += 1
        send.status, send.sent_at, send.updated_at = SendStatus.SENT, now, now
        send.provider_message_id = accepted.message_id
        send.error = send.error_code = None
        if len(recipients) < len(send.recipients):
            skipped = sorted(set(send.recipients) - set(recipients))
            send.reason = f"not sent to suppressed {', '.join(skipped)}"
        attempt = Attempt(
            send.id, send.attempts, accepted.status, None, None, accepted.duration_ms, now
        )
        await self.record(send, attempt, notification_sent(send))

    async def _failed(self, send: Send, error: SendError) -> None:
        now = datetime.now(UTC)
        attempt = send.attempts + 1
        step = self.policy.next_step(
            error.failure,
            attempt=attempt,
            now=now,
            jitter=self.rng.random(),
            retry_after=error.retry_after,
            retry_at=error.retry_at,
        )
        send.attempts += int(step.counted)
        message = storable(error.message)
        send.error, send.error_code, send.updated_at = message, error.code, now
        publish = None
        match step.action:
            case Action.WAIT_FOR_QUOTA:
                assert step.not_before is not None
                send.status, send.next_attempt_at = SendStatus.PENDING, step.not_before
                send.reason = (
                    f"waiting for the provider's quota until {step.not_before:%Y-%m-%d %H:%M} UTC"
                )
            case Action.GIVE_UP:
                send.status = SendStatus.FAILED
                send.reason = (
                    f"failed after {send.attempts} attempt(s): {error.code or error.failure}"
                )
                publish = notification_failed(send, now)
            case Action.RETRY:
                assert step.not_before is not None
                send.status, send.next_attempt_at = SendStatus.PENDING, step.not_before
        failed = Attempt(
            send.id, attempt, error.status, error.code, message, error.duration_ms, now
        )
        await self.record(send, failed, publish)

    async def _end(
        self, send: Send, status: SendStatus, reason: str, *, failed: bool = False
    ) -> None:
        now = datetime.now(UTC)
        send.status, send.reason, send.updated_at = status, reason, now
        await self.record(send, None, notification_failed(send, now) if failed else None)

    async def record(self, send: Send, attempt: Attempt | None, event: object | None) -> None:
        """Writes a send's outcome in the next group commit (one transaction per batch of
        outcomes, not per email) and waits until it is written. Until then the send stays
        `sending` (a crash re-sends it after the lease with the same Idempotency-Key)."""
        await self.outcomes.submit(_Outcome(send, attempt, event))

    async def _write(self, batch: list["_Outcome"]) -> None:
        async with self.uow() as uow:
            await self._catch_up_deliveries(uow, [o.send for o in batch])
            await uow.notifications.save_states([o.send for o in batch])
            await uow.notifications.add_attempts([o.attempt for o in batch if o.attempt])
            for outcome in batch:
                if outcome.event is not None:
                    self._publish(uow, outcome.send, outcome.event)
            await uow.commit()

    @staticmethod
    async def _catch_up_deliveries(uow: NotificationsUnitOfWork, sends: list[Send]) -> None:
        """Delivery events the provider's webhook brought before these sends were written (a
        fast webhook, or a crash between the answer and the commit) apply now."""
        emails = {
            (s.tenant_id, s.provider_message_id): s
            for s in sends
            if s.status is SendStatus.SENT and s.provider_message_id
        }
        # Held to the commit: a webhook for one of these emails now waits, then finds its send.
        await uow.notifications.lock_provider_emails(list(emails))
        recorded = await uow.notifications.delivery_types_of(list(emails))
        for key, types in recorded.items():
            send = emails[key]
            send.delivery = delivery_after(send.delivery, types)

    def _publish(self, uow: NotificationsUnitOfWork, send: Send, event: object) -> None:
        trail = {send.source_event_id: tracing.TraceContext(send.correlation_id, send.traceparent)}
        with tracing.caused(trail):
            uow.outbox.add(
                event,  # type: ignore[arg-type]
                topic=NOTIFICATIONS_TOPIC,
                key=str(send.meeting_id),
                tenant_id=send.tenant_id,
            )
