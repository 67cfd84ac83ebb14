"""The account rule (reference §3.3): whose touches count for a deal, which deals a lead's
account holds, whom the funnel follows to a deal. One rule, here.

A person (their `person_key`) belongs to a deal's account when they are linked to it (its
primary contact or an attendee of one of its meetings) or their company is the deal's: the
registrable domain of their address unless it is a personal mailbox under the tenant's list
(`dealflow_libs.domains.company_domain_of`, the rule deals and meetings use). A gmail.com
attendee is not "at" gmail.com and joins only through a link.
"""

from collections.abc import Collection, Hashable, Iterable, Sequence
from typing import Generic, Protocol, TypeVar

from dealflow_libs.domains import company_domain_of, normalise_email, registrable_domain


def email_domain(email: str) -> str | None:
    """The registrable domain of an address, whatever a tenant's personal domains: the key by
    which a company's touches and deals are found (a superset: `in_account` decides)."""
    normalised = normalise_email(email)
    return registrable_domain(normalised.partition("@")[2]) if normalised else None


def in_account(
    person: str, company: str | None, *, company_domain: str | None, linked: Collection[str]
) -> bool:
    """The rule, given the person's key and company (None: personal or no company address)."""
    return person in linked or (company is not None and company == company_domain)


def belongs_to(
    email: str,
    *,
    company_domain: str | None,
    linked_emails: Collection[str],
    personal_domains: Iterable[str],
) -> bool:
    """Whether `email` belongs to the account of a deal at `company_domain` linking these
    people (`in_account`, the company found by `company_domain_of`)."""
    person = normalise_email(email) or email
    company = company_domain_of(person, tuple(personal_domains))[0]
    return in_account(person, company, company_domain=company_domain, linked=linked_emails)


class AccountDeal(Protocol):
    @property
    def deal_id(self) -> Hashable: ...
    @property
    def company_domain(self) -> str | None: ...
    @property
    def people(self) -> Collection[str]: ...


D = TypeVar("D", bound=AccountDeal)


class Accounts(Generic[D]):
    """Which of these deals a person belongs to: candidates by registrable domain and by
    person from an index, then `belongs_to` decides."""

    def __init__(self, deals: Iterable[D], personal_domains: Sequence[str]) -> None:
        self._personal = tuple(personal_domains)
        self._by_domain: dict[str, list[D]] = {}
        self._by_person: dict[str, list[D]] = {}
        for deal in deals:
            if deal.company_domain:
                self._by_domain.setdefault(deal.company_domain, []).append(deal)
            for person in deal.people:
                self._by_person.setdefault(person, []).append(deal)

    def deals_of(self, email: str) -> list[D]:
        candidates = {d.deal_id: d for d in self._by_person.get(email, ())}
        for deal in self._by_domain.get(email_domain(email) or "", ()):
            candidates[deal.deal_id] = deal
        return [
            d
            for d in candidates.values()
            if belongs_to(
                email,
                company_domain=d.company_domain,
                linked_emails=d.people,
                personal_domains=self._personal,
            )
        ]
