"""The attribution models: each turns a deal's journey into one weight per touch.

Role-based models (reference §1.2; the rule Dealflow states where the anchors disagree):
1. a touch holding several roles gets the sum of their weights;
2. the rest (1 - sum of role weights) is split equally among the touches holding no role;
3. if no touch is left without a role, or a milestone has no touch (e.g. no meeting was
   booked), the weights present are renormalised to sum to 1.
So a 2-touch journey under 40/20/40 is 50/50, under J (20/60) 25/75, and 1 touch gets 100%.
"""

from bisect import bisect_right
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from fractions import Fraction
from typing import Any

from attribution.domain.canonical import fraction_text
from attribution.domain.decay import MANTISSA_BITS, pow2_neg
from attribution.domain.default_channels import DIRECT
from attribution.domain.touches import ActivityType
from attribution.domain.training import Training
from attribution.domain.weighting import (
    POSITION_ROLES,
    ROLE_LABELS,
    Journey,
    Model,
    ModelName,
    Role,
    Weighting,
    common_scale,
    decimal_text,
    percent,
)

DEFAULT_HALF_LIFE = timedelta(days=7)
_MICROSECOND = timedelta(microseconds=1)
_DAY_US = 86_400_000_000


@dataclass(frozen=True)
class RoleModel:
    """Fixed shares for roles (first, lead creation, deal creation, closed-won, last)."""

    name: ModelName
    role_weights: Mapping[Role, Fraction]
    _roles: tuple[Role, ...] = field(init=False, repr=False, compare=False)
    _ints: tuple[int, ...] = field(init=False, repr=False, compare=False)
    _scale: int = field(init=False, repr=False, compare=False)
    _pool_int: int = field(init=False, repr=False, compare=False)
    _labels: tuple[str, ...] = field(init=False, repr=False, compare=False)
    _middle: dict[int, str] = field(init=False, repr=False, compare=False, default_factory=dict)

    def __post_init__(self) -> None:
        roles = tuple(r for r in POSITION_ROLES if r in self.role_weights)
        if len(roles) != len(self.role_weights):
            raise ValueError(
                f"role weights take only the roles {[r.value for r in POSITION_ROLES]}"
            )
        shares = [Fraction(self.role_weights[r]) for r in roles]
        pool = 1 - sum(shares, Fraction(0))
        if min([*shares, pool]) < 0:
            raise ValueError("role weights must be non-negative and sum to at most 1")
        scale, ints = common_scale([*shares, pool])
        object.__setattr__(self, "role_weights", dict(zip(roles, shares, strict=True)))
        object.__setattr__(self, "_roles", roles)
        object.__setattr__(self, "_ints", tuple(ints[:-1]))
        object.__setattr__(self, "_scale", scale)
        object.__setattr__(self, "_pool_int", ints[-1])
        labels = tuple(f"{ROLE_LABELS[r]} {percent(w)}" for r, w in zip(roles, shares, strict=True))
        object.__setattr__(self, "_labels", labels)

    @property
    def pool(self) -> Fraction:
        return Fraction(self._pool_int, self._scale)

    def params(self) -> dict[str, Any]:
        return {"role_weights": {r.value: fraction_text(w) for r, w in self.role_weights.items()}}

    def weigh(self, journey: Journey) -> Weighting:
        n = len(journey.touches)
        held: list[list[int]] = [[] for _ in range(n)]  # indexes into self._roles
        for r, holder in enumerate(self._holders(journey)):
            if holder is not None:
                held[holder].append(r)
        unroled = sum(1 for roles in held if not roles)
        spread = unroled or 1  # numerators are in units of 1 / (scale * spread)
        numerators = [
            sum(self._ints[r] for r in roles) * spread if roles else self._pool_int
            for roles in held
        ]
        total = sum(numerators)
        denominator = self._scale * spread
        roles_out = [
            tuple(self._roles[r] for r in roles) if roles else self._unroled_roles()
            for roles in held
        ]
        reasons = [
            self._reason(roles, num, total, denominator, unroled)
            for roles, num in zip(held, numerators, strict=True)
        ]
        return Weighting(numerators, denominator, roles_out, reasons)

    def _holders(self, journey: Journey) -> list[int | None]:
        n = len(journey.touches)
        stones = journey.milestones
        moments = {
            Role.LEAD_CREATION: stones.lead_created_at,
            Role.DEAL_CREATION: stones.deal_created_at,
            Role.CLOSED_WON: stones.won_at or journey.conversion_at,
        }
        times: list[datetime] = []
        holders: list[int | None] = []
        for role in self._roles:
            if role is Role.FIRST or role is Role.LAST:
                holders.append((0 if role is Role.FIRST else n - 1) if n else None)
                continue
            if not times:
                times = [t.occurred_at for t in journey.touches]
            moment = moments[role]
            # The milestone's touch is the last one at or before it (HubSpot's definition).
            index = bisect_right(times, moment) - 1 if moment is not None else -1
            holders.append(index if index >= 0 else None)
        return holders

    def _middle_text(self, unroled: int) -> str:
        text = self._middle.get(unroled)
        if text is None:
            text = self._middle[unroled] = (
                f"middle: {percent(self.pool)} split over {unroled} touches"
            )
        return text

    def _unroled_roles(self) -> tuple[Role, ...]:
        return (Role.MIDDLE,) if self._roles else ()

    def _reason(self, roles: list[int], num: int, total: int, den: int, unroled: int) -> str:
        if roles:
            text = " + ".join(self._labels[r] for r in roles)
        elif not self._roles:
            text = f"equal share of {unroled} touches"
        elif self._pool_int:
            text = self._middle_text(unroled)
        else:
            return "no credit: holds none of this model's roles"
        if total != den and total:
            text += f"; renormalised to {decimal_text(num * 100, total)}%"
        return text


