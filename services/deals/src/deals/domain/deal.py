"""The Deal aggregate: stages, probabilities, closing and reopening. Plain Python."""

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from dealflow_libs.ids import new_id
from dealflow_libs.money import to_cents
from dealflow_schemas.deals import CLOSED_STAGES, DealStage, DealStatus, LostReason
from deals.domain.settings import DealSettings

#: Forward order of the open stages; automatic moves only ever go forward.
OPEN_STAGES = (
    DealStage.BOOKED,
    DealStage.MET,
    DealStage.QUALIFICATION,
    DealStage.PROPOSAL,
    DealStage.NEGOTIATION,
    DealStage.VERBAL_COMMIT,
    DealStage.CONTRACT_SENT,
)


class DealClosed(Exception):
    """A change that needs an active deal was asked of a closed one (reopen it first)."""


class InvalidChange(Exception):
    """A change the rules do not allow, with a message saying why."""


class Kind(StrEnum):
    CREATED = "created"
    STAGE_CHANGED = "stage_changed"
    VALUE_CHANGED = "value_changed"
    WON = "won"
    LOST = "lost"
    CANCELLED = "cancelled"
    REOPENED = "reopened"
    UPDATED = "updated"


@dataclass
class Transition:
    """One thing that happened to a deal: becomes one event, and a history row if the stage or
    status moved."""

    kind: Kind
    by: str | None
    reason: str | None = None
    from_stage: DealStage | None = None
    to_stage: DealStage | None = None
    from_status: DealStatus | None = None
    to_status: DealStatus | None = None
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def moves(self) -> bool:
        return self.from_stage != self.to_stage or self.from_status != self.to_status


