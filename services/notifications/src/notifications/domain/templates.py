"""Email templates: a subject, an HTML and a text body with `{placeholders}`.

A placeholder is `{name}` with a name from PLACEHOLDERS; any other use of braces (CSS in a
`<style>` block) is literal text. An unknown name is refused when the template is saved, so a
typo never reaches an attendee as `{atendee_name}`. In the HTML body every value is escaped;
the block placeholders (`{details}`) are rendered per body (HTML or text) and are not allowed
in the subject, which must stay one line.
"""

import html
import re
from collections.abc import Mapping
from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict, Field, model_validator

#: Values every template can use (empty when the meeting has none, e.g. no location).
VALUE_PLACEHOLDERS: Mapping[str, str] = {
    "attendee_name": "The recipient's name, or 'there' (for a greeting)",
    "attendee_first_name": "The first word of the recipient's name, or 'there'",
    "organizer_name": "The organizer's name (else their email)",
    "organizer_email": "The organizer's email",
    "title": "The meeting's title",
    "when": "Date, start-end and zone, e.g. Tue 9 Dec 2025, 10:00\u201310:30 CET (Europe/Berlin)",
    "date": "The date in the recipient's zone, e.g. Tue 9 Dec 2025",
    "start_time": "The start in the recipient's zone, e.g. 10:00",
    "end_time": "The end in the recipient's zone, e.g. 10:30",
    "time_zone": "The recipient's zone, e.g. Europe/Berlin",
    "duration": "e.g. 30 minutes",
    "join_url": "The video call link",
    "location": "The place, when it is not a link",
    "reschedule_url": "The provider's reschedule link, when it gave one",
    "cancel_url": "The provider's cancel link, when it gave one",
    "previous_when": "A reschedule: the time it had before",
    "cancellation_reason": "A cancellation: the reason given",
    "starts_in": "A reminder: e.g. in 3 days, in 24 hours, in 2 hours",
}
#: Pre-rendered sections, HTML in the HTML body and plain in the text body.
BLOCK_PLACEHOLDERS: Mapping[str, str] = {
    "details": "When, where, the join link and the manage links that exist, one per line",
}
PLACEHOLDERS = {**VALUE_PLACEHOLDERS, **BLOCK_PLACEHOLDERS}

_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")


def placeholders_in(text: str) -> list[str]:
    """The placeholder names used in `text`, in order of first use."""
    return list(dict.fromkeys(_PLACEHOLDER.findall(text)))


class Template(BaseModel):
    """A tenant's template for one kind; a part left out (null) uses the default's."""

    model_config = ConfigDict(frozen=True)

    subject: str | None = Field(
        default=None, max_length=500, examples=["Confirmed: {title} · {date}, {start_time}"]
    )
    html: str | None = Field(default=None, max_length=200_000)
    text: str | None = Field(default=None, max_length=100_000)

    @model_validator(mode="after")
    def _known_placeholders(self) -> "Template":
        problems = []
        for part in ("subject", "html", "text"):
            value = getattr(self, part)
            if value is None:
                continue
            unknown = [n for n in placeholders_in(value) if n not in PLACEHOLDERS]
            if unknown:
                names = ", ".join(f"{{{n}}}" for n in unknown)
                problems.append(f"unknown placeholders in {part}: {names}")
        if self.subject is not None:
            blocks = [n for n in placeholders_in(self.subject) if n in BLOCK_PLACEHOLDERS]
            if blocks:
                problems.append(f"{{{blocks[0]}}} cannot be used in the subject")
            if "\r" in self.subject or "\n" in self.subject:
                problems.append("the subject must be a single line")
        if problems:
            raise ValueError("; ".join(problems))
        return self

    def over(self, default: "Template") -> "Template":
        """This template with its missing parts taken from `default`."""
        return Template(
            subject=self.subject if self.subject is not None else default.subject,
            html=self.html if self.html is not None else default.html,
            text=self.text if self.text is not None else default.text,
        )


@dataclass(frozen=True)
class Blocks:
    html: Mapping[str, str]
    text: Mapping[str, str]


@dataclass(frozen=True)
class RenderedEmail:
    subject: str
    html: str
    text: str


def _fill(template: str, values: Mapping[str, str]) -> str:
    return _PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), template)


def fill(template: Template, values: Mapping[str, str], blocks: Blocks) -> RenderedEmail:
    """`template` (complete: every part set) with `values` and `blocks` put in."""
    if template.subject is None or template.html is None or template.text is None:
        raise ValueError("fill needs a complete template (see Template.over)")
    one_line = {k: " ".join(v.split()) for k, v in values.items()}
    escaped = {k: html.escape(v, quote=True) for k, v in values.items()}
    return RenderedEmail(
        subject=" ".join(_fill(template.subject, one_line).split()),
        html=_fill(template.html, {**escaped, **blocks.html}),
        text=_fill(template.text, {**values, **blocks.text}),
    )
