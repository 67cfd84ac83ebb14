"""Per-tenant meeting settings: reminder offsets and how event types map to meeting types."""

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from dealflow_schemas.meetings import MeetingType

DEFAULT_REMINDER_OFFSETS = (24 * 60,)

#: Keyword -> type, checked in order against the event type slug, name and the title.
DEFAULT_TYPE_RULES: tuple[tuple[str, MeetingType], ...] = (
    ("onboard", MeetingType.ONBOARDING),
    ("kickoff", MeetingType.ONBOARDING),
    ("kick-off", MeetingType.ONBOARDING),
    ("follow", MeetingType.FOLLOW_UP),
    ("check-in", MeetingType.FOLLOW_UP),
    ("demo", MeetingType.DEMO),
    ("walkthrough", MeetingType.DEMO),
    ("close", MeetingType.CLOSE),
    ("closing", MeetingType.CLOSE),
    ("contract", MeetingType.CLOSE),
    ("negotiat", MeetingType.CLOSE),
    ("discovery", MeetingType.DISCOVERY),
    ("intro", MeetingType.DISCOVERY),
    ("qualif", MeetingType.DISCOVERY),
    ("consult", MeetingType.DISCOVERY),
)


@dataclass(frozen=True)
class MeetingSettings:
    reminder_offsets_minutes: tuple[int, ...] = DEFAULT_REMINDER_OFFSETS
    #: Tenant rules come first; the defaults still apply after them.
    type_rules: tuple[tuple[str, MeetingType], ...] = ()
    #: The tenant's, from the tenant feed (not a meetings setting): every service applies them.
    personal_domains: tuple[str, ...] = field(default=())

    @classmethod
    def from_stored(
        cls, stored: dict[str, Any], *, personal_domains: Sequence[str] = ()
    ) -> "MeetingSettings":
        return cls(
            reminder_offsets_minutes=tuple(
                stored.get("reminder_offsets_minutes", DEFAULT_REMINDER_OFFSETS)
            ),
            type_rules=tuple(
                (r["match"].lower(), MeetingType(r["type"]))
                for r in stored.get("meeting_type_rules", [])
            ),
            personal_domains=tuple(personal_domains),
        )


def meeting_type_for(
    settings: MeetingSettings, *, slug: str | None, name: str | None, title: str | None
) -> MeetingType:
    haystacks = [h.lower() for h in (slug, name, title) if h]
    for keyword, meeting_type in (*settings.type_rules, *DEFAULT_TYPE_RULES):
        if any(keyword in h for h in haystacks):
            return meeting_type
    return MeetingType.OTHER
