"""Sender routing: the organizer's registrable domain picks the from-address, else the default."""

import pytest
from pydantic import ValidationError

from notifications.domain.senders import (
    DEMO_SENDERS,
    Sender,
    SenderIdentity,
    SenderRoute,
    SenderTable,
    sender_for,
)


def table(**routes: str) -> SenderTable:
    return SenderTable(
        routes=[SenderRoute(domain=d.replace("_", "."), from_address=a) for d, a in routes.items()],
        default=SenderIdentity(from_address="team@default.com", from_name="Default Team"),
    )


class TestSenderFor:
    def test_a_mapped_domain_sends_from_its_address_and_replies_go_to_the_organizer(self) -> None:
        sender = sender_for("ben@revenueengineer.com", DEMO_SENDERS)
        assert sender == Sender(
            from_address="benjamin.crane@revenueengineer.com",
            from_name=None,
            reply_to="ben@revenueengineer.com",
        )

    def test_an_unmapped_domain_uses_the_default(self) -> None:
        sender = sender_for("owner@elsewhere.io", DEMO_SENDERS)
        assert sender.from_address == "team@outboundsolutions.com"
        assert sender.reply_to == "owner@elsewhere.io"

    @pytest.mark.parametrize(
        "organizer",
        ["jo@sales.substrate.build", "jo@eu.sales.substrate.build", "jo@SUBSTRATE.Build"],
    )
    def test_subdomains_and_any_case_match_the_registrable_domain(self, organizer: str) -> None:
        assert sender_for(organizer, DEMO_SENDERS).from_address == "team@substrate.build"

    def test_a_multi_label_public_suffix_is_respected(self) -> None:
        routes = table(acme_co_uk="hello@acme.co.uk", other_co_uk="hi@other.co.uk")
        assert sender_for("jo@sales.acme.co.uk", routes).from_address == "hello@acme.co.uk"
        assert sender_for("jo@co.uk", routes).from_address == "team@default.com"

    def test_the_reply_to_is_the_organizer_normalised(self) -> None:
        assert sender_for("  Jo@Sales.Acme.COM ", table()).reply_to == "jo@sales.acme.com"

    @pytest.mark.parametrize("organizer", [None, "", "not an email", "jo@localhost"])
    def test_no_usable_organizer_email_uses_the_default_without_reply_to(
        self, organizer: str | None
    ) -> None:
        assert sender_for(organizer, table()) == Sender(
            from_address="team@default.com", from_name="Default Team", reply_to=None
        )

    def test_the_from_header_carries_the_display_name(self) -> None:
        assert sender_for("a@x.com", table()).from_header == "Default Team <team@default.com>"
        assert Sender("a@b.com", None, None).from_header == "a@b.com"
        assert Sender("a@b.com", "Acme, Inc.", None).from_header == '"Acme, Inc." <a@b.com>'


class TestSenderTable:
    def test_the_demo_table_has_the_six_routes_and_its_default(self) -> None:
        assert {r.domain: r.from_address for r in DEMO_SENDERS.routes} == {
            "revenueactivation.com": "team@revenueactivation.com",
            "outboundsolutions.com": "team@outboundsolutions.com",
            "revenueengineer.com": "benjamin.crane@revenueengineer.com",
            "modernfull.com": "team@modernfull.com",
            "everythingautomation.com": "team@everythingautomation.com",
            "substrate.build": "team@substrate.build",
        }
        assert DEMO_SENDERS.default.from_address == "team@outboundsolutions.com"

    def test_domains_and_addresses_are_normalised(self) -> None:
        parsed = SenderTable.model_validate(
            {
                "routes": [{"domain": " Acme.COM. ", "from_address": "Team@Acme.com"}],
                "default": {"from_address": "Hello@Default.com", "from_name": "  "},
            }
        )
        assert parsed.routes[0].domain == "acme.com"
        assert parsed.routes[0].from_address == "team@acme.com"
        assert parsed.default == SenderIdentity(from_address="hello@default.com", from_name=None)

    def test_an_internationalised_domain_is_stored_in_ascii_form(self) -> None:
        route = SenderRoute(domain="MÜNCHEN.de", from_address="team@xn--mnchen-3ya.de")
        assert route.domain == "xn--mnchen-3ya.de"
        routes = SenderTable(routes=[route], default=SenderIdentity(from_address="a@b.com"))
        assert sender_for("jo@münchen.de", routes).from_address == "team@xn--mnchen-3ya.de"

    def test_the_default_is_required(self) -> None:
        with pytest.raises(ValidationError) as error:
            SenderTable.model_validate({"routes": []})
        assert [e["loc"] for e in error.value.errors()] == [("default",)]

    def test_errors_name_the_field_and_the_value(self) -> None:
        with pytest.raises(ValidationError) as error:
            SenderTable.model_validate(
                {
                    "routes": [
                        {"domain": "sales.acme.co.uk", "from_address": "a@acme.co.uk"},
                        {"domain": "co.uk", "from_address": "not-an-email"},
                    ],
                    "default": {"from_address": "a@b.com", "from_name": "Evil\r\nBcc: x@y.z"},
                }
            )
        problems = {e["loc"]: e["msg"] for e in error.value.errors()}
        assert "use 'acme.co.uk'" in problems[("routes", 0, "domain")]
        assert "'co.uk'" in problems[("routes", 1, "domain")]
        assert "'not-an-email'" in problems[("routes", 1, "from_address")]
        assert "single line" in problems[("default", "from_name")]

    def test_two_routes_for_one_domain_are_refused(self) -> None:
        with pytest.raises(ValidationError, match=r"more than one route for: acme\.com"):
            SenderTable.model_validate(
                {
                    "routes": [
                        {"domain": "acme.com", "from_address": "a@acme.com"},
                        {"domain": "ACME.com", "from_address": "b@acme.com"},
                    ],
                    "default": {"from_address": "a@b.com"},
                }
            )

    def test_it_round_trips_through_json(self) -> None:
        assert SenderTable.model_validate_json(DEMO_SENDERS.model_dump_json()) == DEMO_SENDERS
