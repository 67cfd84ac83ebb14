"""Tenant deal settings, company names, pipeline summary and lost analysis."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from dealflow_libs.domains import company_name
from dealflow_schemas.deals import DealStage, LostReason
from deals.domain.analytics import (
    LostReasonSummary,
    PipelineSummary,
    StageSummary,
    lost_analysis,
    pipeline_summary,
)
from deals.domain.company import Company
from deals.domain.deal import OPEN_STAGES
from deals.domain.settings import (
    CRMS,
    DEFAULT_CRM_STAGES,
    DEFAULT_PROBABILITIES,
    DealPolicy,
    DealSettings,
    keyed_crm_mappings,
)

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


class TestDefaults:
    def test_probabilities(self) -> None:
        assert DEFAULT_PROBABILITIES == {
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

    def test_settings_default_to_on_booking_and_the_defaults(self) -> None:
        settings = DealSettings()

        assert settings.policy is DealPolicy.ON_BOOKING
        assert settings.probabilities == DEFAULT_PROBABILITIES
        assert settings.crm_stages == DEFAULT_CRM_STAGES
        assert settings.probability(DealStage.VERBAL_COMMIT) == 80

    def test_settings_do_not_share_the_default_dicts(self) -> None:
        settings = DealSettings()

        settings.probabilities[DealStage.BOOKED] = 1
        settings.crm_stages["hubspot"]["custom"] = DealStage.PROPOSAL

        assert DEFAULT_PROBABILITIES[DealStage.BOOKED] == 10
        assert "custom" not in DEFAULT_CRM_STAGES["hubspot"]
        assert DealSettings().probability(DealStage.BOOKED) == 10

    def test_crms(self) -> None:
        assert CRMS == ("hubspot", "salesforce", "pipedrive")

    @pytest.mark.parametrize(
        ("crm", "name", "stage"),
        [
            ("hubspot", "appointmentscheduled", DealStage.QUALIFICATION),
            ("hubspot", "qualifiedtobuy", DealStage.QUALIFICATION),
            ("hubspot", "presentationscheduled", DealStage.PROPOSAL),
            ("hubspot", "decisionmakerboughtin", DealStage.NEGOTIATION),
            ("hubspot", "contractsent", DealStage.CONTRACT_SENT),
            ("hubspot", "closedwon", DealStage.CLOSED_WON),
            ("hubspot", "closedlost", DealStage.CLOSED_LOST),
            ("salesforce", "prospecting", DealStage.QUALIFICATION),
            ("salesforce", "qualification", DealStage.QUALIFICATION),
            ("salesforce", "needs analysis", DealStage.QUALIFICATION),
            ("salesforce", "value proposition", DealStage.PROPOSAL),
            ("salesforce", "id. decision makers", DealStage.PROPOSAL),
            ("salesforce", "perception analysis", DealStage.PROPOSAL),
            ("salesforce", "proposal/price quote", DealStage.PROPOSAL),
            ("salesforce", "negotiation/review", DealStage.NEGOTIATION),
            ("salesforce", "closed won", DealStage.CLOSED_WON),
            ("salesforce", "closed lost", DealStage.CLOSED_LOST),
            ("pipedrive", "lead in", DealStage.QUALIFICATION),
            ("pipedrive", "contact made", DealStage.QUALIFICATION),
            ("pipedrive", "demo scheduled", DealStage.PROPOSAL),
            ("pipedrive", "proposal made", DealStage.PROPOSAL),
            ("pipedrive", "negotiations started", DealStage.NEGOTIATION),
            ("pipedrive", "won", DealStage.CLOSED_WON),
            ("pipedrive", "lost", DealStage.CLOSED_LOST),
        ],
    )
    def test_crm_stage(self, crm: str, name: str, stage: DealStage) -> None:
        assert DEFAULT_CRM_STAGES[crm][name] is stage

    def test_crm_stage_names_are_stored_lower_case(self) -> None:
        """Lookups lower-case the CRM's name ("Closed Won", "Lead In"), so keys must be lower."""
        for mapping in DEFAULT_CRM_STAGES.values():
            assert all(name == name.strip().lower() for name in mapping)
        assert DEFAULT_CRM_STAGES["salesforce"]["Closed Won".lower()] is DealStage.CLOSED_WON
        assert DEFAULT_CRM_STAGES["pipedrive"]["Lead In".lower()] is DealStage.QUALIFICATION


