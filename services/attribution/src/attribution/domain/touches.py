"""Touches, and which of them may earn credit for a conversion."""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from attribution.domain.canonical import epoch_us
from dealflow_libs.domains import person_key

# The contract's enum is the one list of activity types (domain modules may use contracts,
# docs/architecture.md): a type added to TouchIn is one the rules and models know.
from dealflow_schemas.attribution import ActivityType

DEFAULT_LOOKBACK_DAYS = 90


_ACTIVITY_TYPES = {t.value: t for t in ActivityType}


@dataclass(frozen=True, slots=True)
class Utm:
    source: str | None = None
    medium: str | None = None
    campaign: str | None = None
    content: str | None = None
    term: str | None = None


NO_UTM = Utm()


CANONICAL_FIELDS = (
    "touch_id",
    "person_email",
    "occurred_at_us",
    "activity_type",
    "channel",
    "utm_source",
    "utm_medium",
    "utm_campaign",
    "utm_content",
    "utm_term",
    "campaign_id",
    "external_activity_id",
    "metadata",
)


@dataclass(frozen=True, slots=True)
class Touch:
    """One interaction of one person. `channel` is an explicit override of the channel rules."""

    touch_id: str
    person_email: str
    occurred_at: datetime
    activity_type: ActivityType
    channel: str | None = None
    utm: Utm = NO_UTM
    campaign_id: str | None = None
    external_activity_id: str | None = None
    metadata: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.touch_id:
            raise ValueError("touch_id must not be empty")
        if self.occurred_at.utcoffset() is None:
            raise ValueError(f"touch {self.touch_id}: occurred_at must be time-zone aware")
        object.__setattr__(self, "person_email", person_key(self.person_email))
        object.__setattr__(self, "activity_type", ActivityType(self.activity_type))

    @classmethod
    def stored(
        cls,
        touch_id: str,
        person_email: str,
        occurred_at: datetime,
        activity_type: str,
        channel: str | None,
        utm: Utm,
        campaign_id: str | None,
        external_activity_id: str | None,
        metadata: Mapping[str, Any],
    ) -> "Touch":
        """A touch as stored: checked and normalised when it was recorded, so not again (a
        recompute builds millions; `__post_init__` would parse every address once more)."""
        touch = object.__new__(cls)
        set_ = object.__setattr__
        set_(touch, "touch_id", touch_id)
        set_(touch, "person_email", person_email)
        set_(touch, "occurred_at", occurred_at)
        set_(touch, "activity_type", _ACTIVITY_TYPES[activity_type])
        set_(touch, "channel", channel)
        set_(touch, "utm", utm)
        set_(touch, "campaign_id", campaign_id)
        set_(touch, "external_activity_id", external_activity_id)
        set_(touch, "metadata", metadata)
        return touch

    def canonical(self) -> list[Any]:
        """Every field, in a form whose JSON is the same wherever it is computed (a list in
        CANONICAL_FIELDS order: the input hash covers every touch of every run, so it is lean)."""
        utm = self.utm
        return [
            self.touch_id,
            self.person_email,
            epoch_us(self.occurred_at),
            self.activity_type,  # a str: JSON writes its value
            self.channel,
            utm.source,
            utm.medium,
            utm.campaign,
            utm.content,
            utm.term,
            self.campaign_id,
            self.external_activity_id,
            dict(self.metadata),
        ]


def touch_order(touch: Touch) -> tuple[datetime, str]:
    """The one order of a journey: time, then touch_id so equal timestamps never tie."""
    return (touch.occurred_at, touch.touch_id)


