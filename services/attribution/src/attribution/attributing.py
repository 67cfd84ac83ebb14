"""Attributing closed deals a batch at a time, inside the caller's unit of work.

Every path that (re)computes runs comes through here: deal events, late touches, recomputes and
rebuilds. A batch costs a fixed number of queries whatever its size: one for the candidate
touches of every account in it, one upsert of the Markov paths, the tenant's training paths closed
before the batch's last conversion day once (only when markov or shapley is enabled), one for the
latest runs, one insert of the new runs.
"""

import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Self

from attribution.db.repository import DealPath, NewRun
from attribution.domain.account import in_account
from attribution.domain.channels import RuleSet
from attribution.domain.deal_runs import ClosedDeal, ModelsAsOf, channel_path, deal_inputs
from attribution.domain.run import compute_run
from attribution.domain.settings import RunSettings
from attribution.domain.touches import Touch, Window, unique_touches, window_touches
from attribution.domain.training import training_cutoff
from attribution.domain.weighting import ModelName
from attribution.events import deal_attributed
from attribution.intake import rules_for
from attribution.uow import AttributionUnitOfWork
from dealflow_libs.domains import is_personal_domain
from dealflow_libs.tenants import TenantProfile
from dealflow_schemas.attribution import ATTRIBUTION_TOPIC


@dataclass
class Tally:
    """What a (re)computation did: deals attributed, runs stored, runs whose inputs had not
    changed (so none was stored)."""

    deals: int = 0
    runs_created: int = 0
    runs_unchanged: int = 0

    def __iadd__(self, other: "Tally") -> Self:
        self.deals += other.deals
        self.runs_created += other.runs_created
        self.runs_unchanged += other.runs_unchanged
        return self


@dataclass
class TenantTerms:
    """How a tenant's deals are attributed: its channel rules, window and models, and the
    company each email host belongs to under its personal domains (memoised: one lookup per
    host, not per touch and deal)."""

    tenant_id: str
    profile: TenantProfile
    rules: RuleSet
    settings: RunSettings
    _companies: dict[str, str | None] = field(default_factory=dict)

    @classmethod
    def of(cls, tenant_id: str, profile: TenantProfile, rules: RuleSet) -> "TenantTerms":
        return cls(tenant_id, profile, rules, RunSettings.from_stored(profile.settings))

    @property
    def window(self) -> Window:
        return self.settings.window

    @property
    def models(self) -> tuple[ModelName, ...]:
        return self.settings.models

    def company_of(self, email: str, email_domain: str | None) -> str | None:
        """The email's company domain (None when personal or not a company address): its
        registrable domain unless its host is one of the tenant's personal mailbox domains."""
        if email_domain is None:
            return None
        host = email.rpartition("@")[2]
        if host not in self._companies:
            personal = is_personal_domain(host, extra=self.profile.personal_domains)
            self._companies[host] = None if personal else email_domain
        return self._companies[host]


async def tenant_terms(
    uow: AttributionUnitOfWork, tenant_ids: Iterable[str]
) -> dict[str, TenantTerms]:
    """Each tenant's terms: its profile and run settings, and its current channel rules (the
    latest version in `channel_rule_versions`, else the defaults), two queries in all."""
    wanted = set(tenant_ids)
    profiles = await uow.tenants.profiles(wanted)
    rules = await uow.attribution.current_rules(wanted)
    return {t: TenantTerms.of(t, p, rules_for(rules.get(t))) for t, p in profiles.items()}


async def account_journeys(
    uow: AttributionUnitOfWork, terms: TenantTerms, deals: Sequence[ClosedDeal]
) -> dict[uuid.UUID, list[Touch]]:
    """Each deal's run inputs: the touches in its window of everyone at its company and of its
    linked people (the rule of `domain.account`), from one query."""
    if not deals:
        return {}
    until = max(d.closed_at for d in deals)
    pools = await account_touches_of(uow, terms, deals, until=until)
    return {
        deal.deal_id: window_touches(
            pools[deal.deal_id], conversion_at=deal.closed_at, window=terms.window
        )
        for deal in deals
    }


async def account_touches_of(
    uow: AttributionUnitOfWork,
    terms: TenantTerms,
    deals: Sequence[ClosedDeal],
    *,
    until: datetime | None,
) -> dict[uuid.UUID, list[Touch]]:
    """Each deal's account touches (everyone at its company and its linked people) at or
    before `until` (None: any time), from one query; duplicates possible, order not."""
    companies = [d.company_domain for d in deals if d.company_domain]
    emails = [e for d in deals for e in d.linked_emails]
    candidates = await uow.attribution.account_candidates(terms.tenant_id, companies, emails, until)
    # Candidates by registrable domain and by person; `in_account` (the one rule) decides.
    company_of: dict[str, str | None] = {}
    by_domain: dict[str, list[Touch]] = {}
    by_email: dict[str, list[Touch]] = {}
    for domain, touch in candidates:
        person = touch.person_email  # stored as person_key, as linked_emails are
        if person not in company_of:
            company_of[person] = terms.company_of(person, domain)
        by_domain.setdefault(domain or "", []).append(touch)
        by_email.setdefault(person, []).append(touch)
    pools = {}
    for deal in deals:
        found = list(by_domain.get(deal.company_domain or "", ()))
        for email in deal.linked_emails:
            found += by_email.get(email, ())
        pools[deal.deal_id] = [
            t
            for t in found
            if in_account(
                t.person_email,
                company_of[t.person_email],
                company_domain=deal.company_domain,
                linked=deal.linked_emails,
            )
        ]
    return pools


