"""HubSpotBatches: answers matched to inputs by trace id or key, never by position."""

import asyncio
import json
from typing import Any

import httpx
import pytest

from crm_push.providers.hubspot_batches import HubSpotBatches
from crm_push.providers.transport import FailureKind, ProviderError, ProviderHttp, StaticAuth


def batches(answer: dict[str, Any], seen: list[Any]) -> HubSpotBatches:
    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(json.loads(request.content))
        return httpx.Response(207 if answer.get("errors") else 201, json=answer)

    client = httpx.AsyncClient(transport=httpx.MockTransport(handle))
    http = ProviderHttp(client=client, base_url="https://api.hubapi.com", auth=StaticAuth({}))
    return HubSpotBatches(http, window=0.05)


def meeting(marker: str) -> dict[str, Any]:
    return {"properties": {"dealflow_id": marker}, "associations": []}


async def outcome(call: Any) -> Any:
    try:
        return await call
    except ProviderError as error:
        return error


async def test_results_out_of_order_errors_by_trace_id_and_the_unanswered() -> None:
    answer = {
        "status": "COMPLETE",
        "results": [
            {"id": "902", "properties": {}, "objectWriteTraceId": "dealflow:meeting:b"},
            {"id": "901", "properties": {"dealflow_id": "dealflow:meeting:A"}},
        ],
        "errors": [
            {
                "message": "Property values were not valid",
                "objectWriteTraceId": "dealflow:meeting:c",
            }
        ],
    }
    seen: list[Any] = []
    hubspot = batches(answer, seen)
    a, b, c, d = await asyncio.gather(
        *(
            outcome(hubspot.create_meeting(meeting(f"dealflow:meeting:{m}")))
            for m in ("A", "b", "c", "d")
        )
    )
    [sent] = seen
    assert [i["objectWriteTraceId"] for i in sent["inputs"]] == [
        "dealflow:meeting:a",
        "dealflow:meeting:b",
        "dealflow:meeting:c",
        "dealflow:meeting:d",
    ]
    assert (a, b) == ("901", "902")
    assert isinstance(c, ProviderError)
    assert c.kind is FailureKind.REJECTED
    assert "not valid" in c.message
    # No result and no error: it may exist, so the push retries and looks before creating.
    assert isinstance(d, ProviderError)
    assert (d.kind, d.uncertain, d.retryable) == (FailureKind.UNAVAILABLE, True, True)


@pytest.mark.parametrize("domain", ["Acme.COM ", "acme.com"])
async def test_a_company_is_found_whatever_the_case_of_its_domain(domain: str) -> None:
    answer = {"total": 1, "results": [{"id": "2001", "properties": {"domain": "acme.com"}}]}
    seen: list[Any] = []
    assert await batches(answer, seen).company_by_domain(domain) == "2001"
    assert seen[0]["filterGroups"][0]["filters"][0]["values"] == ["acme.com"]
