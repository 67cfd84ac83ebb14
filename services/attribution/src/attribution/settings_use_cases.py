"""Use cases of the settings API: a tenant's run settings and its versioned channel rules."""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from attribution.domain.channels import RuleSet
from attribution.domain.recorded import StoredRules
from attribution.domain.rule_sets import parse_rule_set
from attribution.domain.settings import RunSettings, SettingsError
from attribution.domain.shapley import MAX_SHAPLEY_GROUPS
from attribution.domain.weighting import ModelName
from attribution.intake import DEFAULT_RULES, rules_for
from attribution.uow import AttributionUnitOfWork
from dealflow_libs.tenants import UnknownTenant, read_tenant_settings


@dataclass(frozen=True, slots=True)
class RulesVersion:
    """One version of a tenant's channel rules; `created_at` None = the built-in defaults,
    which a tenant uses until it changes them."""

    rules: RuleSet
    created_at: datetime | None


def _version(stored: StoredRules | None) -> RulesVersion:
    return RulesVersion(rules_for(stored), stored.created_at if stored else None)


async def read_run_settings(uow: AttributionUnitOfWork, tenant_id: str) -> RunSettings:
    return RunSettings.from_stored(await read_tenant_settings(uow, tenant_id))


async def replace_run_settings(
    uow: AttributionUnitOfWork, tenant_id: str, settings: RunSettings
) -> None:
    """Replaces the tenant's run settings; the next run of each deal uses them. Enabling
    shapley while the won deals already hold more than 16 channel groups is refused
    (SettingsError): its runs could only say so."""
    async with uow:
        if ModelName.SHAPLEY in settings.models:
            groups = await uow.attribution.converting_channels(tenant_id)
            if groups > MAX_SHAPLEY_GROUPS:
                raise SettingsError(
                    "models",
                    f"shapley is exact over at most {MAX_SHAPLEY_GROUPS} channel groups and this"
                    f" tenant's won deals have {groups}; merge channels in the channel rules",
                )
        if not await uow.tenants.replace_settings(tenant_id, settings.to_stored()):
            raise UnknownTenant(f"unknown tenant '{tenant_id}'")
        await uow.commit()


async def channel_rules(
    uow: AttributionUnitOfWork, tenant_id: str, version: int | None = None
) -> RulesVersion | None:
    """The tenant's current rules, or version `version` of them (None when there is none)."""
    async with uow:
        if version is None:
            return _version((await uow.attribution.current_rules([tenant_id])).get(tenant_id))
        stored = await uow.attribution.rules_version(tenant_id, version)
    if stored is None:
        # A tenant's history starts with the defaults, stored on its first change.
        return RulesVersion(DEFAULT_RULES, None) if version == DEFAULT_RULES.version else None
    return _version(stored)


async def channel_rules_history(uow: AttributionUnitOfWork, tenant_id: str) -> list[RulesVersion]:
    async with uow:
        stored = await uow.attribution.rules_history(tenant_id)
    return [_version(s) for s in stored] or [RulesVersion(DEFAULT_RULES, None)]


async def replace_channel_rules(
    uow: AttributionUnitOfWork, tenant_id: str, data: Mapping[str, Any]
) -> tuple[RulesVersion, bool]:
    """Stores `data` as the tenant's next rules version (current + 1) and says True; rules equal
    to the current ones (same digest) change nothing and give the current version and False.

    Raises RuleSetError (naming the rule and field) before anything is stored."""
    now = datetime.now(UTC)
    async with uow:
        await uow.attribution.lock_rules(tenant_id)
        stored = (await uow.attribution.current_rules([tenant_id])).get(tenant_id)
        current = rules_for(stored)
        candidate = parse_rule_set(data, current.version + 1)
        if candidate.digest == current.digest:
            return _version(stored), False
        if stored is None:
            # The defaults classified its touches so far: keep them readable by version.
            await uow.attribution.add_rules(tenant_id, current, now)
        await uow.attribution.add_rules(tenant_id, candidate, now)
        await uow.commit()
    return RulesVersion(candidate, now), True
