"""Channel grouping as data: the default rules, which rule matched, versions, tenant rule sets."""

from datetime import UTC, datetime

import pytest

from attribution.domain.channels import (
    EXPLICIT_RULE_ID,
    Condition,
    Field,
    Op,
    Rule,
    RuleSet,
    rule,
    when,
)
from attribution.domain.default_channels import default_rule_set
from attribution.domain.touches import ActivityType as A
from attribution.domain.touches import Touch, Utm

AT = datetime(2025, 6, 1, tzinfo=UTC)
RULES = default_rule_set()


def classify(kind: A, *utm: str | None, channel: str | None = None) -> tuple[str, str]:
    found = RULES.classify(Touch("t", "jane@acme.com", AT, kind, channel, Utm(*utm)))
    return found.channel, found.rule_id


@pytest.mark.parametrize(
    ("kind", "utm", "channel", "rule_id"),
    [
        # Outbound and offline activity, by type.
        (A.EMAIL_SENT, (), "Outbound Email", "outbound-email"),
        (A.EMAIL_REPLIED, (), "Outbound Email", "outbound-email"),
        (A.EMAIL_CLICKED, ("newsletter", "email"), "Outbound Email", "outbound-email"),
        (A.LINKEDIN_MESSAGE, (), "LinkedIn (Outbound)", "outbound-linkedin"),
        (A.LINKEDIN_CONNECT, (), "LinkedIn (Outbound)", "outbound-linkedin"),
        (A.CALL, (), "Phone", "outbound-call"),
        (A.SMS, (), "SMS", "outbound-sms"),
        (A.EVENT, (), "Events", "event"),
        (A.MEETING_BOOKED, (), "Sales Meeting", "meeting-without-utm"),
        (A.REFERRAL, (), "Referral", "referral-without-utm"),
        (A.AD_CLICK, (), "Paid Other", "ad-click-without-utm"),
        # A booking or ad click with UTMs goes through GA4's rules.
        (A.MEETING_BOOKED, ("google", "cpc"), "Paid Search", "ga4-paid-search"),
        (A.AD_CLICK, ("linkedin", "paid_social", "abm"), "Paid Social", "ga4-paid-social"),
        # GA4 default channel group, case-insensitive and trimmed.
        (A.WEB_VISIT, ("Google", "CPC"), "Paid Search", "ga4-paid-search"),
        (A.WEB_VISIT, ("(direct)", "(none)"), "Direct", "ga4-direct"),
        (A.WEB_VISIT, ("direct", "not set"), "Direct", "ga4-direct"),
        (A.WEB_VISIT, (), "Direct", "ga4-direct"),
        (A.FORM_SUBMIT, (), "Direct", "ga4-direct"),
        (A.OTHER, (), "Unassigned", "unassigned"),
        (A.WEB_VISIT, ("x", "y", "Q3 Cross-Network push"), "Cross-network", "ga4-cross-network"),
        (A.WEB_VISIT, ("amazon", "ppc"), "Paid Shopping", "ga4-paid-shopping"),
        (A.WEB_VISIT, ("partner", "cpc", "summer-shop"), "Paid Shopping", "ga4-paid-shopping"),
        (A.WEB_VISIT, ("youtube.com", "paid-video"), "Paid Video", "ga4-paid-video"),
        (A.WEB_VISIT, ("partner", "retargeting"), "Paid Other", "ga4-paid-other"),
        (A.WEB_VISIT, ("partner", "cpm"), "Paid Other", "ga4-paid-other"),  # paid regex first
        (A.WEB_VISIT, ("partner", "banner"), "Display", "ga4-display"),
        (A.WEB_VISIT, ("partner", "interstitial"), "Display", "ga4-display"),
        (A.WEB_VISIT, ("etsy.com", "referral"), "Organic Shopping", "ga4-organic-shopping"),
        (A.WEB_VISIT, ("lm.facebook.com", "referral"), "Organic Social", "ga4-organic-social"),
        (A.WEB_VISIT, ("partner", "social-media"), "Organic Social", "ga4-organic-social"),
        (A.WEB_VISIT, ("vimeo", None), "Organic Video", "ga4-organic-video"),
        (A.WEB_VISIT, ("partner", "webinar-video"), "Organic Video", "ga4-organic-video"),
        (A.WEB_VISIT, ("bing", "organic"), "Organic Search", "ga4-organic-search"),
        (A.WEB_VISIT, ("partner", "organic"), "Organic Search", "ga4-organic-search"),
        (A.WEB_VISIT, ("blog.example.org", "referral"), "Referral", "ga4-referral"),
        (A.WEB_VISIT, ("partner", "link"), "Referral", "ga4-referral"),
        (A.WEB_VISIT, ("e-mail", None), "Email", "ga4-email"),
        (A.WEB_VISIT, ("newsletter", "Email"), "Email", "ga4-email"),
        (A.WEB_VISIT, ("partner", "affiliate"), "Affiliates", "ga4-affiliates"),
        (A.WEB_VISIT, ("podcast", "audio"), "Audio", "ga4-audio"),
        (A.WEB_VISIT, ("sms", None), "SMS", "ga4-sms"),
        (A.WEB_VISIT, ("app", "web-push"), "Mobile Push Notifications", "ga4-mobile-push"),
        (A.WEB_VISIT, ("firebase", None), "Mobile Push Notifications", "ga4-mobile-push"),
        (A.WEB_VISIT, ("partner", "print"), "Unassigned", "unassigned"),
    ],
)
def test_default_rules(kind: A, utm: tuple[str | None, ...], channel: str, rule_id: str) -> None:
    assert classify(kind, *utm) == (channel, rule_id)


