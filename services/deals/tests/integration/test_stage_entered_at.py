"""Days in stage through the API: `stage_entered_at` is the time of the deal's latest stage or
status change (its last history row), in the list, the detail and the events."""

from datetime import datetime

import orjson

from dealflow_libs.testing.kafka import TopicProbe, header

from .test_commands import new_deal


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


async def test_moves_closing_and_reopening_restart_it_and_edits_do_not(
    client, tenant, publish, deal_events: TopicProbe
) -> None:
    deal = await new_deal(client, tenant, publish)
    path = f"/v1/deals/{deal['deal_id']}"
    assert at(deal["stage_entered_at"]) == at(deal["created_at"])

    moved = await client.post(f"{path}/stage", json={"stage": "proposal"}, headers=tenant.auth)
    assert moved.status_code == 200, moved.text
    edited = await client.patch(path, json={"value": "900.00"}, headers=tenant.auth)
    assert edited.status_code == 200, edited.text
    lost = await client.post(f"{path}/lost", json={"reason": "no_budget"}, headers=tenant.auth)
    reopened = await client.post(f"{path}/reopen", json={}, headers=tenant.auth)
    assert (lost.status_code, reopened.status_code) == (200, 200)

    history = (await client.get(f"{path}/history", headers=tenant.auth)).json()
    assert [h["kind"] for h in history] == ["created", "stage_changed", "lost", "reopened"]
    entered = [at(h["changed_at"]) for h in history]
    assert at(moved.json()["stage_entered_at"]) == entered[1] > at(deal["created_at"])
    assert at(edited.json()["stage_entered_at"]) == entered[1]
    assert at(edited.json()["updated_at"]) > entered[1]
    assert at(lost.json()["stage_entered_at"]) == entered[2]
    assert at(reopened.json()["stage_entered_at"]) == entered[3]

    detail = (await client.get(path, headers=tenant.auth)).json()
    listed = (
        await client.get(
            "/v1/deals", params={"company_domain": deal["company"]["domain"]}, headers=tenant.auth
        )
    ).json()["items"]
    assert at(detail["stage_entered_at"]) == at(listed[0]["stage_entered_at"]) == entered[3]

    records = await deal_events.wait_for(
        lambda r: header(r, "ce_subject") == deal["deal_id"], count=5
    )
    snapshots = [orjson.loads(r.value)["deal"] for r in records]
    assert [at(s["stage_entered_at"]) for s in snapshots] == [
        entered[0],
        entered[1],
        entered[1],  # the value edit
        entered[2],
        entered[3],
    ]
