"""The account rule: colleagues at the company and linked people are in, others are out; a
tenant's personal domain is no company."""

import uuid
from dataclasses import dataclass

from attribution.domain.account import Accounts, belongs_to, in_account


@dataclass(frozen=True)
class Deal:
    deal_id: uuid.UUID
    company_domain: str | None
    people: frozenset[str]


class TestAccountRule:
    def test_colleagues_and_linked_people_are_in_and_others_are_out(self) -> None:
        def joins(email: str) -> bool:
            return belongs_to(
                email,
                company_domain="acme.com",
                linked_emails={"pat@gmail.com"},
                personal_domains=(),
            )

        assert joins("jane@acme.com")
        assert joins("Joe@EU.acme.com")  # a subdomain: the registrable domain is the company
        assert joins("Pat@Gmail.com")  # linked, spelt by person_key
        assert not joins("sam@gmail.com")  # gmail.com is no company
        assert not joins("kim@other.com")

    def test_a_tenant_personal_domain_joins_only_through_a_link(self) -> None:
        def joins(linked: set[str]) -> bool:
            return belongs_to(
                "jo@freelancer.io",
                company_domain="freelancer.io",
                linked_emails=linked,
                personal_domains=["freelancer.io"],
            )

        assert not joins(set())
        assert joins({"jo@freelancer.io"})

    def test_a_deal_without_a_company_takes_only_linked_people(self) -> None:
        assert not in_account("a@acme.com", None, company_domain=None, linked=())
        assert in_account("a@acme.com", "acme.com", company_domain=None, linked={"a@acme.com"})


class TestAccounts:
    def test_a_person_finds_the_deals_of_their_company_and_those_linking_them(self) -> None:
        acme = Deal(uuid.uuid4(), "acme.com", frozenset({"ceo@acme.com"}))
        linked = Deal(uuid.uuid4(), "other.com", frozenset({"jane@acme.com", "pat@gmail.com"}))
        personal = Deal(uuid.uuid4(), "freelancer.io", frozenset())
        accounts = Accounts([acme, linked, personal], personal_domains=["freelancer.io"])
        assert {d.deal_id for d in accounts.deals_of("jane@acme.com")} == {
            acme.deal_id,
            linked.deal_id,
        }
        assert accounts.deals_of("pat@gmail.com") == [linked]
        assert accounts.deals_of("jo@freelancer.io") == []  # the tenant's personal domain
        assert accounts.deals_of("kim@else.com") == []
