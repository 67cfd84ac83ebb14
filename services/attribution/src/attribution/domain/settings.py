"""A tenant's attribution settings: which models run, their parameters, and the window.

They live in the service's own `settings` JSON of its tenant copy (`to_stored`/`from_stored`),
are checked here once for the API, and are read back by every run. Channel rules are not here:
they are versioned in their own table (`channel_rule_versions`).
"""

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from fractions import Fraction
from typing import Any

from attribution.domain.models import STANDARD_MODELS, CustomModel
from attribution.domain.touches import DEFAULT_WINDOW, ActivityType, Window
from attribution.domain.weighting import POSITION_ROLES, ModelName, Role

#: Every standard rule-based model and markov: `custom` needs the tenant's weights, and
#: `shapley` is opt-in (exact enumeration is limited to 16 channel groups).
DEFAULT_MODELS: tuple[ModelName, ...] = (*STANDARD_MODELS, ModelName.MARKOV)
DEFAULT_HALF_LIFE_DAYS = Fraction(7)
MAX_HALF_LIFE_DAYS = 3650
#: 100 years: a touch (years 1900-2200) minus the lookback stays a valid datetime.
MAX_LOOKBACK_DAYS = 36500
#: The role keys of custom weights; `middle` is the share split over the touches holding none.
MIDDLE = "middle"
CUSTOM_ROLE_KEYS = (*(r.value for r in POSITION_ROLES), MIDDLE)
TRAINED_MODELS = frozenset({ModelName.MARKOV, ModelName.SHAPLEY})

_DAY_US = 86_400_000_000


class SettingsError(ValueError):
    """A setting that cannot be used; the message starts with the field's dotted path."""

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field}: {problem}")
        self.field = field
        self.problem = problem


#: Decimal text with an exponent under 100, or "n/d" (Fraction would build 10**10**9 from
#: "1e999999999").
_NUMBER = re.compile(r"[+-]?(?:(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d{1,2})?|\d+/\d+)")


def exact_number(value: Any, field_: str) -> Fraction:
    """A number from JSON or the API (int, decimal text or float, "n/d"), exactly."""
    if isinstance(value, Fraction):
        return value
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise SettingsError(field_, f"must be a number, got {value!r}")
    text = str(value)
    if len(text) > 64 or not _NUMBER.fullmatch(text):
        raise SettingsError(field_, f"must be a finite number, got {value!r}")
    try:
        return Fraction(text)
    except ZeroDivisionError:
        raise SettingsError(field_, f"must be a finite number, got {value!r}") from None


def number_text(value: Fraction) -> str:
    """A stored number: decimal text when it has one ("0.4", "7"), else "n/d"."""
    if value.denominator == 1:
        return str(value.numerator)
    den, twos, fives = value.denominator, 0, 0
    while den % 2 == 0:
        den, twos = den // 2, twos + 1
    while den % 5 == 0:
        den, fives = den // 5, fives + 1
    if den != 1:
        return f"{value.numerator}/{value.denominator}"
    places = max(twos, fives)
    scaled = abs(value.numerator) * 10**places // value.denominator
    whole, rest = divmod(scaled, 10**places)
    sign = "-" if value < 0 else ""
    return f"{sign}{whole}.{rest:0{places}d}".rstrip("0")


@dataclass(frozen=True)
class CustomWeights:
    """The `custom` model's weights.

    `roles`: relative weights of first, lead_creation, deal_creation, closed_won, last and
    middle (the share split equally over the touches holding no role), each >= 0, summing to
    more than 0; they are normalised, so 40/20/40 and 0.4/0.2/0.4 are the same model.
    `activity_types`: a factor >= 0 per activity type (unlisted: 1; 0 removes its credit).
    """

    roles: Mapping[str, Fraction]
    activity_types: Mapping[ActivityType, Fraction] = field(default_factory=dict)

    def __post_init__(self) -> None:
        roles: dict[str, Fraction] = {}
        for key, value in self.roles.items():
            if key not in CUSTOM_ROLE_KEYS:
                raise SettingsError(
                    f"custom_weights.roles.{key}",
                    f"not a role; use {', '.join(CUSTOM_ROLE_KEYS)}",
                )
            weight = exact_number(value, f"custom_weights.roles.{key}")
            if weight < 0:
                raise SettingsError(f"custom_weights.roles.{key}", "must not be negative")
            roles[key] = weight
        if sum(roles.values(), Fraction(0)) <= 0:
            raise SettingsError("custom_weights.roles", "the weights must sum to more than 0")
        types: dict[ActivityType, Fraction] = {}
        for key, value in self.activity_types.items():
            try:
                kind = ActivityType(key)
            except ValueError:
                raise SettingsError(
                    f"custom_weights.activity_types.{key}", "not an activity type"
                ) from None
            factor = exact_number(value, f"custom_weights.activity_types.{key}")
            if factor < 0:
                raise SettingsError(f"custom_weights.activity_types.{key}", "must not be negative")
            types[kind] = factor
        ordered = {k: roles[k] for k in CUSTOM_ROLE_KEYS if k in roles}
        object.__setattr__(self, "roles", ordered)
        object.__setattr__(self, "activity_types", dict(sorted(types.items())))

    def model(self) -> CustomModel:
        """The model: each role's share is its weight over the sum (the middle gets the rest)."""
        total = sum(self.roles.values(), Fraction(0))
        shares = {Role(k): w / total for k, w in self.roles.items() if k != MIDDLE}
        return CustomModel(shares, self.activity_types)

    def to_stored(self) -> dict[str, Any]:
        return {
            "roles": {k: number_text(w) for k, w in self.roles.items()},
            "activity_types": {t.value: number_text(f) for t, f in self.activity_types.items()},
        }

    @classmethod
    def from_stored(cls, stored: Any) -> "CustomWeights":
        if not isinstance(stored, Mapping):
            raise SettingsError("custom_weights", "must be an object with roles")
        roles = stored.get("roles")
        if not isinstance(roles, Mapping) or not roles:
            raise SettingsError("custom_weights.roles", "give at least one role weight")
        types = stored.get("activity_types") or {}
        if not isinstance(types, Mapping):
            raise SettingsError("custom_weights.activity_types", "must be an object")
        return cls(dict(roles), dict(types))


