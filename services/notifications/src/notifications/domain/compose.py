"""Everything one email is made of: sender, recipients, content and invite."""

from dataclasses import dataclass
from datetime import datetime

from dealflow_schemas.meetings import MeetingSnapshot
from notifications.domain.calendar import Invite, invite_for
from notifications.domain.rendering import MailInput, ManageLinks, render_email
from notifications.domain.senders import Sender, SenderTable, sender_for
from notifications.domain.sends import LogicalSend
from notifications.domain.templates import Template


@dataclass(frozen=True)
class ComposedEmail:
    sender: Sender
    recipients: tuple[str, ...]
    subject: str
    html: str
    text: str
    invite: Invite | None


def compose(
    send: LogicalSend,
    meeting: MeetingSnapshot,
    *,
    senders: SenderTable,
    template: Template | None,
    stamp: datetime,
    previous_start: datetime | None = None,
    links: ManageLinks | None = None,
) -> ComposedEmail:
    """The email for `send` about `meeting` (the snapshot of its event). Written for the first
    recipient (the primary attendee: their name and zone); `stamp` is the event's time (the
    invite's DTSTAMP), so composing again gives the same email."""
    organizer = meeting.organizer.email if meeting.organizer else None
    sender = sender_for(organizer, senders)
    mail = MailInput(
        kind=send.kind,
        meeting=meeting,
        recipient=send.recipients[0] if send.recipients else None,
        offset_minutes=send.offset_minutes,
        previous_start=previous_start,
        links=links or ManageLinks(),
    )
    rendered = render_email(mail, template)
    invite = invite_for(
        send.kind,
        meeting,
        recipients=send.recipients,
        organizer_fallback=sender.from_address,
        stamp=stamp,
    )
    return ComposedEmail(
        sender=sender,
        recipients=send.recipients,
        subject=rendered.subject,
        html=rendered.html,
        text=rendered.text,
        invite=invite,
    )
