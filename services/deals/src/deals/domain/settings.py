"""Per-tenant deal settings: creation policy, stage probabilities, CRM stage mappings."""

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from dealflow_libs.crm import crm_key
from dealflow_schemas.deals import DealStage


class DealPolicy(StrEnum):
    ON_BOOKING = "on_booking"
    ON_GOOD_OUTCOME = "on_good_outcome"


DEFAULT_PROBABILITIES: dict[DealStage, int] = {
    DealStage.BOOKED: 10,
    DealStage.MET: 15,
    DealStage.QUALIFICATION: 20,
    DealStage.PROPOSAL: 40,
    DealStage.NEGOTIATION: 60,
    DealStage.VERBAL_COMMIT: 80,
    DealStage.CONTRACT_SENT: 90,
    DealStage.CLOSED_WON: 100,
    DealStage.CLOSED_LOST: 0,
}

#: Each CRM's default pipeline, mapped to ours. Keys are matched case-insensitively.
DEFAULT_CRM_STAGES: dict[str, dict[str, DealStage]] = {
    "hubspot": {
        "appointmentscheduled": DealStage.QUALIFICATION,
        "qualifiedtobuy": DealStage.QUALIFICATION,
        "presentationscheduled": DealStage.PROPOSAL,
        "decisionmakerboughtin": DealStage.NEGOTIATION,
        "contractsent": DealStage.CONTRACT_SENT,
        "closedwon": DealStage.CLOSED_WON,
        "closedlost": DealStage.CLOSED_LOST,
    },
    "salesforce": {
        "prospecting": DealStage.QUALIFICATION,
        "qualification": DealStage.QUALIFICATION,
        "needs analysis": DealStage.QUALIFICATION,
        "value proposition": DealStage.PROPOSAL,
        "id. decision makers": DealStage.PROPOSAL,
        "perception analysis": DealStage.PROPOSAL,
        "proposal/price quote": DealStage.PROPOSAL,
        "negotiation/review": DealStage.NEGOTIATION,
        "closed won": DealStage.CLOSED_WON,
        "closed lost": DealStage.CLOSED_LOST,
    },
    "pipedrive": {
        "lead in": DealStage.QUALIFICATION,
        "contact made": DealStage.QUALIFICATION,
        "demo scheduled": DealStage.PROPOSAL,
        "proposal made": DealStage.PROPOSAL,
        "negotiations started": DealStage.NEGOTIATION,
        "won": DealStage.CLOSED_WON,
        "lost": DealStage.CLOSED_LOST,
    },
}
CRMS = tuple(DEFAULT_CRM_STAGES)


def keyed_crm_mappings(mappings: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """A tenant's CRM stage mappings with every CRM and stage name keyed by `crm_key`."""
    keyed: dict[str, dict[str, Any]] = {}
    for crm, mapping in mappings.items():
        keyed.setdefault(crm_key(crm), {}).update({crm_key(n): s for n, s in mapping.items()})
    return keyed


@dataclass(frozen=True)
class DealSettings:
    policy: DealPolicy = DealPolicy.ON_BOOKING
    probabilities: dict[DealStage, int] = field(default_factory=lambda: dict(DEFAULT_PROBABILITIES))
    crm_stages: dict[str, dict[str, DealStage]] = field(
        default_factory=lambda: {k: dict(v) for k, v in DEFAULT_CRM_STAGES.items()}
    )

    @classmethod
    def from_stored(cls, stored: dict[str, Any]) -> "DealSettings":
        probabilities = dict(DEFAULT_PROBABILITIES)
        probabilities.update(
            {DealStage(k): int(v) for k, v in stored.get("stage_probabilities", {}).items()}
        )
        crm_stages = {k: dict(v) for k, v in DEFAULT_CRM_STAGES.items()}
        for crm, mapping in keyed_crm_mappings(stored.get("crm_stage_mappings", {})).items():
            crm_stages.setdefault(crm, {}).update(
                {name: DealStage(stage) for name, stage in mapping.items()}
            )
        return cls(
            policy=DealPolicy(stored.get("policy", DealPolicy.ON_BOOKING)),
            probabilities=probabilities,
            crm_stages=crm_stages,
        )

    def probability(self, stage: DealStage) -> int:
        return self.probabilities[stage]

    def crm_stage(self, crm: str, stage_name: str) -> DealStage | None:
        """Our stage for a CRM's stage name, matched as `crm_key` keys it; None if unmapped."""
        return self.crm_stages.get(crm_key(crm), {}).get(crm_key(stage_name))

    def crm_stage_names(self, crm: str) -> list[str]:
        return sorted(self.crm_stages.get(crm_key(crm), {}))