@dataclass(eq=False)
class Deal:
    tenant_id: str
    company_id: uuid.UUID
    name: str
    stage: DealStage
    probability: int
    currency: str
    created_at: datetime
    updated_at: datetime
    #: When the deal entered its current stage or status: what "days in stage" counts from.
    stage_entered_at: datetime
    status: DealStatus = DealStatus.ACTIVE
    id: uuid.UUID = field(default_factory=new_id)
    value: Decimal | None = None
    expected_close_date: date | None = None
    owner: str | None = None
    primary_contact_email: str | None = None
    source_meeting_id: uuid.UUID | None = None
    meeting_ids: list[uuid.UUID] = field(default_factory=list)
    converting_activity_id: str | None = None
    converting_channel: str | None = None
    lost_reason: LostReason | None = None
    lost_notes: str | None = None
    closed_at: datetime | None = None
    days_to_close: int | None = None
    stage_before_close: DealStage | None = None
    external_ids: dict[str, str] = field(default_factory=dict)

    @classmethod
    def open(
        cls,
        *,
        tenant_id: str,
        company_id: uuid.UUID,
        name: str,
        stage: DealStage,
        settings: DealSettings,
        currency: str,
        now: datetime,
        by: str | None,
        **extra: Any,
    ) -> tuple["Deal", Transition]:
        deal = cls(
            tenant_id=tenant_id,
            company_id=company_id,
            name=name,
            stage=stage,
            probability=settings.probability(stage),
            currency=currency,
            created_at=now,
            updated_at=now,
            stage_entered_at=now,
            **extra,
        )
        return deal, Transition(Kind.CREATED, by, to_stage=stage, to_status=DealStatus.ACTIVE)

    @property
    def is_active(self) -> bool:
        return self.status is DealStatus.ACTIVE

    @property
    def weighted_value(self) -> Decimal | None:
        return None if self.value is None else to_cents(self.value * self.probability / 100)

    def link_meeting(self, meeting_id: uuid.UUID) -> bool:
        """Adds the meeting; True if it was not linked before."""
        if meeting_id in self.meeting_ids:
            return False
        self.meeting_ids = [*self.meeting_ids, meeting_id]
        return True

    def _move(
        self,
        stage: DealStage,
        status: DealStatus,
        kind: Kind,
        *,
        settings: DealSettings,
        by: str | None,
        reason: str | None,
        now: datetime,
    ) -> Transition:
        transition = Transition(kind, by, reason, self.stage, stage, self.status, status)
        self.stage, self.status, self.probability = stage, status, settings.probability(stage)
        self.updated_at = self.stage_entered_at = now
        return transition

    def advance(
        self,
        stage: DealStage,
        *,
        settings: DealSettings,
        by: str | None,
        reason: str | None,
        now: datetime,
    ) -> Transition | None:
        """An automatic move: only forward, only while active."""
        if (
            not self.is_active
            or stage in CLOSED_STAGES
            or OPEN_STAGES.index(stage) <= OPEN_STAGES.index(self.stage)
        ):
            return None
        return self._move(
            stage, self.status, Kind.STAGE_CHANGED, settings=settings, by=by, reason=reason, now=now
        )

    def move_to(
        self,
        stage: DealStage,
        *,
        settings: DealSettings,
        by: str | None,
        reason: str | None,
        now: datetime,
    ) -> Transition | None:
        """A person's move, forward or back, between open stages."""
        if not self.is_active:
            raise DealClosed(f"deal {self.id} is {self.status.value}; reopen it before moving it")
        if stage in CLOSED_STAGES:
            raise InvalidChange(f"use /won or /lost to move a deal to {stage.value}")
        if stage is self.stage:
            return None
        return self._move(
            stage, self.status, Kind.STAGE_CHANGED, settings=settings, by=by, reason=reason, now=now
        )

    def _close(self, now: datetime) -> None:
        self.stage_before_close = self.stage
        self.closed_at = now
        self.days_to_close = max(0, (now - self.created_at).days)

    def win(
        self, *, value: Decimal | None, settings: DealSettings, by: str | None, now: datetime
    ) -> Transition:
        if not self.is_active:
            raise DealClosed(f"deal {self.id} is {self.status.value}; reopen it before winning it")
        if value is not None:
            self.value = value
        if self.value is None:
            raise InvalidChange("a won deal needs a value: send 'value' or set it first")
        self._close(now)
        return self._move(
            DealStage.CLOSED_WON,
            DealStatus.WON,
            Kind.WON,
            settings=settings,
            by=by,
            reason=None,
            now=now,
        )

    def lose(
        self,
        *,
        reason: LostReason,
        notes: str | None,
        settings: DealSettings,
        by: str | None,
        now: datetime,
    ) -> Transition:
        if not self.is_active:
            raise DealClosed(f"deal {self.id} is {self.status.value}; reopen it before losing it")
        self.lost_reason, self.lost_notes = reason, notes
        self._close(now)
        transition = self._move(
            DealStage.CLOSED_LOST,
            DealStatus.LOST,
            Kind.LOST,
            settings=settings,
            by=by,
            reason=reason.value,
            now=now,
        )
        transition.details = {"reason": reason, "notes": notes}
        return transition

    def cancel(self, *, reason: str | None, by: str | None, now: datetime) -> Transition | None:
        if not self.is_active:
            return None
        transition = Transition(
            Kind.CANCELLED, by, reason, self.stage, self.stage, self.status, DealStatus.CANCELLED
        )
        self.stage_before_close = self.stage
        self.status, self.closed_at = DealStatus.CANCELLED, now
        self.updated_at = self.stage_entered_at = now
        self.probability = 0  # a cancelled deal weighs nothing; reopening restores the stage's
        transition.details = {"reason": reason}
        return transition

    def reopen(
        self,
        *,
        stage: DealStage | None,
        settings: DealSettings,
        by: str | None,
        reason: str | None,
        now: datetime,
    ) -> Transition:
        if self.is_active:
            raise InvalidChange(f"deal {self.id} is already active")
        target = stage or self.stage_before_close or DealStage.QUALIFICATION
        if target in CLOSED_STAGES:
            raise InvalidChange("reopen to an open stage")
        previous = self.status
        self.lost_reason = self.lost_notes = self.closed_at = self.days_to_close = None
        transition = self._move(
            target,
            DealStatus.ACTIVE,
            Kind.REOPENED,
            settings=settings,
            by=by,
            reason=reason,
            now=now,
        )
        transition.details = {"from_status": previous, "reason": reason}
        return transition

    def edit(self, changes: dict[str, Any], *, by: str | None, now: datetime) -> list[Transition]:
        """Value/currency edits become a VALUE_CHANGED; name, owner, close date an UPDATED."""
        transitions = []
        before_value, before_currency = self.value, self.currency
        if ("value" in changes and changes["value"] != self.value) or (
            "currency" in changes and changes["currency"] != self.currency
        ):
            self.value = changes.get("value", self.value)
            self.currency = changes.get("currency", self.currency)
            transitions.append(
                Transition(
                    Kind.VALUE_CHANGED,
                    by,
                    details={"previous_value": before_value, "previous_currency": before_currency},
                )
            )
        edited = [
            k
            for k in ("name", "owner", "expected_close_date")
            if k in changes and changes[k] != getattr(self, k)
        ]
        for key in edited:
            setattr(self, key, changes[key])
        if edited:
            transitions.append(Transition(Kind.UPDATED, by, details={"changed_fields": edited}))
        if transitions:
            self.updated_at = now
        return transitions
