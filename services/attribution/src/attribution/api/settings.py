"""Per-tenant attribution settings, and the tenant's versioned channel rules."""

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel, BeforeValidator, Field

from attribution.api.deps import Ctx, Tenant
from attribution.domain.channels import Field as RuleField
from attribution.domain.channels import Op
from attribution.domain.rule_sets import MAX_RULES, RuleSetError
from attribution.domain.settings import (
    CUSTOM_ROLE_KEYS,
    DEFAULT_HALF_LIFE_DAYS,
    DEFAULT_MODELS,
    MAX_HALF_LIFE_DAYS,
    MAX_LOOKBACK_DAYS,
    CustomWeights,
    RunSettings,
    SettingsError,
    exact_number,
    number_text,
)
from attribution.domain.touches import DEFAULT_LOOKBACK_DAYS, DEFAULT_WINDOW
from attribution.domain.weighting import ModelName
from attribution.settings_use_cases import (
    RulesVersion,
    channel_rules,
    channel_rules_history,
    read_run_settings,
    replace_channel_rules,
    replace_run_settings,
)
from dealflow_libs.http import ApiError
from dealflow_libs.tenants import UnknownTenant
from dealflow_schemas.attribution import ActivityType
from dealflow_schemas.bounded import Id, Name

router = APIRouter(prefix="/v1/settings", tags=["settings"])


def _exact(value: object) -> str:
    # The domain's parser (JSON number, decimal text or "n/d"), answered as the domain stores it.
    try:
        return number_text(exact_number(value, "value"))
    except SettingsError as error:
        raise ValueError(error.problem) from None


#: An exact number: a JSON number or a string ("0.4", "1/3"); answered as exact text.
Weight = Annotated[
    str,
    BeforeValidator(_exact),
    Field(
        max_length=64,
        description='Exact: decimal text ("0.4") or a fraction ("1/3").',
        examples=["0.4", "1/3"],
    ),
]


class CustomWeightsIn(BaseModel):
    roles: dict[Name, Weight] = Field(
        max_length=len(CUSTOM_ROLE_KEYS),
        description=f"Relative weights of the roles {', '.join(CUSTOM_ROLE_KEYS)} (middle: the "
        "share split equally over touches holding no role); each >= 0, summing to more than 0, "
        "normalised (40/20/40 = 0.4/0.2/0.4).",
        examples=[{"first": 40, "middle": 20, "last": 40}],
    )
    activity_types: dict[Name, Weight] = Field(
        default_factory=dict,
        max_length=len(ActivityType),
        description="A factor >= 0 per activity type applied after the roles (unlisted: 1; "
        "0 removes the type's credit), then renormalised.",
        examples=[{"email_sent": 0.5}],
    )


class RunSettingsIn(BaseModel):
    """Replaces every setting; an omitted field takes its default."""

    models: list[ModelName] = Field(
        default=list(DEFAULT_MODELS),
        min_length=1,
        max_length=len(ModelName),
        description="Models each won deal gets a run of. Default: every standard rule-based "
        "model and markov. `custom` needs custom_weights; `shapley` works over at most 16 "
        "channel groups (beyond that its run credits (unattributed) and says why).",
    )
    time_decay_half_life_days: Weight = Field(
        default=number_text(DEFAULT_HALF_LIFE_DAYS),
        description=f"time_decay's half-life in days (1/86400 to {MAX_HALF_LIFE_DAYS}).",
    )
    custom_weights: CustomWeightsIn | None = Field(
        default=None, description="The custom model's weights (required when it is enabled)."
    )
    lookback_days: int = Field(
        default=DEFAULT_LOOKBACK_DAYS,
        description=f"Touches older than this before the conversion earn nothing; 0 = no "
        f"limit (at most {MAX_LOOKBACK_DAYS}).",
    )
    ignored_activity_types: list[ActivityType] = Field(
        default=sorted(DEFAULT_WINDOW.ignored_activity_types),
        max_length=len(ActivityType),
        description="Activity types that never earn credit (default email_opened: privacy "
        "proxies open every mail). An empty list makes every type eligible.",
    )


class CustomWeightsOut(BaseModel):
    roles: dict[str, str] = Field(description="Relative role weights, exact (as stored).")
    activity_types: dict[str, str] = Field(description="Activity type factors, exact.")


class RunSettingsOut(BaseModel):
    models: list[ModelName] = Field(description="Models each won deal gets a run of.")
    time_decay_half_life_days: str = Field(
        description='time_decay\'s half-life in days, exact ("7", "1.5", "1/3").',
        examples=["7"],
    )
    custom_weights: CustomWeightsOut | None = Field(description="The custom model's weights.")
    lookback_days: int = Field(description="Lookback before the conversion; 0 = no limit.")
    ignored_activity_types: list[str] = Field(description="Types that never earn credit.")


def _settings_out(settings: RunSettings) -> RunSettingsOut:
    custom: CustomWeights | None = settings.custom_weights
    return RunSettingsOut(
        models=list(settings.models),
        time_decay_half_life_days=number_text(settings.half_life_days),
        custom_weights=CustomWeightsOut(
            roles={k: number_text(w) for k, w in custom.roles.items()},
            activity_types={t.value: number_text(f) for t, f in custom.activity_types.items()},
        )
        if custom
        else None,
        lookback_days=settings.window.lookback_days,
        ignored_activity_types=sorted(t.value for t in settings.window.ignored_activity_types),
    )


