"""One attribution run: a deal's journey, a model and a value in, credit per touch and channel out.

Pure and deterministic: the same inputs give the same `input_hash` and byte-identical
`to_json()`, in any process. The caller assembles the account journey (every person at the
deal's company plus the meeting's attendees, see `account.py`); this module decides eligibility,
channels, weights and cents.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from fractions import Fraction
from typing import Any

from attribution.domain.canonical import canonical_json, fraction_text, sha256_of, utc_text
from attribution.domain.channels import Classification, RuleSet
from attribution.domain.money import UNATTRIBUTED, allocate, minor_unit_exponent
from attribution.domain.touches import (
    DEFAULT_WINDOW,
    ActivityType,
    Exclusion,
    Touch,
    Window,
    select_eligible,
    unique_touches,
)
from attribution.domain.weighting import (
    NO_MILESTONES,
    Journey,
    Milestones,
    Model,
    ModelName,
    Role,
    Weighting,
)

NO_ELIGIBLE_TOUCH = "no eligible touch"
ALL_WEIGHTS_ZERO = "every eligible touch weighs 0 under this model"


@dataclass(frozen=True, slots=True)
class RunInput:
    deal_id: str
    touches: Sequence[Touch]
    conversion_at: datetime
    value_minor: int  # the deal value in the currency's minor unit (cents)
    currency: str
    model: Model
    rules: RuleSet
    milestones: Milestones = NO_MILESTONES
    window: Window = DEFAULT_WINDOW

    def input_hash(self, ordered: Sequence[Touch] | None = None) -> str:
        """The run's input hash, without computing the run: a recompute whose inputs did not
        change stops here (`compute_run` gives the same hash from the same function)."""
        return sha256_of(self.canonical(ordered))

    def canonical(self, ordered: Sequence[Touch] | None = None) -> dict[str, Any]:
        """Everything the run depends on; `ordered` = unique_touches(self.touches) if known."""
        touches = unique_touches(self.touches) if ordered is None else ordered
        return {
            "deal_id": self.deal_id,
            "touches": [t.canonical() for t in touches],
            "conversion_at": utc_text(self.conversion_at),
            "value_minor": self.value_minor,
            "currency": self.currency,
            "model": {"name": self.model.name.value, "params": self.model.params()},
            "rules": {"version": self.rules.version, "digest": self.rules.digest},
            "milestones": self.milestones.canonical(),
            "window": self.window.canonical(),
        }


@dataclass(frozen=True, slots=True)
class TouchCredit:
    touch_id: str
    person_email: str
    occurred_at: datetime
    activity_type: ActivityType
    channel: str
    channel_rule_id: str
    roles: tuple[Role, ...]
    numerator: int  # raw weight = numerator / denominator; weight = numerator / total
    denominator: int
    total: int
    minor_units: int
    reason: str

    @property
    def raw_weight(self) -> Fraction:
        """The model's nominal share (e.g. 2/5 for a 40% first touch), before renormalising."""
        return Fraction(self.numerator, self.denominator)

    @property
    def weight(self) -> Fraction:
        """The share of the deal this touch earns (the weights of a run sum to 1)."""
        return Fraction(self.numerator, self.total) if self.total else Fraction(0)

    def to_dict(self) -> dict[str, Any]:
        return {
            "touch_id": self.touch_id,
            "person_email": self.person_email,
            "occurred_at": utc_text(self.occurred_at),
            "activity_type": self.activity_type,
            "channel": self.channel,
            "channel_rule_id": self.channel_rule_id,
            "roles": [r.value for r in self.roles],
            "raw_weight": fraction_text(self.raw_weight),
            "weight": fraction_text(self.weight),
            "minor_units": self.minor_units,
            "reason": self.reason,
        }


@dataclass(frozen=True, slots=True)
class ChannelCredit:
    channel: str
    minor_units: int
    numerator: int  # weight = numerator / total: the channel's share of the deal
    total: int
    touches: int

    @property
    def weight(self) -> Fraction:
        return Fraction(self.numerator, self.total) if self.total else Fraction(0)

    def to_dict(self) -> dict[str, Any]:
        return {
            "channel": self.channel,
            "minor_units": self.minor_units,
            "weight": fraction_text(self.weight),
            "touches": self.touches,
        }


@dataclass(frozen=True, slots=True)
class ExcludedTouch:
    exclusion: Exclusion
    classification: Classification

    def to_dict(self) -> dict[str, Any]:
        touch = self.exclusion.touch
        return {
            "touch_id": touch.touch_id,
            "person_email": touch.person_email,
            "occurred_at": utc_text(touch.occurred_at),
            "activity_type": touch.activity_type.value,
            "channel": self.classification.channel,
            "channel_rule_id": self.classification.rule_id,
            "reason": self.exclusion.reason.value,
            "detail": self.exclusion.detail,
        }