class TestFromStored:
    def test_empty_is_the_defaults(self) -> None:
        settings = DealSettings.from_stored({})

        assert settings == DealSettings()

    def test_policy(self) -> None:
        assert (
            DealSettings.from_stored({"policy": "on_good_outcome"}).policy
            is DealPolicy.ON_GOOD_OUTCOME
        )
        assert DealSettings.from_stored({"policy": "on_booking"}).policy is DealPolicy.ON_BOOKING

    def test_unknown_policy_is_refused(self) -> None:
        with pytest.raises(ValueError, match="sometimes"):
            DealSettings.from_stored({"policy": "sometimes"})

    def test_probability_overrides_on_top_of_the_defaults(self) -> None:
        settings = DealSettings.from_stored(
            {"stage_probabilities": {"booked": 5, "proposal": "45", "contract_sent": 95}}
        )

        assert settings.probabilities == {
            **DEFAULT_PROBABILITIES,
            DealStage.BOOKED: 5,
            DealStage.PROPOSAL: 45,
            DealStage.CONTRACT_SENT: 95,
        }
        assert settings.probability(DealStage.MET) == 15
        assert settings.probability(DealStage.PROPOSAL) == 45

    def test_unknown_stage_is_refused(self) -> None:
        with pytest.raises(ValueError, match="demo"):
            DealSettings.from_stored({"stage_probabilities": {"demo": 30}})

    def test_tenant_crm_mappings_are_added_lower_cased(self) -> None:
        settings = DealSettings.from_stored(
            {
                "crm_stage_mappings": {
                    "hubspot": {"Demo Booked": "met", "ClosedWon": "verbal_commit"},
                    "pipedrive": {"Trial": "proposal"},
                }
            }
        )

        hubspot = settings.crm_stages["hubspot"]
        assert hubspot["demo booked"] is DealStage.MET
        assert "Demo Booked" not in hubspot
        assert hubspot["closedwon"] is DealStage.VERBAL_COMMIT  # the tenant's mapping wins
        assert hubspot["appointmentscheduled"] is DealStage.QUALIFICATION  # defaults kept
        assert settings.crm_stages["pipedrive"]["trial"] is DealStage.PROPOSAL
        assert settings.crm_stages["pipedrive"]["lead in"] is DealStage.QUALIFICATION
        assert settings.crm_stages["salesforce"] == DEFAULT_CRM_STAGES["salesforce"]
        assert "demo booked" not in DEFAULT_CRM_STAGES["hubspot"]  # defaults untouched
        assert DEFAULT_CRM_STAGES["hubspot"]["closedwon"] is DealStage.CLOSED_WON

    def test_crm_names_and_stage_names_are_normalised(self) -> None:
        """Sync looks up `crm_stages[crm][name.strip().lower()]` with a lower-case crm."""
        settings = DealSettings.from_stored(
            {"crm_stage_mappings": {"HubSpot": {"  Demo Booked ": "met"}}}
        )

        assert settings.crm_stages["hubspot"]["demo booked"] is DealStage.MET
        assert set(settings.crm_stages) == {"hubspot", "salesforce", "pipedrive"}

    @pytest.mark.parametrize(
        ("crm", "name"),
        [("HubSpot", "demo booked"), ("hubspot ", "DEMO BOOKED"), ("hubspot", " Demo Booked")],
    )
    def test_sync_lookup_keys_names_as_storage_does(self, crm: str, name: str) -> None:
        settings = DealSettings.from_stored(
            {"crm_stage_mappings": keyed_crm_mappings({"HubSpot": {"  Demo Booked ": "met"}})}
        )

        assert settings.crm_stage(crm, name) is DealStage.MET
        assert "demo booked" in settings.crm_stage_names(crm)
        assert settings.crm_stage("hubspot", "demo  booked") is None

    def test_a_new_crm(self) -> None:
        settings = DealSettings.from_stored(
            {"crm_stage_mappings": {"close": {"Won": "closed_won"}}}
        )

        assert settings.crm_stages["close"] == {"won": DealStage.CLOSED_WON}

    def test_unknown_target_stage_is_refused(self) -> None:
        with pytest.raises(ValueError, match="pending"):
            DealSettings.from_stored({"crm_stage_mappings": {"hubspot": {"x": "pending"}}})

    def test_stored_as_json_round_trip(self) -> None:
        """What the settings API stores (model_dump(mode='json')) reads back the same."""
        stored = {
            "policy": "on_good_outcome",
            "stage_probabilities": {"met": 30},
            "crm_stage_mappings": {"salesforce": {"discovery": "met"}},
        }

        settings = DealSettings.from_stored(stored)

        assert settings.policy is DealPolicy.ON_GOOD_OUTCOME
        assert settings.probability(DealStage.MET) == 30
        assert settings.crm_stages["salesforce"]["discovery"] is DealStage.MET
        assert settings.crm_stages["salesforce"]["closed won"] is DealStage.CLOSED_WON