def _invalid(error: SettingsError | RuleSetError) -> ApiError:
    where = error.field if isinstance(error, SettingsError) else error.where
    return ApiError(422, "invalid_request", str(error), field=where)


@router.get("", response_model=RunSettingsOut, summary="This tenant's attribution settings")
async def read_settings(ctx: Ctx, tenant: Tenant) -> RunSettingsOut:
    """The models each won deal gets a run of, time decay's half-life, the custom model's
    weights, and which touches may earn credit (lookback, ignored types); defaults if never set."""
    return _settings_out(await read_run_settings(ctx.uow(), tenant))


@router.put("", response_model=RunSettingsOut, summary="Replace this tenant's attribution settings")
async def write_settings(ctx: Ctx, tenant: Tenant, body: RunSettingsIn) -> RunSettingsOut:
    """Runs from now on use these (won deals already attributed keep their runs); a problem is
    a 422 naming the field."""
    try:
        settings = RunSettings.from_stored(body.model_dump(mode="json"))
        await replace_run_settings(ctx.uow(), tenant, settings)
    except SettingsError as error:
        raise _invalid(error) from error
    except UnknownTenant as error:
        raise ApiError(404, "not_found", str(error)) from error
    return _settings_out(settings)


class ConditionIn(BaseModel):
    field: str = Field(description=f"One of {', '.join(f.value for f in RuleField)}.")
    op: str = Field(description=f"One of {', '.join(o.value for o in Op)}.")
    values: list[Name] = Field(
        default_factory=list,
        max_length=1000,
        description="in: one or more; empty/present: none; the others exactly one "
        "(matches: a regular expression that must match the whole value).",
    )


class RuleIn(BaseModel):
    rule_id: Id = Field(description="Unique within the set; touches record which rule decided.")
    channel: Name = Field(description="The channel a matching touch gets.")
    any_of: list[list[ConditionIn]] = Field(
        default_factory=list,
        max_length=100,
        description="The rule matches when any clause matches; a clause when all of its "
        "conditions hold. Empty: a catch-all (only the last rule, which must be one).",
    )


class RuleSetIn(BaseModel):
    rules: list[RuleIn] = Field(
        min_length=1,
        max_length=MAX_RULES,
        description="Tried in order, the first match wins; the last rule must be a catch-all.",
    )
    source_categories: dict[Name, Name] = Field(
        default_factory=dict,
        description="source (or host) -> category, for conditions on source_category.",
        examples=[{"news.example.com": "search"}],
    )


class RuleSetOut(BaseModel):
    version: int = Field(description="Assigned by the server: the previous version + 1.")
    digest: str = Field(description="sha256 of the content; equal content, equal digest.")
    built_in: bool = Field(description="True for the default rules (never changed).")
    created_at: datetime | None = Field(description="When it was stored (null: built in).")
    rules: list[dict[str, Any]] = Field(description="In order, as PUT takes them.")
    source_categories: dict[str, str] = Field(description="source -> category (lower case).")


class RuleVersionOut(BaseModel):
    version: int
    digest: str
    created_at: datetime | None


class RuleHistory(BaseModel):
    versions: list[RuleVersionOut]


def _rules_out(found: RulesVersion) -> RuleSetOut:
    content = found.rules.to_dict(with_version=False)
    return RuleSetOut(
        version=found.rules.version,
        digest=found.rules.digest,
        built_in=found.created_at is None,
        created_at=found.created_at,
        rules=content["rules"],
        source_categories=content["source_categories"],
    )


@router.get("/channel-rules", response_model=RuleSetOut, summary="This tenant's channel rules")
async def read_channel_rules(
    ctx: Ctx,
    tenant: Tenant,
    version: int | None = Query(
        None, ge=1, description="An earlier version (as touches record it); default: current."
    ),
) -> RuleSetOut:
    """The rules that classify this tenant's touches now (or version `version`, 404 if none);
    `built_in` when the tenant never changed the defaults."""
    found = await channel_rules(ctx.uow(), tenant, version)
    if found is None:
        raise ApiError(404, "not_found", f"no channel rules version {version} for this tenant")
    return _rules_out(found)


@router.get(
    "/channel-rules/versions",
    response_model=RuleHistory,
    summary="Every version of this tenant's channel rules, oldest first",
)
async def read_channel_rule_versions(ctx: Ctx, tenant: Tenant) -> RuleHistory:
    """Version, digest and when stored (null: the built-in defaults) of every version."""
    history = await channel_rules_history(ctx.uow(), tenant)
    return RuleHistory(
        versions=[
            RuleVersionOut(version=v.rules.version, digest=v.rules.digest, created_at=v.created_at)
            for v in history
        ]
    )


@router.put(
    "/channel-rules",
    response_model=RuleSetOut,
    status_code=201,
    summary="Store a new version of this tenant's channel rules",
    responses={200: {"description": "Same content as the current version: nothing stored."}},
)
async def write_channel_rules(
    ctx: Ctx, tenant: Tenant, body: RuleSetIn, response: Response
) -> RuleSetOut:
    """Stores the rules as version current + 1 (201); touches from now on are classified by
    them and record that version. Content equal to the current version is answered 200 with
    it. A problem is a 422 naming the rule and field."""
    try:
        found, created = await replace_channel_rules(
            ctx.uow(), tenant, body.model_dump(mode="json")
        )
    except RuleSetError as error:
        raise _invalid(error) from error
    if not created:
        response.status_code = 200
    return _rules_out(found)
