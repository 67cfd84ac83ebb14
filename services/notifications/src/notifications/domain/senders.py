"""Who an email is from: the tenant's sender routing table, keyed by the organizer's domain.

A meeting's emails come from the sender mapped to the registrable domain of its organizer's
address (``jane@sales.acme.co.uk`` -> ``acme.co.uk``), else from the table's one default; the
organizer gets the replies. Domains a provider has verified are registrable domains, so routes
are keyed by them and a subdomain route (which no organizer could ever match) is refused.
"""

from collections import Counter
from dataclasses import dataclass
from email.utils import formataddr

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from dealflow_libs.domains import normalise_email, personal_domain_entry, registrable_domain
from dealflow_schemas.bounded import Name

#: More routes than any tenant has verified sending domains; bounds the table in the request.
MAX_ROUTES = 200


def _checked_email(value: str) -> str:
    normalised = normalise_email(value)
    if normalised is None:
        raise ValueError(f"not an email address: {value!r}")
    return normalised


def _display_name(value: str | None) -> str | None:
    # A display name goes into the From header: a line break would inject headers.
    if value is not None and ("\r" in value or "\n" in value):
        raise ValueError("from_name must be a single line")
    return (value or "").strip() or None


def _registrable(value: str) -> str:
    host = personal_domain_entry(value)  # ASCII, lower case; its ValueError names the value
    registrable = registrable_domain(host)
    if host != registrable:
        raise ValueError(
            f"{value!r} is below its registrable domain {registrable!r}: routes match "
            f"organizers by registrable domain, so use {registrable!r}"
        )
    return host


class SenderIdentity(BaseModel):
    """An address emails are sent from, with an optional display name."""

    model_config = ConfigDict(frozen=True)

    from_address: str = Field(examples=["team@outboundsolutions.com"])
    from_name: Name | None = Field(default=None, examples=["Outbound Solutions"])

    _address = field_validator("from_address")(_checked_email)
    _name = field_validator("from_name")(_display_name)


class SenderRoute(BaseModel):
    """Organizers whose email is at `domain` (or any subdomain of it) send from this address."""

    model_config = ConfigDict(frozen=True)

    domain: str = Field(examples=["outboundsolutions.com"])
    from_address: str = Field(examples=["team@outboundsolutions.com"])
    from_name: Name | None = Field(default=None, examples=["Outbound Solutions"])

    _domain = field_validator("domain")(_registrable)
    _address = field_validator("from_address")(_checked_email)
    _name = field_validator("from_name")(_display_name)


class SenderTable(BaseModel):
    """A tenant's sender routing (`GET/PUT /v1/settings/senders`): routes plus one default."""

    routes: list[SenderRoute] = Field(default_factory=list, max_length=MAX_ROUTES)
    default: SenderIdentity = Field(description="Used for organizers no route matches.")

    @model_validator(mode="after")
    def _one_route_per_domain(self) -> "SenderTable":
        counts = Counter(route.domain for route in self.routes)
        duplicates = sorted(domain for domain, n in counts.items() if n > 1)
        if duplicates:
            raise ValueError(f"more than one route for: {', '.join(duplicates)}")
        return self

    def route_for(self, domain: str | None) -> SenderIdentity:
        """The identity for an organizer at registrable `domain`, else the default."""
        for route in self.routes:
            if route.domain == domain:
                return SenderIdentity(from_address=route.from_address, from_name=route.from_name)
        return self.default


@dataclass(frozen=True)
class Sender:
    """Who one email is from and where its replies go."""

    from_address: str
    from_name: str | None
    reply_to: str | None

    @property
    def from_header(self) -> str:
        """`Name <address>` (quoted as needed), or the bare address."""
        return (
            formataddr((self.from_name, self.from_address)) if self.from_name else self.from_address
        )


def sender_for(organizer_email: str | None, table: SenderTable) -> Sender:
    """The sender for a meeting organized by `organizer_email` (any case; None or invalid ->
    the default); replies go to the organizer."""
    organizer = normalise_email(organizer_email) if organizer_email else None
    domain = registrable_domain(organizer.rpartition("@")[2]) if organizer else None
    identity = table.route_for(domain)
    return Sender(identity.from_address, identity.from_name, reply_to=organizer)


def _demo_table() -> SenderTable:
    routes = {
        "revenueactivation.com": "team@revenueactivation.com",
        "outboundsolutions.com": "team@outboundsolutions.com",
        "revenueengineer.com": "benjamin.crane@revenueengineer.com",
        "modernfull.com": "team@modernfull.com",
        "everythingautomation.com": "team@everythingautomation.com",
        "substrate.build": "team@substrate.build",
    }
    return SenderTable(
        routes=[SenderRoute(domain=d, from_address=a) for d, a in routes.items()],
        default=SenderIdentity(from_address="team@outboundsolutions.com"),
    )


#: The demo tenant's table (issue 11).
DEMO_SENDERS = _demo_table()
