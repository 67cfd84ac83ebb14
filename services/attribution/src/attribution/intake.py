"""From a touch contract to the domain's Touch, classified by the tenant's channel rules."""

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from attribution.domain.channels import RuleSet
from attribution.domain.default_channels import default_rule_set
from attribution.domain.recorded import RecordedTouch
from attribution.domain.touches import ActivityType, Touch, Utm
from dealflow_schemas.attribution import TouchIn

#: Tenant settings key holding a custom rule set (`RuleSet.to_dict()`); absent = the defaults.
CHANNEL_RULES_SETTING = "channel_rules"


def rules_for(settings: Mapping[str, Any]) -> RuleSet:
    """The tenant's versioned channel rules: its own when it has some, else the defaults."""
    custom = settings.get(CHANNEL_RULES_SETTING)
    return RuleSet.from_dict(custom) if custom else default_rule_set()


def to_touch(item: TouchIn) -> Touch:
    return Touch(
        touch_id=item.touch_id,
        person_email=item.person_email,
        occurred_at=item.occurred_at,
        activity_type=ActivityType(item.activity_type.value),
        channel=item.channel or None,
        utm=Utm(
            source=item.utm_source,
            medium=item.utm_medium,
            campaign=item.utm_campaign,
            content=item.utm_content,
            term=item.utm_term,
        ),
        campaign_id=item.campaign_id,
        external_activity_id=item.external_activity_id,
        metadata=dict(item.metadata),
    )


def recorded(
    tenant_id: str, item: TouchIn, rules: RuleSet, source: str, now: datetime
) -> RecordedTouch:
    touch = to_touch(item)
    return RecordedTouch(tenant_id, touch, rules.classify(touch), source, now)