class TestCompanyName:
    @pytest.mark.parametrize(
        ("domain", "name"),
        [
            ("acme.com", "Acme"),
            ("acme-widgets.co.uk", "Acme Widgets"),
            ("globex_corp.io", "Globex Corp"),
            ("ACME.com", "Acme"),
            ("initech--labs.dev", "Initech Labs"),
            ("3m.com", "3m"),
            ("localhost", "Localhost"),
            ("-.com", "-.com"),
        ],
    )
    def test_readable_name_from_domain(self, domain: str, name: str) -> None:
        assert company_name(domain) == name

    def test_a_new_company_and_its_default_deal_name(self) -> None:
        company = Company.named_after("demo", "acme-widgets.co.uk", NOW)

        assert (company.tenant_id, company.domain, company.name) == (
            "demo",
            "acme-widgets.co.uk",
            "Acme Widgets",
        )
        assert company.default_deal_name == "Acme Widgets - new business"


def S(
    stage: DealStage, count: int, total: str, avg: float | None, weighted: str = "0.00"
) -> StageSummary:
    return StageSummary(stage, count, Decimal(total), avg, Decimal(weighted))


class TestPipelineSummary:
    def test_empty(self) -> None:
        summary = pipeline_summary([])

        assert summary == PipelineSummary(
            stages=[S(stage, 0, "0.00", None) for stage in OPEN_STAGES],
            count=0,
            total_value=Decimal("0.00"),
            weighted_value=Decimal("0.00"),
        )

    def test_per_stage_and_totals(self) -> None:
        rows = [
            (DealStage.BOOKED, Decimal("1000.00"), 10),
            (DealStage.BOOKED, None, 10),
            (DealStage.BOOKED, Decimal("500.00"), 15),  # tenant probability
            (DealStage.PROPOSAL, Decimal("2000.00"), 40),
            (DealStage.NEGOTIATION, Decimal("10000.00"), 60),
            (DealStage.NEGOTIATION, Decimal("333.33"), 60),
        ]

        summary = pipeline_summary(rows)

        assert summary.stages == [
            S(DealStage.BOOKED, 3, "1500.00", 11.67, "175.00"),
            S(DealStage.MET, 0, "0.00", None),
            S(DealStage.QUALIFICATION, 0, "0.00", None),
            S(DealStage.PROPOSAL, 1, "2000.00", 40, "800.00"),
            S(DealStage.NEGOTIATION, 2, "10333.33", 60, "6200.00"),
            S(DealStage.VERBAL_COMMIT, 0, "0.00", None),
            S(DealStage.CONTRACT_SENT, 0, "0.00", None),
        ]
        assert summary.count == 6
        assert summary.total_value == Decimal("13833.33")
        # 100 + 0 + 75 + 800 + 6000 + 199.998
        assert summary.weighted_value == Decimal("7175.00")

    def test_weighted_value_rounds_the_sum_not_each_deal(self) -> None:
        rows = [(DealStage.MET, Decimal("0.03"), 15)] * 3  # 0.0045 each

        summary = pipeline_summary(rows)

        assert summary.weighted_value == Decimal("0.01")  # 0.0135
        assert summary.total_value == Decimal("0.09")

    def test_one_deal(self) -> None:
        summary = pipeline_summary([(DealStage.CONTRACT_SENT, Decimal("999.99"), 90)])

        assert summary.stages[-1] == S(DealStage.CONTRACT_SENT, 1, "999.99", 90, "899.99")
        assert (summary.count, summary.total_value, summary.weighted_value) == (
            1,
            Decimal("999.99"),
            Decimal("899.99"),
        )

    def test_accepts_any_iterable(self) -> None:
        summary = pipeline_summary(iter([(DealStage.MET, Decimal("10"), 15)]))

        assert (summary.count, summary.weighted_value) == (1, Decimal("1.50"))