@dataclass(frozen=True)
class RunSettings:
    """How a tenant's deals are attributed: the models each won deal gets a run of, the
    time-decay half-life, the custom model's weights, and which touches are eligible."""

    models: tuple[ModelName, ...] = DEFAULT_MODELS
    half_life_days: Fraction = DEFAULT_HALF_LIFE_DAYS
    custom_weights: CustomWeights | None = None
    window: Window = DEFAULT_WINDOW

    def __post_init__(self) -> None:
        if not self.models:
            raise SettingsError("models", "enable at least one model")
        # One order whatever the tenant wrote, so equal settings store and run identically.
        models = tuple(m for m in ModelName if m in set(self.models))
        object.__setattr__(self, "models", models)
        if ModelName.CUSTOM in models and self.custom_weights is None:
            raise SettingsError("models", "custom is enabled but custom_weights are not set")
        half_life = exact_number(self.half_life_days, "time_decay_half_life_days")
        if not Fraction(1, 86_400) <= half_life <= MAX_HALF_LIFE_DAYS:
            raise SettingsError(
                "time_decay_half_life_days",
                f"must be between one second (1/86400) and {MAX_HALF_LIFE_DAYS} days",
            )
        object.__setattr__(self, "half_life_days", half_life)
        if not 0 <= self.window.lookback_days <= MAX_LOOKBACK_DAYS:
            raise SettingsError(
                "lookback_days", f"must be 0 (no limit) to {MAX_LOOKBACK_DAYS} days"
            )

    @property
    def half_life(self) -> timedelta:
        return timedelta(microseconds=round(self.half_life_days * _DAY_US))

    @property
    def needs_training(self) -> bool:
        """Whether a run needs the tenant's closed journeys (markov or shapley enabled)."""
        return not TRAINED_MODELS.isdisjoint(self.models)

    def to_stored(self) -> dict[str, Any]:
        return {
            "models": [m.value for m in self.models],
            "time_decay_half_life_days": number_text(self.half_life_days),
            "custom_weights": self.custom_weights.to_stored() if self.custom_weights else None,
            "lookback_days": self.window.lookback_days,
            "ignored_activity_types": sorted(t.value for t in self.window.ignored_activity_types),
        }

    @classmethod
    def from_stored(cls, stored: Mapping[str, Any]) -> "RunSettings":
        """The settings a tenant stored; an absent key takes its default."""
        default = cls()
        models = _models(stored.get("models", default.models))
        custom = stored.get("custom_weights")
        lookback = stored.get("lookback_days", default.window.lookback_days)
        if isinstance(lookback, bool) or not isinstance(lookback, int):
            raise SettingsError("lookback_days", f"must be whole days, got {lookback!r}")
        ignored = stored.get("ignored_activity_types", default.window.ignored_activity_types)
        return cls(
            models=models,
            half_life_days=exact_number(
                stored.get("time_decay_half_life_days", default.half_life_days),
                "time_decay_half_life_days",
            ),
            custom_weights=CustomWeights.from_stored(custom) if custom is not None else None,
            window=_window(lookback, ignored),
        )


def _models(names: Any) -> tuple[ModelName, ...]:
    if isinstance(names, str) or not isinstance(names, Iterable):
        raise SettingsError("models", "must be a list of model names")
    found = []
    for name in names:
        try:
            found.append(ModelName(name))
        except ValueError:
            known = ", ".join(m.value for m in ModelName)
            raise SettingsError("models", f"{name!r} is not a model ({known})") from None
    return tuple(found)


def _window(lookback: int, ignored: Any) -> Window:
    if lookback < 0:
        raise SettingsError("lookback_days", f"must be 0 (no limit) to {MAX_LOOKBACK_DAYS} days")
    if isinstance(ignored, str) or not isinstance(ignored, Iterable):
        raise SettingsError("ignored_activity_types", "must be a list of activity types")
    types = set()
    for name in ignored:
        try:
            types.add(ActivityType(name))
        except ValueError:
            raise SettingsError(
                "ignored_activity_types", f"{name!r} is not an activity type"
            ) from None
    return Window(lookback_days=lookback, ignored_activity_types=frozenset(types))
