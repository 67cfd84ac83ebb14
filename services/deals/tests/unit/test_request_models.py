"""Property-style fuzz of every request model: odd values anywhere in a valid body are refused
(a 422) or accepted as something the database can hold (issue 8)."""

from typing import Any

import pytest

from dealflow_libs.testing.odd_input import fuzz_model, request_models
from deals.main import app

VALID: dict[str, dict[str, Any]] = {
    "PATCH /v1/deals/{deal_id}": {
        "name": "Big one",
        "value": "12000.50",
        "currency": "GBP",
        "expected_close_date": "2027-03-31",
        "owner": "ana@us.com",
        "changed_by": "rep@us.com",
    },
    "POST /v1/deals/{deal_id}/stage": {"stage": "met", "reason": "call", "changed_by": "rep"},
    "POST /v1/deals/{deal_id}/won": {"value": "999.99", "changed_by": "rep"},
    "POST /v1/deals/{deal_id}/lost": {"reason": "other", "notes": "n", "changed_by": "rep"},
    "POST /v1/deals/{deal_id}/reopen": {"stage": "met", "reason": "back", "changed_by": "rep"},
    "POST /v1/sync/{crm}": {
        "external_deal_id": "hs-1",
        "stage": "appointmentscheduled",
        "value": "10.005",
        "contact_email": "ceo@acme.com",
        "deal_name": "Acme",
    },
    "PUT /v1/settings": {
        "policy": "on_booking",
        "stage_probabilities": {"met": 30},
        "crm_stage_mappings": {"hubspot": {"won": "closed_won"}},
    },
}
MODELS = request_models(app)


def test_every_request_model_is_fuzzed() -> None:
    assert set(MODELS) == set(VALID), "add a valid body for each new request model"


@pytest.mark.parametrize("route", sorted(VALID))
def test_odd_values_are_refused_or_storable(route: str) -> None:
    refused = fuzz_model(MODELS[route], VALID[route], seed=route, rounds=300)
    assert refused > 0  # the generator does reach the bounds