def L(
    reason: LostReason, count: int, value: str, days: float | None, stage: DealStage | None
) -> LostReasonSummary:
    return LostReasonSummary(reason, count, Decimal(value), days, stage)


class TestLostAnalysis:
    def test_empty(self) -> None:
        assert lost_analysis([]) == []

    def test_per_reason(self) -> None:
        rows = [
            (LostReason.PRICE_TOO_HIGH, Decimal("1000.00"), 10, DealStage.PROPOSAL),
            (LostReason.PRICE_TOO_HIGH, Decimal("2500.50"), 21, DealStage.NEGOTIATION),
            (LostReason.PRICE_TOO_HIGH, None, 5, DealStage.PROPOSAL),
            (LostReason.WENT_SILENT, Decimal("300.00"), None, DealStage.MET),
            (LostReason.WENT_SILENT, None, 4, None),
            (LostReason.BAD_FIT, Decimal("50.00"), 0, DealStage.BOOKED),
        ]

        result = lost_analysis(rows)

        assert result == [
            L(LostReason.PRICE_TOO_HIGH, 3, "3500.50", 12.0, DealStage.PROPOSAL),
            L(LostReason.WENT_SILENT, 2, "300.00", 4.0, DealStage.MET),
            L(LostReason.BAD_FIT, 1, "50.00", 0.0, DealStage.BOOKED),
        ]

    def test_average_days_rounded_to_one_decimal(self) -> None:
        rows = [(LostReason.NO_BUDGET, None, d, DealStage.MET) for d in (1, 2, 2)]

        [summary] = lost_analysis(rows)

        assert summary.average_days_in_pipeline == 1.7
        assert summary.lost_value == Decimal("0.00")

    def test_no_known_days_or_stage(self) -> None:
        [summary] = lost_analysis([(LostReason.OTHER, Decimal("10"), None, None)])

        assert summary == L(LostReason.OTHER, 1, "10", None, None)

    def test_stage_tie_goes_to_the_earlier_stage(self) -> None:
        rows = [
            (LostReason.CHOSE_COMPETITOR, None, 1, DealStage.NEGOTIATION),
            (LostReason.CHOSE_COMPETITOR, None, 1, DealStage.QUALIFICATION),
            (LostReason.CHOSE_COMPETITOR, None, 1, DealStage.NEGOTIATION),
            (LostReason.CHOSE_COMPETITOR, None, 1, DealStage.QUALIFICATION),
            (LostReason.CHOSE_COMPETITOR, None, 1, DealStage.CONTRACT_SENT),
        ]

        [summary] = lost_analysis(rows)

        assert summary.most_lost_at_stage is DealStage.QUALIFICATION

    def test_most_frequent_stage_beats_an_earlier_one(self) -> None:
        rows = [
            (LostReason.TIMING_NOT_RIGHT, None, 1, DealStage.BOOKED),
            (LostReason.TIMING_NOT_RIGHT, None, 1, DealStage.VERBAL_COMMIT),
            (LostReason.TIMING_NOT_RIGHT, None, 1, DealStage.VERBAL_COMMIT),
        ]

        [summary] = lost_analysis(rows)

        assert summary.most_lost_at_stage is DealStage.VERBAL_COMMIT

    def test_reasons_ordered_by_count_then_name(self) -> None:
        rows = [
            (LostReason.WENT_SILENT, None, None, None),
            (LostReason.BAD_FIT, None, None, None),
            (LostReason.NO_BUDGET, None, None, None),
            (LostReason.NO_BUDGET, None, None, None),
            (LostReason.CHAMPION_LEFT, None, None, None),
        ]

        result = lost_analysis(rows)

        assert [(s.reason, s.count) for s in result] == [
            (LostReason.NO_BUDGET, 2),
            (LostReason.BAD_FIT, 1),
            (LostReason.CHAMPION_LEFT, 1),
            (LostReason.WENT_SILENT, 1),
        ]