async def save_paths(
    uow: AttributionUnitOfWork,
    terms: TenantTerms,
    deals: Sequence[ClosedDeal],
    journeys: Mapping[uuid.UUID, Sequence[Touch]],
) -> None:
    """The deals' channel paths, Markov's training data (a path that did not change is not
    written)."""
    await uow.attribution.save_journeys(
        terms.tenant_id,
        [
            DealPath(
                d.deal_id,
                channel_path(journeys[d.deal_id], terms.rules, d.closed_at, terms.window),
                d.won,
                d.closed_at,
            )
            for d in deals
        ],
    )


async def trained_models(
    uow: AttributionUnitOfWork,
    terms: TenantTerms,
    deals: Sequence[ClosedDeal] | None,
    names: Sequence[ModelName] | None = None,
) -> ModelsAsOf:
    """The tenant's models (or those of `names` it enables) for the won `deals` (None: every
    won deal of the tenant); markov and shapley trained as of each deal's conversion day on the
    journeys closed before it (`domain.training`), each day once, from one query."""
    settings = terms.settings
    if names is not None:
        chosen = tuple(n for n in settings.models if n in set(names))
        if not chosen:
            return ModelsAsOf(None)
        settings = replace(settings, models=chosen)
    if not settings.needs_training:
        return ModelsAsOf(settings)
    if deals is None:
        journeys = await uow.attribution.journeys(terms.tenant_id)
        won = [j.closed_at for j in journeys if j.converted]  # every won deal has its path
    else:
        won = [d.closed_at for d in deals if d.won]
        before = max(map(training_cutoff, won), default=None)
        journeys = await uow.attribution.journeys(terms.tenant_id, before=before) if won else []
    models = ModelsAsOf(settings, journeys)
    models.prepare(won)
    return models


async def write_runs(
    uow: AttributionUnitOfWork,
    terms: TenantTerms,
    deals: Sequence[ClosedDeal],
    journeys: Mapping[uuid.UUID, Sequence[Touch]],
    models: ModelsAsOf,
    *,
    caused_by: Mapping[uuid.UUID, str | None],
    now: datetime,
    publish: bool = True,
) -> Tally:
    """One run per model for each won deal, stored (and published as DealAttributed) only where
    the inputs changed: a new run supersedes the deal's current one; equal inputs keep it."""
    won = [d for d in deals if d.won]
    tally = Tally(deals=len(won))
    if not won or models.empty:
        return tally
    tenant_id = terms.tenant_id
    latest = await uow.attribution.latest_runs_of(tenant_id, [d.deal_id for d in won])
    new: list[NewRun] = []
    for deal in won:
        before_runs = latest.get(deal.deal_id, {})
        cause = caused_by.get(deal.deal_id)
        ordered = unique_touches(journeys[deal.deal_id])
        chosen = models.of(deal.closed_at)
        for given in deal_inputs(deal.facts(), ordered, terms.rules, chosen, terms.window):
            before = before_runs.get(given.model.name.value)
            current = before if before is not None and not before.voided else None
            input_hash = given.input_hash(ordered)
            if current is not None and current.input_hash == input_hash:
                tally.runs_unchanged += 1
                continue  # the same inputs give the same run: nothing to compute or supersede
            run = compute_run(given, input_hash=input_hash)
            new.append(NewRun(uuid.uuid4(), run, current.run_id if current else None, cause))
    await uow.attribution.add_runs(tenant_id, new, now)
    tally.runs_created = len(new)
    if publish:
        for stored in new:
            _publish_run(uow, tenant_id, stored, now)
    return tally


def _publish_run(uow: AttributionUnitOfWork, tenant_id: str, stored: NewRun, now: datetime) -> None:
    event = deal_attributed(
        tenant_id,
        stored.run_id,
        stored.run,
        supersedes=stored.supersedes,
        computed_at=now,
        caused_by=stored.caused_by,
    )
    deal_id = stored.run.deal_id
    uow.outbox.add(
        event, topic=ATTRIBUTION_TOPIC, key=deal_id, tenant_id=tenant_id, subject=deal_id
    )


async def attribute_closed(
    uow: AttributionUnitOfWork,
    terms: TenantTerms,
    deals: Sequence[ClosedDeal],
    *,
    caused_by: Mapping[uuid.UUID, str | None],
    now: datetime,
    publish: bool = True,
) -> Tally:
    """Closed deals of one tenant, attributed again: journeys, Markov paths, and each won
    deal's runs (markov trained as of each deal's conversion day, so the same whatever the
    batch, `domain.training`)."""
    if not deals:
        return Tally()
    await uow.attribution.lock_runs(terms.tenant_id)
    journeys = await account_journeys(uow, terms, deals)
    await save_paths(uow, terms, deals, journeys)
    if not any(d.won for d in deals):
        return Tally()
    models = await trained_models(uow, terms, deals)
    return await write_runs(
        uow, terms, deals, journeys, models, caused_by=caused_by, now=now, publish=publish
    )