class TestRuleSet:
    def test_an_explicit_channel_wins_and_says_so(self) -> None:
        assert classify(A.WEB_VISIT, "google", "cpc", channel="Partner") == (
            "Partner",
            EXPLICIT_RULE_ID,
        )

    def test_the_classification_records_the_rule_version(self) -> None:
        touch = Touch("t", "jane@acme.com", AT, A.CALL)
        assert default_rule_set(version=7).classify(touch).rule_version == 7

    def test_digest_names_the_content_not_the_version(self) -> None:
        assert default_rule_set(1).digest == default_rule_set(2).digest
        edited = RuleSet(
            1,
            (rule("phone", "Calls", (when(Field.ACTIVITY_TYPE, Op.EQUALS, "call"),)), *RULES.rules),
            RULES.source_categories,
        )
        assert edited.digest != RULES.digest

    def test_a_tenant_rule_set_is_plain_data_and_round_trips(self) -> None:
        data = RULES.to_dict()
        assert RuleSet.from_dict(data).to_dict() == data
        assert RuleSet.from_dict(data).digest == RULES.digest

    def test_a_tenant_rule_placed_first_reclassifies(self) -> None:
        data = RULES.to_dict()
        data["version"] = 2
        data["rules"].insert(
            0,
            {
                "rule_id": "partner-webinars",
                "channel": "Partner Webinars",
                "any_of": [[{"field": "campaign", "op": "starts_with", "values": ["pw-"]}]],
            },
        )
        tenant = RuleSet.from_dict(data)
        touch = Touch("t", "jane@acme.com", AT, A.WEB_VISIT, utm=Utm("google", "cpc", "PW-2025"))
        found = tenant.classify(touch)
        assert (found.channel, found.rule_id, found.rule_version) == (
            "Partner Webinars",
            "partner-webinars",
            2,
        )
        assert RULES.classify(touch).channel == "Paid Search"

    def test_tenant_source_categories_extend_the_list(self) -> None:
        tenant = RuleSet(1, RULES.rules, {**RULES.source_categories, "kagi.com": "SEARCH"})
        touch = Touch("t", "jane@acme.com", AT, A.WEB_VISIT, utm=Utm("kagi.com", "referral"))
        assert tenant.classify(touch).channel == "Organic Search"
        assert RULES.classify(touch).channel == "Referral"

    def test_invalid_rule_sets_are_refused(self) -> None:
        catch_all = Rule("rest", "Unassigned", ())
        with pytest.raises(ValueError, match="catch-all"):
            RuleSet(1, (rule("a", "A", (when(Field.MEDIUM, Op.EMPTY),)),))
        with pytest.raises(ValueError, match="unique"):
            RuleSet(1, (catch_all, catch_all))
        with pytest.raises(ValueError, match="regular expression"):
            Condition(Field.MEDIUM, Op.MATCHES, ("(unclosed",))
        with pytest.raises(ValueError, match="takes 1 value"):
            Condition(Field.MEDIUM, Op.EQUALS, ("a", "b"))
        with pytest.raises(ValueError, match="nope"):
            Rule.from_dict(
                {"rule_id": "x", "channel": "X", "any_of": [[{"field": "nope", "op": "in"}]]}
            )


class TestTenantPatterns:
    """A tenant's `matches` pattern is data from outside: RE2 syntax, case kept, linear time."""

    def test_a_pattern_keeps_its_case_so_escapes_keep_their_meaning(self) -> None:
        non_blank = Condition(Field.CAMPAIGN, Op.MATCHES, (r"^\S+$",))
        assert non_blank.values == (r"^\S+$",)
        assert non_blank.holds("spring-sale")
        assert not non_blank.holds("spring sale")

    def test_matching_ignores_case(self) -> None:
        assert Condition(Field.SOURCE, Op.MATCHES, ("^LinkedIn$",)).holds("linkedin")

    def test_a_pattern_that_stalls_backtracking_engines_answers_at_once(self) -> None:
        nested = Condition(Field.CAMPAIGN, Op.MATCHES, ("(a+)+$",))
        # Python's `re` takes longer than the age of the universe on this (2^n paths).
        assert not nested.holds("a" * 10_000 + "!")

    def test_syntax_re2_lacks_is_refused_with_the_reason(self) -> None:
        with pytest.raises(ValueError, match=r"invalid regular expression.*RE2 syntax"):
            Condition(Field.SOURCE, Op.MATCHES, (r"(a)\1",))
