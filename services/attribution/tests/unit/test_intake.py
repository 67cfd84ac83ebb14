"""The touch contract maps onto the domain's Touch field by field, with the same vocabulary."""

from datetime import UTC, datetime

from attribution.domain.default_channels import DEFAULT_RULE_VERSION
from attribution.domain.recorded import StoredRules
from attribution.domain.touches import ActivityType, Touch, Utm
from attribution.intake import rules_for, to_touch
from dealflow_schemas.attribution import TouchIn


def test_every_contract_field_reaches_the_domain_touch() -> None:
    at = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
    item = TouchIn(
        touch_id="t1",
        person_email=" Jane@Acme.com ",
        occurred_at=at,
        activity_type=ActivityType.AD_CLICK,
        channel="Partners",
        utm_source="s",
        utm_medium="m",
        utm_campaign="c",
        utm_content="x",
        utm_term="k",
        campaign_id="camp",
        external_activity_id="ext",
        metadata={"a": 1},
    )
    assert set(TouchIn.model_fields) == {
        "touch_id", "person_email", "occurred_at", "activity_type", "channel", "utm_source",
        "utm_medium", "utm_campaign", "utm_content", "utm_term", "campaign_id",
        "external_activity_id", "metadata",
    }  # fmt: skip
    assert to_touch(item) == Touch(
        touch_id="t1",
        person_email="jane@acme.com",
        occurred_at=at,
        activity_type=ActivityType.AD_CLICK,
        channel="Partners",
        utm=Utm("s", "m", "c", "x", "k"),
        campaign_id="camp",
        external_activity_id="ext",
        metadata={"a": 1},
    )


def test_rules_are_the_tenants_stored_version_or_the_defaults() -> None:
    assert rules_for(None).version == DEFAULT_RULE_VERSION
    content = {"rules": [{"rule_id": "all", "channel": "Any", "any_of": []}]}
    stored = StoredRules("t", 3, "d", content, datetime(2026, 1, 1, tzinfo=UTC))
    found = rules_for(stored)
    assert (found.version, found.rules[0].channel) == (3, "Any")
    assert rules_for(stored) is found  # a stored version is parsed once
