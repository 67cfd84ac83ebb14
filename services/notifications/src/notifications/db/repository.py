"""All SQL of notifications. Methods take and return domain objects and never commit."""

import dataclasses
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    Text,
    and_,
    bindparam,
    func,
    literal,
    or_,
    select,
    text,
    true,
    update,
)
from sqlalchemy.dialects.postgresql import Insert, insert
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncSession

from dealflow_libs.db import any_of
from dealflow_libs.pagination import keyset_page
from dealflow_schemas.notifications import NotificationKind, NotificationTransport
from notifications.db.tables import (
    meeting_states,
    send_attempts,
    send_recipients,
    sends,
    suppressions,
    tenant_settings,
    webhook_events,
)
from notifications.domain.model import Attempt, Send, SendStatus

_STATE = (
    "status",
    "attempts",
    "next_attempt_at",
    "provider_message_id",
    "delivery",
    "reason",
    "error_code",
    "error",
    "updated_at",
    "sent_at",
)


def _send(row: RowMapping) -> Send:
    return Send(
        id=row["id"],
        tenant_id=row["tenant_id"],
        meeting_id=row["meeting_id"],
        kind=NotificationKind(row["kind"]),
        offset_minutes=row["offset_minutes"],
        send_key=row["send_key"],
        logical=dict(row["logical"]),
        idempotency_key=row["idempotency_key"],
        status=SendStatus(row["status"]),
        recipients=list(row["recipients"]),
        from_address=row["from_address"],
        reply_to=row["reply_to"],
        subject=row["subject"],
        html=row["html"],
        text=row["text"],
        ics=row["ics"],
        transport=NotificationTransport(row["transport"]),
        attempts=row["attempts"],
        next_attempt_at=row["next_attempt_at"],
        provider_message_id=row["provider_message_id"],
        delivery=row["delivery"],
        reason=row["reason"],
        error_code=row["error_code"],
        error=row["error"],
        source_event_id=row["source_event_id"],
        correlation_id=row["correlation_id"],
        traceparent=row["traceparent"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        sent_at=row["sent_at"],
    )


def _values(send: Send) -> dict[str, Any]:
    return {
        "id": send.id,
        "tenant_id": send.tenant_id,
        "meeting_id": send.meeting_id,
        "kind": send.kind.value,
        "offset_minutes": send.offset_minutes,
        "send_key": send.send_key,
        "logical": send.logical,
        "idempotency_key": send.idempotency_key,
        "recipients": send.recipients,
        "from_address": send.from_address,
        "reply_to": send.reply_to,
        "subject": send.subject,
        "html": send.html,
        "text": send.text,
        "ics": send.ics,
        "transport": send.transport.value,
        "source_event_id": send.source_event_id,
        "correlation_id": send.correlation_id,
        "traceparent": send.traceparent,
        "created_at": send.created_at,
        **{name: _state_value(send, name) for name in _STATE},
    }


def _state_value(send: Send, name: str) -> Any:
    value = getattr(send, name)
    return value.value if isinstance(value, SendStatus) else value


# Locked in the order of the hashes (a subquery sorts them before any lock is taken).
_LOCK_KEYS = text(
    "SELECT pg_advisory_xact_lock(h) FROM "
    "(SELECT hashtext(k) AS h FROM unnest(CAST(:keys AS text[])) AS k ORDER BY 1) AS ordered"
)


@dataclass(frozen=True)
class SendFilter:
    meeting_id: uuid.UUID | None = None
    kind: NotificationKind | None = None
    status: SendStatus | None = None
    recipient: str | None = None
    since: datetime | None = None
    until: datetime | None = None


class NotificationRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    # --- sends -------------------------------------------------------------------------------

    async def add_sends(self, new: Sequence[Send]) -> list[Send]:
        """Inserts the sends whose key is new for their tenant; answers those inserted (a key
        seen before is the same logical email: it is never sent twice)."""
        if not new:
            return []
        statement = (
            insert(sends)
            .on_conflict_do_nothing(constraint="uq_sends_tenant_key")
            .returning(sends.c.id)
        )
        # Parameters as a list: SQLAlchemy's "insertmanyvalues" batches them into multi-row
        # statements from one compiled form (`.values(rows)` compiled every row each time).
        answered = await self.session.execute(statement, [_values(s) for s in new])
        inserted = set(answered.scalars())
        if inserted:
            await self.session.execute(_recipients_of(inserted))
        return [s for s in new if s.id in inserted]

    async def save_state(self, send: Send) -> None:
        await self.save_states([send])

    async def claim_due(self, now: datetime, limit: int, stale_before: datetime) -> list[Send]:
        """Marks `sending` and returns due pending sends, oldest first; a send left `sending`
        since before `stale_before` (its worker died) is due again."""
        chosen = (
            select(sends.c.id)
            .where(
                or_(
                    and_(
                        sends.c.status == SendStatus.PENDING.value, sends.c.next_attempt_at <= now
                    ),
                    and_(
                        sends.c.status == SendStatus.SENDING.value,
                        sends.c.updated_at < stale_before,
                    ),
                )
            )
            .order_by(sends.c.next_attempt_at)
            .limit(limit)
            .with_for_update(skip_locked=True)
            .scalar_subquery()
        )
        rows = await self.session.execute(
            update(sends)
            .where(sends.c.id.in_(chosen))
            .values(status=SendStatus.SENDING.value, updated_at=now)
            .returning(*sends.c)
        )
        return [_send(r) for r in rows.mappings()]

    async def send(self, tenant_id: str, send_id: uuid.UUID, *, lock: bool = False) -> Send | None:
        query = select(sends).where(sends.c.tenant_id == tenant_id, sends.c.id == send_id)
        if lock:
            query = query.with_for_update()
        row = (await self.session.execute(query)).mappings().first()
        return _send(row) if row else None

    async def by_message_id(self, tenant_id: str, message_id: str) -> Send | None:
        row = (
            (
                await self.session.execute(
                    select(sends)
                    .where(
                        sends.c.tenant_id == tenant_id, sends.c.provider_message_id == message_id
                    )
                    .with_for_update()
                )
            )
            .mappings()
            .first()
        )
        return _send(row) if row else None

    async def resends_of(self, tenant_id: str, send_key: str) -> int:
        rows = await self.session.execute(
            select(sends.c.id).where(
                sends.c.tenant_id == tenant_id, sends.c.send_key.like(f"{send_key}/resend-%")
            )
        )
        return len(rows.all())

    async def list_sends(
        self,
        tenant_id: str,
        where: SendFilter,
        after: tuple[datetime, uuid.UUID] | None,
        limit: int,
    ) -> list[Send]:
        rows = await self.session.execute(sends_query(tenant_id, where, after, limit))
        return [_send(r) for r in rows.mappings()]

    async def save_states(self, changed: Sequence[Send]) -> None:
        """The state columns of many sends: one prepared UPDATE executed per send."""
        if not changed:
            return
        statement = (
            update(sends)
            .where(sends.c.id == bindparam("send_id"))
            .values({name: bindparam(f"new_{name}") for name in _STATE})
        )
        await self.session.execute(
            statement,
            [
                {"send_id": s.id, **{f"new_{name}": _state_value(s, name) for name in _STATE}}
                for s in changed
            ],
        )

    async def add_attempts(self, attempts: Sequence[Attempt]) -> None:
        if attempts:
            await self.session.execute(
                insert(send_attempts), [dataclasses.asdict(a) for a in attempts]
            )

    async def attempts_of(self, send_id: uuid.UUID) -> list[RowMapping]:
        rows = await self.session.execute(
            select(send_attempts)
            .where(send_attempts.c.send_id == send_id)
            .order_by(send_attempts.c.id)
        )
        return list(rows.mappings())

    # --- the latest state of each meeting ----------------------------------------------------

    async def remember_meetings(self, states: Sequence[dict[str, Any]]) -> None:
        """Keeps the newest snapshot per meeting (by its updated_at)."""
        if not states:
            return
        statement = insert(meeting_states).values(list(states))
        await self.session.execute(
            statement.on_conflict_do_update(
                index_elements=[meeting_states.c.tenant_id, meeting_states.c.meeting_id],
                set_={
                    "snapshot": statement.excluded.snapshot,
                    "updated_at": statement.excluded.updated_at,
                },
                where=meeting_states.c.updated_at <= statement.excluded.updated_at,
            )
        )

    async def meeting_state(self, tenant_id: str, meeting_id: uuid.UUID) -> dict[str, Any] | None:
        row = (
            await self.session.execute(
                select(meeting_states.c.snapshot).where(
                    meeting_states.c.tenant_id == tenant_id,
                    meeting_states.c.meeting_id == meeting_id,
                )
            )
        ).first()
        return dict(row.snapshot) if row else None

    # --- tenant settings ----------------------------------------------------------------------

    async def settings_of(self, tenant_ids: Sequence[str]) -> dict[str, RowMapping]:
        rows = await self.session.execute(
            select(tenant_settings).where(any_of(tenant_settings.c.tenant_id, set(tenant_ids)))
        )
        return {r["tenant_id"]: r for r in rows.mappings()}

    async def save_settings(self, tenant_id: str, now: datetime, **values: Any) -> None:
        statement = insert(tenant_settings).values(tenant_id=tenant_id, updated_at=now, **values)
        await self.session.execute(
            statement.on_conflict_do_update(
                index_elements=[tenant_settings.c.tenant_id],
                set_={**{k: statement.excluded[k] for k in values}, "updated_at": now},
            )
        )

    # --- suppressions and provider webhooks ---------------------------------------------------

    async def suppressed_among(self, sends_: Sequence[Send]) -> dict[tuple[str, str], str]:
        """(tenant, email) -> reason, for the recipients of these sends that are suppressed."""
        emails = {r.lower() for s in sends_ for r in s.recipients}
        tenants_ = {s.tenant_id for s in sends_}
        if not emails:
            return {}
        rows = await self.session.execute(
            select(suppressions.c.tenant_id, suppressions.c.email, suppressions.c.reason).where(
                any_of(suppressions.c.tenant_id, tenants_), any_of(suppressions.c.email, emails)
            )
        )
        return {(tenant, email): reason for tenant, email, reason in rows}

    async def meeting_states_of(
        self, sends_: Sequence[Send]
    ) -> dict[tuple[str, uuid.UUID], dict[str, Any]]:
        meeting_ids = {s.meeting_id for s in sends_}
        if not meeting_ids:
            return {}
        rows = await self.session.execute(
            select(
                meeting_states.c.tenant_id, meeting_states.c.meeting_id, meeting_states.c.snapshot
            ).where(any_of(meeting_states.c.meeting_id, meeting_ids))
        )
        return {(t, m): dict(snapshot) for t, m, snapshot in rows}

    async def suppress(
        self, tenant_id: str, email: str, reason: str, send_id: uuid.UUID | None, at: datetime
    ) -> None:
        await self.session.execute(
            insert(suppressions)
            .values(tenant_id=tenant_id, email=email.lower(), reason=reason, send_id=send_id, at=at)
            .on_conflict_do_nothing()
        )

    async def lock_provider_emails(self, emails: Sequence[tuple[str, str]]) -> None:
        """Holds, until commit, a lock per (tenant, provider email id): the webhook that records
        a delivery event and the commit that writes the send Resend answered with that id take
        it, so one always sees the other's work (the event applied at once, or found recorded
        by the commit), never neither. Taken in one order (by hash), so two commits cannot wait
        for each other."""
        if emails:
            keys = sorted({f"resend-email:{tenant}:{email_id}" for tenant, email_id in emails})
            (await self.session.execute(_LOCK_KEYS, {"keys": keys})).all()

    async def delivery_types_of(
        self, emails: Sequence[tuple[str, str]]
    ) -> dict[tuple[str, str], list[str]]:
        """(tenant, provider email id) -> the delivery event types recorded for it, oldest
        first: for sends whose provider answered before their outcome was written."""
        if not emails:
            return {}
        tenants = sorted({tenant for tenant, _ in emails})
        ids = sorted({email_id for _, email_id in emails})
        rows = await self.session.execute(
            select(webhook_events.c.tenant_id, webhook_events.c.email_id, webhook_events.c.type)
            .where(any_of(webhook_events.c.tenant_id, tenants))
            .where(any_of(webhook_events.c.email_id, ids))
            .order_by(webhook_events.c.received_at)
        )
        found: dict[tuple[str, str], list[str]] = {}
        wanted = set(emails)
        for tenant, email_id, kind in rows:
            if (tenant, email_id) in wanted:
                found.setdefault((tenant, email_id), []).append(kind)
        return found

    async def claim_webhook(
        self, svix_id: str, tenant_id: str, kind: str, email_id: str | None, body: Any, at: datetime
    ) -> bool:
        """Records a provider event once; False when this svix-id was seen before."""
        result = await self.session.execute(
            insert(webhook_events)
            .values(
                svix_id=svix_id,
                tenant_id=tenant_id,
                type=kind,
                email_id=email_id,
                body=body,
                received_at=at,
            )
            .on_conflict_do_nothing()
            .returning(webhook_events.c.svix_id)
        )
        return result.first() is not None


def email_key(email: ColumnElement[str]) -> ColumnElement[str]:
    """An address as send_recipients keeps it and the list's filter looks it up."""
    return func.lower(email)


def _recipients_of(send_ids: set[uuid.UUID]) -> Insert:
    """The send_recipients rows of these sends, from their stored recipients (an address
    spelled twice in one send is one row): one statement for the whole batch."""
    recipient = func.unnest(sends.c.recipients).table_valued("email").render_derived()
    rows = (
        select(sends.c.tenant_id, email_key(recipient.c.email), sends.c.created_at, sends.c.id)
        .distinct()
        .select_from(sends.join(recipient, true()))
        .where(any_of(sends.c.id, send_ids))
    )
    return insert(send_recipients).from_select(
        ["tenant_id", "email", "created_at", "send_id"], rows
    )


def sends_query(
    tenant_id: str, where: SendFilter, after: tuple[datetime, uuid.UUID] | None, limit: int
) -> Select[Any]:
    """A page of a tenant's sends, newest first. By recipient it reads send_recipients' range
    of (tenant, email) in the list's order and joins each row's send: an index range in custom
    and generic plans alike (a generic plan's guess for `recipients @> $n` walked every send)."""
    c = sends.c
    query = select(sends)
    if where.recipient is None:
        query = query.where(c.tenant_id == tenant_id)
        created_at, send_id = c.created_at, c.id
    else:
        r = send_recipients.c
        query = query.join(
            send_recipients, and_(r.send_id == c.id, r.tenant_id == c.tenant_id)
        ).where(
            r.tenant_id == tenant_id,
            r.email == email_key(literal(where.recipient.strip(), Text)),
        )
        created_at, send_id = r.created_at, r.send_id
    for column, value in (
        (c.meeting_id, where.meeting_id),
        (c.kind, where.kind.value if where.kind else None),
        (c.status, where.status.value if where.status else None),
    ):
        if value is not None:
            query = query.where(column == value)
    if where.since is not None:
        query = query.where(created_at >= where.since)
    if where.until is not None:
        query = query.where(created_at < where.until)
    return keyset_page(query, created_at, send_id, after, limit)
