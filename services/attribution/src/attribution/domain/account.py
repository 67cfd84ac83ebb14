"""The account-level journey: whose touches count for a deal (reference §3.3)."""

from collections.abc import Iterable

from attribution.domain.touches import Touch
from dealflow_libs.domains import company_domain_of, normalise_email, registrable_domain


def email_domain(email: str) -> str | None:
    """The registrable domain of an address, whatever a tenant's personal domains: the key by
    which a company's touches are found (the exact rule is `account_touches`)."""
    normalised = normalise_email(email)
    return registrable_domain(normalised.partition("@")[2]) if normalised else None


def belongs_to(
    email: str,
    *,
    company_domain: str | None,
    linked_emails: Iterable[str],
    personal_domains: Iterable[str],
) -> bool:
    """Whether `email`'s touches join the journey of an account (the rule of account_touches)."""
    normalised = normalise_email(email) or email
    if normalised in linked_emails:
        return True
    domain = company_domain_of(normalised, tuple(personal_domains))[0]
    return company_domain is not None and domain == company_domain


def account_touches(
    touches: Iterable[Touch],
    *,
    company_domain: str | None,
    linked_emails: Iterable[str] = (),
    personal_domains: Iterable[str] = (),
) -> list[Touch]:
    """Touches of every person at `company_domain`, plus those of the explicitly linked people.

    Company membership is the registrable domain, with the tenant's personal domains, by the one
    rule deals and meetings use (`dealflow_libs.domains`): a gmail.com attendee is not "at"
    gmail.com and joins only through `linked_emails` (the meeting's attendees on the deal).
    """
    personal = tuple(personal_domains)
    linked = {e for e in (normalise_email(raw) for raw in linked_emails) if e}
    belongs: dict[str, bool] = {}  # per address: one PSL/IDNA lookup, not one per touch
    chosen: list[Touch] = []
    for touch in touches:
        email = touch.person_email
        if email not in belongs:
            normalised = normalise_email(email) or email
            domain = company_domain_of(normalised, personal)[0]
            belongs[email] = normalised in linked or (
                company_domain is not None and domain == company_domain
            )
        if belongs[email]:
            chosen.append(touch)
    return chosen
