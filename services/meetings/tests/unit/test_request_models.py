"""Property-style fuzz of every request model: odd values anywhere in a valid body are refused
(a 422) or accepted as something the database can hold (issue 8)."""

from typing import Any

import pytest

from dealflow_libs.testing.odd_input import fuzz_model, request_models
from meetings.main import app

VALID: dict[str, dict[str, Any]] = {
    "POST /v1/meetings": {
        "title": "Intro call with Acme",
        "scheduled_at": "2030-01-01T10:00:00+01:00",
        "duration_minutes": 45,
        "attendee_email": "ceo@acme.com",
        "attendee_name": "Pat",
        "organizer_email": "rep@us.com",
        "organizer_name": "Rep",
        "meeting_type": "demo",
        "meeting_url": "https://meet.example/x",
        "location": "Online",
        "time_zone": "Europe/Berlin",
        "booked_by": "rep@us.com",
        "notes": "Met at the fair",
        "tracking": {"utm_source": "ads", "extra": {"gclid": "g"}},
    },
    "POST /v1/meetings/{meeting_id}/attendance": {
        "showed_up": False,
        "confirmed_by": "rep@us.com",
        "no_show_reason": "ill",
    },
    "POST /v1/meetings/{meeting_id}/outcome": {
        "outcome": "good",
        "notes": "n",
        "next_steps": "s",
        "create_deal": True,
        "deal_value": "1000.00",
        "deal_name": "Acme",
    },
    "PUT /v1/settings": {
        "reminder_offsets_minutes": [1440, 60],
        "meeting_type_rules": [{"match": "demo", "type": "demo"}],
    },
}
MODELS = request_models(app)


def test_every_request_model_is_fuzzed() -> None:
    assert set(MODELS) == set(VALID), "add a valid body for each new request model"


@pytest.mark.parametrize("route", sorted(VALID))
def test_odd_values_are_refused_or_storable(route: str) -> None:
    refused = fuzz_model(MODELS[route], VALID[route], seed=route, rounds=300)
    assert refused > 0  # the generator does reach the bounds