@dataclass(frozen=True, slots=True)
class Window:
    """Which touches may earn credit. `lookback_days=0` means no lookback limit.

    Email opens are not eligible unless the tenant opts in: mail privacy proxies open every
    message, so an open says little about the person (reference §3.1, §6.6).
    """

    lookback_days: int = DEFAULT_LOOKBACK_DAYS
    ignored_activity_types: frozenset[ActivityType] = frozenset({ActivityType.EMAIL_OPENED})

    def __post_init__(self) -> None:
        if self.lookback_days < 0:
            raise ValueError("lookback_days must be 0 (no limit) or positive")

    def canonical(self) -> dict[str, Any]:
        return {
            "lookback_days": self.lookback_days,
            "ignored_activity_types": sorted(t.value for t in self.ignored_activity_types),
        }


DEFAULT_WINDOW = Window()


class ExclusionReason(StrEnum):
    AFTER_CONVERSION = "after_conversion"
    OUTSIDE_LOOKBACK = "outside_lookback"
    TYPE_NOT_ELIGIBLE = "type_not_eligible"


@dataclass(frozen=True, slots=True)
class Exclusion:
    touch: Touch
    reason: ExclusionReason
    detail: str


@dataclass(frozen=True, slots=True)
class Eligibility:
    eligible: tuple[Touch, ...]  # in touch_order
    excluded: tuple[Exclusion, ...]  # in touch_order


def unique_touches(touches: Iterable[Touch]) -> list[Touch]:
    """The touches in touch_order, each once; the same touch_id with other content is an error.

    An account journey is assembled from several people and the meeting's attendees, so the
    same touch can legitimately arrive twice.
    """
    by_id: dict[str, Touch] = {}
    for touch in touches:
        seen = by_id.setdefault(touch.touch_id, touch)
        if seen is not touch and seen != touch:
            raise ValueError(f"touch_id {touch.touch_id!r} given twice with different content")
    return sorted(by_id.values(), key=touch_order)


def in_window(occurred_at: datetime, *, conversion_at: datetime, window: Window) -> bool:
    """Whether a touch at `occurred_at` lies in a conversion's window: at or before it and not
    older than the lookback (both bounds inclusive; lookback 0 = no limit)."""
    if occurred_at > conversion_at:
        return False
    return not window.lookback_days or occurred_at >= conversion_at - timedelta(
        days=window.lookback_days
    )


def window_touches(
    touches: Iterable[Touch], *, conversion_at: datetime, window: Window
) -> list[Touch]:
    """The touches a run over this window takes in (see `in_window`), in touch_order.

    A run's inputs are exactly these: a touch after the conversion or older than the lookback
    cannot change a run, so storing it would make a run depend on when it was computed (a touch
    recorded after the win) and a rebuild from the topics would not give the same run.
    """
    return [
        t
        for t in unique_touches(touches)
        if in_window(t.occurred_at, conversion_at=conversion_at, window=window)
    ]


def select_eligible(
    touches: Iterable[Touch], *, conversion_at: datetime, window: Window
) -> Eligibility:
    """Split a journey into touches that may earn credit and the rest, each with its reason.

    Both bounds are inclusive: a touch at the conversion instant, or exactly `lookback_days`
    before it, is eligible.
    """
    if conversion_at.utcoffset() is None:
        raise ValueError("conversion_at must be time-zone aware")
    earliest = (
        conversion_at - timedelta(days=window.lookback_days) if window.lookback_days else None
    )
    ignored = window.ignored_activity_types
    eligible: list[Touch] = []
    excluded: list[Exclusion] = []
    for touch in unique_touches(touches):
        if touch.occurred_at > conversion_at:
            excluded.append(Exclusion(touch, ExclusionReason.AFTER_CONVERSION, "after conversion"))
        elif earliest is not None and touch.occurred_at < earliest:
            detail = f"outside {window.lookback_days}-day lookback"
            excluded.append(Exclusion(touch, ExclusionReason.OUTSIDE_LOOKBACK, detail))
        elif touch.activity_type in ignored:
            detail = f"type not eligible: {touch.activity_type.value}"
            excluded.append(Exclusion(touch, ExclusionReason.TYPE_NOT_ELIGIBLE, detail))
        else:
            eligible.append(touch)
    return Eligibility(tuple(eligible), tuple(excluded))
