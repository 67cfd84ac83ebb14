"""What every attribution model consumes (a Journey) and produces (a Weighting).

A model returns integer numerators on a common denominator: touch i's raw weight is
`numerators[i] / denominator` (the model's nominal share, e.g. 2/5 for a 40% first touch) and
its normalised weight is `numerators[i] / sum(numerators)`. Integers keep every model exact and
fast; `Fraction` views are built only when asked for.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from fractions import Fraction
from math import lcm
from typing import Any, Protocol

from attribution.domain.canonical import utc_text
from attribution.domain.touches import Touch


class ModelName(StrEnum):
    FIRST_TOUCH = "first_touch"
    LAST_TOUCH = "last_touch"
    LAST_NON_DIRECT = "last_non_direct"
    LINEAR = "linear"
    TIME_DECAY = "time_decay"
    POSITION_BASED = "position_based"
    W_SHAPED = "w_shaped"
    FULL_PATH = "full_path"
    J_SHAPED = "j_shaped"
    INVERSE_J = "inverse_j"
    CUSTOM = "custom"
    MARKOV = "markov"
    SHAPLEY = "shapley"


class Role(StrEnum):
    FIRST = "first"
    LEAD_CREATION = "lead_creation"
    DEAL_CREATION = "deal_creation"
    CLOSED_WON = "closed_won"
    LAST = "last"
    LAST_NON_DIRECT = "last_non_direct"
    MIDDLE = "middle"


ROLE_LABELS = {
    Role.FIRST: "first touch",
    Role.LEAD_CREATION: "lead creation",
    Role.DEAL_CREATION: "deal creation",
    Role.CLOSED_WON: "closed-won",
    Role.LAST: "last touch",
    Role.LAST_NON_DIRECT: "last non-direct touch",
    Role.MIDDLE: "middle",
}
POSITION_ROLES = (Role.FIRST, Role.LEAD_CREATION, Role.DEAL_CREATION, Role.CLOSED_WON, Role.LAST)


@dataclass(frozen=True, slots=True)
class Milestones:
    """When the account became a lead (first meeting booked), the deal was created, and won."""

    lead_created_at: datetime | None = None
    deal_created_at: datetime | None = None
    won_at: datetime | None = None

    def __post_init__(self) -> None:
        for moment in (self.lead_created_at, self.deal_created_at, self.won_at):
            if moment is not None and moment.utcoffset() is None:
                raise ValueError("milestones must be time-zone aware")

    def canonical(self) -> dict[str, str | None]:
        return {
            name: utc_text(moment) if moment else None
            for name, moment in (
                ("lead_created_at", self.lead_created_at),
                ("deal_created_at", self.deal_created_at),
                ("won_at", self.won_at),
            )
        }


NO_MILESTONES = Milestones()


@dataclass(frozen=True, slots=True)
class Journey:
    """A deal's eligible touches in (occurred_at, touch_id) order, with each touch's channel."""

    touches: Sequence[Touch]
    channels: Sequence[str]
    conversion_at: datetime
    milestones: Milestones = NO_MILESTONES


@dataclass(frozen=True, slots=True)
class Weighting:
    numerators: Sequence[int]
    denominator: int
    roles: Sequence[tuple[Role, ...]]
    reasons: Sequence[str]
    #: Why nothing is credited, when the model itself says (all numerators 0).
    unattributed_reason: str | None = None

    @property
    def total(self) -> int:
        return sum(self.numerators)

    def raw_weight(self, index: int) -> Fraction:
        return Fraction(self.numerators[index], self.denominator)

    def weights(self) -> list[Fraction]:
        """Normalised weights (sum 1); all 0 when every touch weighs 0."""
        total = self.total
        return [Fraction(n, total) if total else Fraction(0) for n in self.numerators]


class Model(Protocol):
    @property
    def name(self) -> ModelName: ...

    def params(self) -> dict[str, Any]: ...

    def weigh(self, journey: Journey) -> Weighting: ...


def decimal_text(numerator: int, denominator: int) -> str:
    """numerator/denominator with at most two decimals, half to even: 22.5, 6.67, 40 (exact)."""
    hundredths, rest = divmod(numerator * 100, denominator)
    if 2 * rest > denominator or (2 * rest == denominator and hundredths % 2):
        hundredths += 1
    whole, cents = divmod(hundredths, 100)
    return f"{whole}.{cents:02d}".rstrip("0").rstrip(".") if cents else str(whole)


def percent(value: Fraction) -> str:
    """40%, 6.67%, 22.5% (for reasons: display only)."""
    return decimal_text(value.numerator * 100, value.denominator) + "%"


def common_scale(values: Sequence[Fraction]) -> tuple[int, list[int]]:
    scale = lcm(*(v.denominator for v in values)) if values else 1
    return scale, [v.numerator * (scale // v.denominator) for v in values]