@dataclass(frozen=True)
class LastNonDirect:
    direct_channel: str = DIRECT
    name: ModelName = ModelName.LAST_NON_DIRECT

    def params(self) -> dict[str, Any]:
        return {"direct_channel": self.direct_channel}

    def weigh(self, journey: Journey) -> Weighting:
        n = len(journey.touches)
        channels = journey.channels
        chosen = next((i for i in range(n - 1, -1, -1) if channels[i] != self.direct_channel), None)
        role, reason = Role.LAST_NON_DIRECT, "last non-direct touch 100%"
        if chosen is None:
            chosen, role = n - 1, Role.LAST
            reason = f"last touch 100% (every touch is {self.direct_channel})"
        numerators = [0] * n
        roles: list[tuple[Role, ...]] = [()] * n
        reasons = ["no credit: not the last non-direct touch"] * n
        if n:
            numerators[chosen], roles[chosen], reasons[chosen] = 1, (role,), reason
        return Weighting(numerators, 1, roles, reasons)


def _days(microseconds: int) -> str:
    """A duration in days for a reason string: at most two decimals (display only)."""
    return decimal_text(microseconds, _DAY_US)


@dataclass(frozen=True)
class TimeDecay:
    """w_i proportional to 2^(-Δ_i/H), Δ_i = conversion time - touch time (continuous).

    The factor is the fixed integer algorithm of `decay.pow2_neg` (64-bit mantissa), so weights
    are exact rationals of that approximation and identical on every machine.
    """

    half_life: timedelta = DEFAULT_HALF_LIFE
    name: ModelName = ModelName.TIME_DECAY

    def __post_init__(self) -> None:
        if self.half_life < _MICROSECOND:
            raise ValueError("half_life must be positive")

    def params(self) -> dict[str, Any]:
        return {"half_life_days": fraction_text(Fraction(self.half_life // _MICROSECOND, _DAY_US))}

    def weigh(self, journey: Journey) -> Weighting:
        half_life = self.half_life // _MICROSECOND
        conversion_at = journey.conversion_at
        ages = [(conversion_at - t.occurred_at) // _MICROSECOND for t in journey.touches]
        if ages and min(ages) < 0:
            raise ValueError("time decay weighs touches at or before the conversion only")
        factors = [pow2_neg(age, half_life) for age in ages]
        top = max((k for _, k in factors), default=0)
        numerators = [mantissa << (top - k) for mantissa, k in factors]
        h_days = _days(half_life)
        reasons = [f"2^(-{_days(age)}/{h_days}) decay, normalised" for age in ages]
        return Weighting(numerators, 1 << (MANTISSA_BITS + top), [()] * len(ages), reasons)


@dataclass(frozen=True)
class CustomModel:
    """A tenant's own role shares, times a per-activity-type factor, renormalised.

    The factors follow HockeyStack's per-type weights, but the result is renormalised so the
    deal value is conserved. A type not listed has factor 1; factor 0 removes a type's credit.
    """

    role_weights: Mapping[Role, Fraction]
    type_weights: Mapping[ActivityType, Fraction] = field(default_factory=dict)
    name: ModelName = ModelName.CUSTOM
    _roles: RoleModel = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_roles", RoleModel(ModelName.CUSTOM, self.role_weights))
        factors = {ActivityType(t): Fraction(w) for t, w in sorted(self.type_weights.items())}
        if any(w < 0 for w in factors.values()):
            raise ValueError("activity type weights must be non-negative")
        object.__setattr__(self, "type_weights", factors)

    def params(self) -> dict[str, Any]:
        types = {t.value: fraction_text(w) for t, w in self.type_weights.items()}
        return {**self._roles.params(), "type_weights": types}

    def weigh(self, journey: Journey) -> Weighting:
        base = self._roles.weigh(journey)
        if not self.type_weights:
            return base
        types = [t.activity_type for t in journey.touches]
        scale, factors = common_scale([self.type_weights.get(t, Fraction(1)) for t in types])
        numerators = [n * f for n, f in zip(base.numerators, factors, strict=True)]
        reasons = [
            f"{reason}; x {percent(self.type_weights[t])} for {t.value}"
            if t in self.type_weights
            else reason
            for reason, t in zip(base.reasons, types, strict=True)
        ]
        return Weighting(numerators, base.denominator * scale, base.roles, reasons)


@dataclass(frozen=True)
class ScoreModel:
    """Data-driven per-deal split: w_i = score(channel_i) / sum_j score(channel_j).

    `scores` are a channel's Markov removal effect or Shapley value over the training set
    (DP6's per-journey rule, reference §2.2 step 6). If every channel of the deal scores 0
    (none converted in the training set), the deal falls back to an equal split, and says so.
    """

    name: ModelName
    scores: Mapping[str, Fraction]
    training: Training | None = None  # the journeys the scores were learnt from, recorded

    def __post_init__(self) -> None:
        if self.name not in (ModelName.MARKOV, ModelName.SHAPLEY):
            raise ValueError("a score model is markov or shapley")
        scores = {c: Fraction(s) for c, s in sorted(self.scores.items())}
        if any(s < 0 for s in scores.values()):
            raise ValueError("channel scores must be non-negative")
        object.__setattr__(self, "scores", scores)

    def params(self) -> dict[str, Any]:
        scores = {"scores": {c: fraction_text(s) for c, s in self.scores.items()}}
        return scores if self.training is None else scores | {"training": self.training.canonical()}

    def weigh(self, journey: Journey) -> Weighting:
        n = len(journey.touches)
        values = [self.scores.get(channel, Fraction(0)) for channel in journey.channels]
        if not any(values):
            reason = f"equal share of {n} touches: no {self.name.value} credit for these channels"
            if self.training is not None and not self.training.conversions:
                day = self.training.closed_before.date().isoformat()
                reason = f"equal share of {n} touches: no deal won before {day} to learn from"
            return Weighting([1] * n, n or 1, [()] * n, [reason] * n)
        scale, numerators = common_scale(values)
        reasons = [
            f"{self.name.value} credit of {channel} {percent(value)}, normalised over the deal"
            for channel, value in zip(journey.channels, values, strict=True)
        ]
        return Weighting(numerators, scale, [()] * n, reasons)


@dataclass(frozen=True)
class UnavailableModel:
    """A model that cannot run for the tenant now (shapley over more than 16 channel groups).

    Its run credits no touch: the whole value goes to "(unattributed)" with `reason`, so the
    deal's revenue is still accounted for and the explanation says why.
    """

    name: ModelName
    reason: str

    def params(self) -> dict[str, Any]:
        return {"unavailable": self.reason}

    def weigh(self, journey: Journey) -> Weighting:
        n = len(journey.touches)
        reasons = [f"no credit: {self.name.value} unavailable"] * n
        return Weighting([0] * n, 1, [()] * n, reasons, unattributed_reason=self.reason)


def _shares(**weights: Fraction) -> dict[Role, Fraction]:
    return {Role(role): weight for role, weight in weights.items()}


FIRST_TOUCH = RoleModel(ModelName.FIRST_TOUCH, _shares(first=Fraction(1)))
LAST_TOUCH = RoleModel(ModelName.LAST_TOUCH, _shares(last=Fraction(1)))
LINEAR = RoleModel(ModelName.LINEAR, {})
POSITION_BASED = RoleModel(
    ModelName.POSITION_BASED, _shares(first=Fraction(2, 5), last=Fraction(2, 5))
)
J_SHAPED = RoleModel(ModelName.J_SHAPED, _shares(first=Fraction(1, 5), last=Fraction(3, 5)))
INVERSE_J = RoleModel(ModelName.INVERSE_J, _shares(first=Fraction(3, 5), last=Fraction(1, 5)))
W_SHAPED = RoleModel(
    ModelName.W_SHAPED,
    _shares(first=Fraction(3, 10), lead_creation=Fraction(3, 10), deal_creation=Fraction(3, 10)),
)
FULL_PATH = RoleModel(
    ModelName.FULL_PATH,
    _shares(
        first=Fraction(9, 40),
        lead_creation=Fraction(9, 40),
        deal_creation=Fraction(9, 40),
        closed_won=Fraction(9, 40),
    ),
)
LAST_NON_DIRECT = LastNonDirect()
TIME_DECAY = TimeDecay()

STANDARD_MODELS: dict[ModelName, Model] = {
    model.name: model
    for model in (
        FIRST_TOUCH,
        LAST_TOUCH,
        LAST_NON_DIRECT,
        LINEAR,
        TIME_DECAY,
        POSITION_BASED,
        W_SHAPED,
        FULL_PATH,
        J_SHAPED,
        INVERSE_J,
    )
}
RULE_BASED = (*STANDARD_MODELS, ModelName.CUSTOM)


def rule_based_model(
    name: ModelName | str,
    *,
    half_life: timedelta = DEFAULT_HALF_LIFE,
    custom: CustomModel | None = None,
) -> Model:
    """The model called `name` with a tenant's parameters (half-life, custom weights)."""
    name = ModelName(name)
    if name is ModelName.TIME_DECAY:
        return TimeDecay(half_life)
    if name is ModelName.CUSTOM:
        if custom is None:
            raise ValueError("the custom model needs the tenant's custom weights")
        return custom
    if name not in STANDARD_MODELS:
        raise ValueError(f"{name.value} is data-driven: build it with ScoreModel")
    return STANDARD_MODELS[name]
