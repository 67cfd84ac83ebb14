"""Tenant templates: placeholders checked when saved, parts left out taken from the default."""

from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from dealflow_schemas.meetings import MeetingBooked
from dealflow_schemas.notifications import NotificationKind
from notifications.domain.compose import compose
from notifications.domain.default_templates import default_template
from notifications.domain.preview import preview
from notifications.domain.rendering import MailInput, render_email
from notifications.domain.senders import DEMO_SENDERS
from notifications.domain.sends import send_for
from notifications.domain.templates import PLACEHOLDERS, Template, placeholders_in

from .factories import event, snapshot

NOW = datetime(2025, 10, 24, 12, 0, tzinfo=UTC)


class TestValidation:
    def test_unknown_placeholders_are_named_per_part(self) -> None:
        with pytest.raises(ValidationError) as error:
            Template(subject="Hi {atendee_name}", html="<p>{foo} {bar} {foo}</p>", text="{title}")
        message = str(error.value)
        assert "unknown placeholders in subject: {atendee_name}" in message
        assert "unknown placeholders in html: {foo}, {bar}" in message
        assert "in text" not in message

    def test_placeholders_are_case_sensitive(self) -> None:
        with pytest.raises(ValidationError, match=r"\{Title\}"):
            Template(subject="{Title}")

    def test_blocks_and_line_breaks_are_refused_in_the_subject(self) -> None:
        with pytest.raises(ValidationError, match=r"\{details\} cannot be used in the subject"):
            Template(subject="See {details}")
        with pytest.raises(ValidationError, match="single line"):
            Template(subject="Hello\nBcc: x@y.z")

    def test_other_braces_are_literal_text(self) -> None:
        css = "<style>p{margin:0} .a { color: red }</style><p>{title}</p>"
        assert placeholders_in(css) == ["title"]
        assert Template(html=css).html == css

    def test_every_default_uses_known_placeholders_only(self) -> None:
        for kind in NotificationKind:
            for offset in (None, 4320, 1440, 120):
                template = default_template(kind, offset)
                for part in (template.subject, template.html, template.text):
                    assert part is not None
                    assert set(placeholders_in(part)) <= set(PLACEHOLDERS)


class TestOverrides:
    def test_a_subject_only_override_keeps_the_default_bodies(self) -> None:
        mail = MailInput(NotificationKind.CONFIRMATION, snapshot(), "jane@prospect.io")
        custom = render_email(mail, Template(subject="See you {date}, {attendee_first_name}!"))
        default = render_email(mail)
        assert custom.subject == "See you Tue 9 Dec 2025, Jane!"
        assert (custom.html, custom.text) == (default.html, default.text)

    def test_a_full_override_with_blocks_in_both_bodies(self) -> None:
        template = Template(
            subject="{title}",
            html="<h1>{title}</h1>{details}",
            text="{title}\n{details}",
        )
        email = render_email(
            MailInput(NotificationKind.CONFIRMATION, snapshot(title="A&B"), None), template
        )
        assert email.html.startswith("<h1>A&amp;B</h1><table")
        assert email.text.startswith("A&B\nWhen: Tue 9 Dec 2025")

    def test_one_override_serves_every_reminder_offset(self) -> None:
        template = Template(subject="{title} starts {starts_in}")
        for offset, expected in ((4320, "in 3 days"), (120, "in 2 hours")):
            mail = MailInput(NotificationKind.REMINDER, snapshot(), None, offset_minutes=offset)
            assert render_email(mail, template).subject == f"Diagnostic call starts {expected}"


class TestPreview:
    @pytest.mark.parametrize("kind", list(NotificationKind))
    def test_the_sample_renders_every_kind_from_the_demo_sender(
        self, kind: NotificationKind
    ) -> None:
        shown = preview(kind, senders=DEMO_SENDERS, now=NOW)
        assert shown.sender.from_address == "benjamin.crane@revenueengineer.com"
        assert shown.recipients == ("jane@prospect.io",)
        assert "Mon 27 Oct 2025" in shown.subject  # three days on, after the clocks changed
        assert "{" not in shown.subject
        assert (shown.invite is None) == (kind is NotificationKind.REMINDER)

    def test_the_sample_cancellation_carries_a_cancel(self) -> None:
        shown = preview(NotificationKind.CANCELLATION, senders=DEMO_SENDERS, now=NOW)
        assert shown.invite is not None
        assert shown.invite.method == "CANCEL"

    def test_a_given_template_and_meeting_are_used(self) -> None:
        shown = preview(
            NotificationKind.REMINDER,
            senders=DEMO_SENDERS,
            now=NOW,
            template=Template(subject="{starts_in}"),
            meeting=snapshot(),
            offset_minutes=120,
        )
        assert shown.subject == "in 2 hours"
        assert shown.sender.reply_to == "ben@revenueengineer.com"


class TestCompose:
    def test_the_email_for_a_booking(self) -> None:
        booked = event(MeetingBooked)
        send = send_for(booked)
        assert send is not None
        email = compose(
            send, booked.meeting, senders=DEMO_SENDERS, template=None, stamp=booked.occurred_at
        )
        assert email.sender.from_address == "benjamin.crane@revenueengineer.com"
        assert email.sender.reply_to == "ben@revenueengineer.com"
        assert email.recipients == ("jane@prospect.io",)
        assert email.invite is not None
        assert email.invite.method == "REQUEST"
        again = compose(
            send, booked.meeting, senders=DEMO_SENDERS, template=None, stamp=booked.occurred_at
        )
        assert again == email