@dataclass(frozen=True, slots=True)
class AttributionRun:
    deal_id: str
    model: ModelName
    params: dict[str, Any]
    rule_version: int
    rule_digest: str
    window: Window
    conversion_at: datetime
    milestones: Milestones
    value_minor: int
    currency: str
    touches: tuple[TouchCredit, ...]
    channels: tuple[ChannelCredit, ...]  # by channel name; "(unattributed)" when nothing earns
    excluded: tuple[ExcludedTouch, ...]
    unattributed_reason: str | None
    input_hash: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "deal_id": self.deal_id,
            "model": self.model.value,
            "params": self.params,
            "rule_version": self.rule_version,
            "rule_digest": self.rule_digest,
            "window": self.window.canonical(),
            "conversion_at": utc_text(self.conversion_at),
            "milestones": self.milestones.canonical(),
            "value_minor": self.value_minor,
            "currency": self.currency,
            "touches": [t.to_dict() for t in self.touches],
            "channels": [c.to_dict() for c in self.channels],
            "excluded": [e.to_dict() for e in self.excluded],
            "unattributed_reason": self.unattributed_reason,
            "input_hash": self.input_hash,
        }

    def to_json(self) -> bytes:
        return canonical_json(self.to_dict())


def _touch_credits(
    eligible: Sequence[Touch],
    classes: Sequence[Classification],
    weighting: Weighting,
    cents: Sequence[int],
) -> tuple[TouchCredit, ...]:
    total = weighting.total  # a sum: once, not per touch
    return tuple(
        TouchCredit(
            touch.touch_id,
            touch.person_email,
            touch.occurred_at,
            touch.activity_type,
            cls.channel,
            cls.rule_id,
            weighting.roles[i],
            weighting.numerators[i],
            weighting.denominator,
            total,
            cents[i],
            weighting.reasons[i],
        )
        for i, (touch, cls) in enumerate(zip(eligible, classes, strict=True))
    )


def compute_run(run: RunInput, *, input_hash: str | None = None) -> AttributionRun:
    """Credit the deal's value to its eligible touches; allocations sum to the value exactly.
    `input_hash`: `run.input_hash()` when the caller computed it already."""
    if run.value_minor < 0:
        raise ValueError("the deal value must not be negative")
    minor_unit_exponent(run.currency)  # validates the code
    ordered = unique_touches(run.touches)
    found = select_eligible(ordered, conversion_at=run.conversion_at, window=run.window)
    eligible = found.eligible
    classes = [run.rules.classify(t) for t in eligible]
    channels = [c.channel for c in classes]
    journey = Journey(eligible, channels, run.conversion_at, run.milestones)
    weighting = run.model.weigh(journey)
    total = weighting.total
    reason = None
    if not total:
        fallback = ALL_WEIGHTS_ZERO if eligible else NO_ELIGIBLE_TOUCH
        reason = weighting.unattributed_reason or fallback
    cents = allocate(run.value_minor, weighting.numerators) if total else [0] * len(eligible)
    credits = _touch_credits(eligible, classes, weighting, cents)
    excluded = tuple(ExcludedTouch(e, run.rules.classify(e.touch)) for e in found.excluded)
    return AttributionRun(
        deal_id=run.deal_id,
        model=run.model.name,
        params=run.model.params(),
        rule_version=run.rules.version,
        rule_digest=run.rules.digest,
        window=run.window,
        conversion_at=run.conversion_at,
        milestones=run.milestones,
        value_minor=run.value_minor,
        currency=run.currency,
        touches=credits,
        channels=_by_channel(channels, weighting.numerators, cents, run.value_minor, reason),
        excluded=excluded,
        unattributed_reason=reason,
        input_hash=input_hash or run.input_hash(ordered),
    )


def _by_channel(
    channels: Sequence[str],
    numerators: Sequence[int],
    cents: Sequence[int],
    value_minor: int,
    unattributed_reason: str | None,
) -> tuple[ChannelCredit, ...]:
    total = sum(numerators)
    sums: dict[str, list[int]] = {}
    for channel, numerator, part in zip(channels, numerators, cents, strict=True):
        row = sums.setdefault(channel, [0, 0, 0])
        row[0] += part
        row[1] += numerator
        row[2] += 1
    rows = [
        ChannelCredit(name, part, num, total, count) for name, (part, num, count) in sums.items()
    ]
    if unattributed_reason:
        rows.append(ChannelCredit(UNATTRIBUTED, value_minor, 1, 1, 0))
    return tuple(sorted(rows, key=lambda row: row.channel))
