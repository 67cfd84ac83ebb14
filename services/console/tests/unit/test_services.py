"""How the console reads a service's refusal: its status, message, code and whole answer."""

import httpx

from console.services import _refusal


def test_a_refusal_keeps_the_services_code_message_and_details() -> None:
    body = {
        "error": "missing_rate",
        "message": "no rate for USD->EUR on 2026-12-01",
        "missing": [{"base": "USD", "quote": "EUR", "date": "2026-12-01"}],
    }
    refused = _refusal("attribution", httpx.Response(422, json=body))

    assert (refused.service, refused.status, refused.code) == ("attribution", 422, "missing_rate")
    assert refused.message == "no rate for USD->EUR on 2026-12-01"
    assert refused.body["missing"] == body["missing"]


def test_an_answer_that_is_not_a_json_object_is_named_by_its_status() -> None:
    for response in (
        httpx.Response(502, text="<html>bad gateway</html>"),
        httpx.Response(500, json=[1]),
    ):
        refused = _refusal("deals", response)
        assert (refused.message, refused.code, dict(refused.body)) == (
            f"HTTP {response.status_code}",
            None,
            {},
        )
