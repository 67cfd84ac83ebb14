"""The HubSpot emulator answers crm_apis.md §1's documented examples as documented."""

import re
from typing import Any

import httpx

CONTACTS = "/crm/v3/objects/contacts"
COMPANIES = "/crm/v3/objects/companies"
DEALS = "/crm/v3/objects/deals"
MEETINGS = "/crm/v3/objects/meetings"
STAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
# §1.3a, as Cal.com sends it.
SEARCH_BY_EMAIL = {
    "filterGroups": [
        {"filters": [{"propertyName": "email", "operator": "EQ", "value": "jane@acme.com"}]}
    ],
    "sorts": ["hs_object_id"],
    "properties": ["hs_object_id", "email"],
    "limit": 10,
    "after": 0,
}
JANE = {"properties": {"email": "jane@acme.com", "firstname": "Jane", "lastname": "Doe"}}


async def _contact(hs: httpx.AsyncClient, email: str = "jane@acme.com", **extra: Any) -> str:
    answer = await hs.post(CONTACTS, json={"properties": {"email": email, **extra}})
    assert answer.status_code == 201, answer.text
    contact_id: str = answer.json()["id"]
    return contact_id


async def _deal(hs: httpx.AsyncClient, contact_id: str, **properties: Any) -> dict[str, Any]:
    body = {
        "properties": {"dealname": "Intro call - Jane Doe", "pipeline": "default",
                       "dealstage": "appointmentscheduled", "amount": "1500",
                       "closedate": "2025-02-01T00:00:00.000Z", "hubspot_owner_id": "123456",
                       **properties},
        "associations": [{"to": {"id": contact_id}, "types": [
            {"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 3}]}],
    }  # fmt: skip
    answer = await hs.post(DEALS, json=body)
    assert answer.status_code == 201, answer.text
    deal: dict[str, Any] = answer.json()
    return deal


def _assert_object_shape(record: dict[str, Any]) -> None:
    assert isinstance(record["id"], str)
    assert record["id"].isdigit()
    assert STAMP.match(record["createdAt"])
    assert STAMP.match(record["updatedAt"])
    assert record["archived"] is False
    assert all(v is None or isinstance(v, str) for v in record["properties"].values())


# -- a) search ---------------------------------------------------------------------------------


async def test_search_by_email_finds_nothing_then_the_contact(hs: httpx.AsyncClient) -> None:
    before = await hs.post(f"{CONTACTS}/search", json=SEARCH_BY_EMAIL)
    contact_id = await _contact(hs)
    await _contact(hs, "other@acme.com")
    after = await hs.post(f"{CONTACTS}/search", json=SEARCH_BY_EMAIL)

    assert before.status_code == 200
    assert before.json() == {"total": 0, "results": []}
    body = after.json()
    assert body["total"] == 1
    assert "paging" not in body
    (found,) = body["results"]
    _assert_object_shape(found)
    assert found["id"] == contact_id
    assert found["properties"]["email"] == "jane@acme.com"
    assert found["properties"]["hs_object_id"] == contact_id
    assert STAMP.match(found["properties"]["createdate"])


async def test_search_ors_filter_groups_and_pages_with_after(hs: httpx.AsyncClient) -> None:
    for email in ("a@acme.com", "b@acme.com", "c@acme.com"):
        await _contact(hs, email)
    groups = [
        {"filters": [{"propertyName": "email", "operator": "EQ", "value": email}]}
        for email in ("a@acme.com", "c@acme.com")
    ]

    first = (await hs.post(f"{CONTACTS}/search", json={"filterGroups": groups, "limit": 1})).json()
    second = (
        await hs.post(
            f"{CONTACTS}/search",
            json={"filterGroups": groups, "limit": 1, "after": first["paging"]["next"]["after"]},
        )
    ).json()

    assert first["total"] == 2
    assert first["paging"]["next"]["after"] == "1"
    assert [r["properties"]["email"] for r in first["results"] + second["results"]] == [
        "a@acme.com",
        "c@acme.com",
    ]
    assert "paging" not in second
    # Default properties when none are named (§1.3a).
    assert set(first["results"][0]["properties"]) == {
        "createdate", "email", "firstname", "hs_object_id", "lastmodifieddate", "lastname",
    }  # fmt: skip


async def test_search_sorts_as_strings_or_objects(hs: httpx.AsyncClient) -> None:
    for email in ("a@acme.com", "b@acme.com"):
        await _contact(hs, email)

    by_string = await hs.post(f"{CONTACTS}/search", json={"sorts": ["-hs_object_id"]})
    by_object = await hs.post(
        f"{CONTACTS}/search",
        json={"sorts": [{"propertyName": "email", "direction": "DESCENDING"}]},
    )

    for answer in (by_string, by_object):
        assert [r["properties"]["email"] for r in answer.json()["results"]] == [
            "b@acme.com",
            "a@acme.com",
        ]


async def test_search_refuses_too_many_filter_groups(hs: httpx.AsyncClient) -> None:
    group = {"filters": [{"propertyName": "email", "operator": "HAS_PROPERTY"}]}

    answer = await hs.post(f"{CONTACTS}/search", json={"filterGroups": [group] * 6})

    assert answer.status_code == 400
    assert answer.json()["category"] == "VALIDATION_ERROR"


async def test_search_lag_hides_new_contacts_from_search_only(
    hs: httpx.AsyncClient, control: httpx.AsyncClient
) -> None:
    await control.patch("/config", json={"search_lag_seconds": 30})
    contact_id = await _contact(hs)

    searched = await hs.post(f"{CONTACTS}/search", json=SEARCH_BY_EMAIL)
    by_email = await hs.get(f"{CONTACTS}/jane@acme.com", params={"idProperty": "email"})
    again = await hs.post(CONTACTS, json=JANE)

    assert searched.json()["total"] == 0
    assert by_email.json()["id"] == contact_id
    assert again.status_code == 409


# -- b) create, get, update contacts -----------------------------------------------------------


async def test_create_contact_and_409_on_the_same_email(hs: httpx.AsyncClient) -> None:
    created = await hs.post(CONTACTS, json=JANE)
    duplicate = await hs.post(
        CONTACTS, json={"properties": {"email": "JANE@acme.com", "firstname": "J"}}
    )

    assert created.status_code == 201
    body = created.json()
    _assert_object_shape(body)
    assert {
        "email",
        "firstname",
        "lastname",
        "hs_object_id",
        "createdate",
        "lastmodifieddate",
    } <= set(body["properties"])
    assert body["properties"]["firstname"] == "Jane"
    assert duplicate.status_code == 409
    error = duplicate.json()
    assert set(error) == {"status", "message", "correlationId", "category"}
    assert error["status"] == "error"
    assert error["category"] == "CONFLICT"
    assert error["message"] == f"Contact already exists. Existing ID: {body['id']}"


async def test_get_contact_by_id_or_email_and_404(hs: httpx.AsyncClient) -> None:
    contact_id = await _contact(hs, firstname="Jane")

    by_id = await hs.get(f"{CONTACTS}/{contact_id}", params={"properties": "firstname"})
    by_email = await hs.get(f"{CONTACTS}/Jane@Acme.com", params={"idProperty": "email"})
    missing = await hs.get(f"{CONTACTS}/nobody@acme.com", params={"idProperty": "email"})

    assert by_id.json()["properties"]["firstname"] == "Jane"
    assert by_email.json()["id"] == contact_id
    assert missing.status_code == 404
    assert missing.json()["message"] == "resource not found"
    assert missing.json()["status"] == "error"


async def test_patch_overwrites_and_empty_string_clears(hs: httpx.AsyncClient) -> None:
    contact_id = await _contact(hs, firstname="Jane", phone="123")

    patched = await hs.patch(
        f"{CONTACTS}/{contact_id}", json={"properties": {"firstname": "Janet", "phone": ""}}
    )

    assert patched.status_code == 200
    assert patched.json()["properties"]["firstname"] == "Janet"
    assert patched.json()["properties"]["phone"] == ""


async def test_list_pages_with_limit_and_after(hs: httpx.AsyncClient) -> None:
    for n in range(3):
        await _contact(hs, f"p{n}@acme.com")

    first = (await hs.get(CONTACTS, params={"limit": 2})).json()
    last = (
        await hs.get(CONTACTS, params={"limit": 2, "after": first["paging"]["next"]["after"]})
    ).json()

    assert len(first["results"]) == 2
    assert first["paging"]["next"]["link"].startswith("http")
    assert len(last["results"]) == 1
    assert "paging" not in last


# -- c) d) deals ---------------------------------------------------------------------------


async def test_create_deal_with_inline_contact_association(hs: httpx.AsyncClient) -> None:
    contact_id = await _contact(hs)

    deal = await _deal(hs, contact_id, amount=1500)
    read = await hs.get(f"{DEALS}/{deal['id']}", params={"associations": "contacts"})
    from_contact = await hs.get(f"/crm/v4/objects/contacts/{contact_id}/associations/deals")

    _assert_object_shape(deal)
    assert deal["properties"]["amount"] == "1500"
    assert deal["properties"]["closedate"] == "2025-02-01T00:00:00.000Z"
    assert read.json()["associations"]["contacts"]["results"] == [
        {"id": contact_id, "type": "deal_to_contact"}
    ]
    (link,) = from_contact.json()["results"]
    assert link["toObjectId"] == int(deal["id"])
    assert link["associationTypes"][0]["typeId"] == 4


async def test_deal_association_to_a_missing_contact_is_refused(hs: httpx.AsyncClient) -> None:
    answer = await hs.post(
        DEALS,
        json={"properties": {"dealname": "x"},
              "associations": [{"to": {"id": "999999"}, "types": [
                  {"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 3}]}]},
    )  # fmt: skip

    assert answer.status_code == 400
    assert answer.json()["category"] == "VALIDATION_ERROR"


async def test_deal_stage_moves_and_is_validated_against_its_pipeline(
    hs: httpx.AsyncClient, control: httpx.AsyncClient
) -> None:
    deal = await _deal(hs, await _contact(hs))
    custom = await control.post(
        "/seed/pipelines",
        json=[{"id": "777", "label": "Partners", "stages": [{"id": "7771", "label": "Intro"}]}],
    )

    won = await hs.patch(f"{DEALS}/{deal['id']}", json={"properties": {"dealstage": "closedwon"}})
    bogus = await hs.patch(f"{DEALS}/{deal['id']}", json={"properties": {"dealstage": "nope"}})
    other_pipeline = await hs.patch(
        f"{DEALS}/{deal['id']}", json={"properties": {"dealstage": "7771"}}
    )
    moved = await hs.patch(
        f"{DEALS}/{deal['id']}", json={"properties": {"pipeline": "777", "dealstage": "7771"}}
    )

    assert custom.status_code == 201
    assert won.status_code == 200
    assert won.json()["properties"]["dealstage"] == "closedwon"
    assert won.json()["properties"]["hs_is_closed_won"] == "true"
    for refused in (bogus, other_pipeline):
        assert refused.status_code == 400
        assert refused.json()["category"] == "VALIDATION_ERROR"
    assert moved.status_code == 200
    assert moved.json()["properties"]["hs_is_closed_won"] == "false"


# -- e) associations -------------------------------------------------------------------------


async def test_v4_default_and_labelled_associations(hs: httpx.AsyncClient) -> None:
    contact_id = await _contact(hs)
    deal_id = (await _deal(hs, await _contact(hs, "other@acme.com")))["id"]

    default = await hs.put(
        f"/crm/v4/objects/deals/{deal_id}/associations/default/contacts/{contact_id}"
    )
    labelled = await hs.put(
        f"/crm/v4/objects/deals/{deal_id}/associations/contacts/{contact_id}",
        json=[{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 3}],
    )
    missing = await hs.put(f"/crm/v4/objects/deals/{deal_id}/associations/default/contacts/999")

    assert default.status_code == 200
    body = default.json()
    assert body["status"] == "COMPLETE"
    assert body["results"][0] == {
        "from": {"id": deal_id},
        "to": {"id": contact_id},
        "associationSpec": {"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 3},
    }
    assert STAMP.match(body["startedAt"])
    assert STAMP.match(body["completedAt"])
    assert labelled.status_code == 201
    assert labelled.json() == {
        "fromObjectTypeId": "0-3",
        "fromObjectId": int(deal_id),
        "toObjectTypeId": "0-1",
        "toObjectId": int(contact_id),
        "labels": [],
    }
    assert missing.status_code == 404


# -- f) g) pipelines and owners -----------------------------------------------------------------


async def test_default_pipeline_has_the_seven_standard_stages(hs: httpx.AsyncClient) -> None:
    answer = await hs.get("/crm/v3/pipelines/deals")

    (pipeline,) = answer.json()["results"]
    assert set(answer.json()) == {"results"}
    assert pipeline["id"] == "default"
    assert [s["id"] for s in pipeline["stages"]] == [
        "appointmentscheduled", "qualifiedtobuy", "presentationscheduled",
        "decisionmakerboughtin", "contractsent", "closedwon", "closedlost",
    ]  # fmt: skip
    won = pipeline["stages"][5]
    assert won["metadata"] == {"probability": "1.0", "isClosed": "true"}
    assert isinstance(won["displayOrder"], int)
    stages = await hs.get("/crm/v3/pipelines/deals/default/stages")
    assert len(stages.json()["results"]) == 7


async def test_owners_with_and_without_slash_and_by_email(
    hs: httpx.AsyncClient, control: httpx.AsyncClient
) -> None:
    await control.post(
        "/seed/owners", json=[{"email": "host@acme.com", "firstName": "Hal", "lastName": "Host"}]
    )

    slash = await hs.get("/crm/v3/owners/")
    bare = await hs.get("/crm/v3/owners")
    host = await hs.get("/crm/v3/owners/", params={"email": "host@acme.com"})

    assert slash.json() == bare.json()
    assert len(slash.json()["results"]) == 3
    (owner,) = host.json()["results"]
    assert owner["firstName"] == "Hal"
    assert isinstance(owner["id"], str)
    assert isinstance(owner["userId"], int)
    assert owner["type"] == "PERSON"


# -- h) meetings -------------------------------------------------------------------------------


async def test_meeting_create_reschedule_and_delete(hs: httpx.AsyncClient) -> None:
    contact_id = await _contact(hs)
    created = await hs.post(
        MEETINGS,
        json={"properties": {
                "hs_timestamp": "1705312800000", "hs_meeting_title": "Intro call",
                "hs_meeting_body": "<b>Invitee time zone:</b> ...",
                "hs_meeting_location": "https://meet.example/abc",
                "hs_meeting_start_time": "2024-01-20T14:00:00.000Z",
                "hs_meeting_end_time": "2024-01-20T15:00:00.000Z",
                "hs_meeting_outcome": "SCHEDULED", "hubspot_owner_id": "123456"},
              "associations": [{"to": {"id": contact_id}, "types": [
                  {"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 200}]}]},
    )  # fmt: skip
    meeting_id = created.json()["id"]

    moved = await hs.patch(
        f"{MEETINGS}/{meeting_id}",
        json={"properties": {"hs_meeting_start_time": "2024-01-21T14:00:00.000Z",
                             "hs_meeting_outcome": "RESCHEDULED"}},
    )  # fmt: skip
    bad_outcome = await hs.patch(
        f"{MEETINGS}/{meeting_id}", json={"properties": {"hs_meeting_outcome": "MAYBE"}}
    )
    read = await hs.get(
        f"{MEETINGS}/{meeting_id}",
        params={"properties": "hs_meeting_outcome,hs_timestamp", "associations": "contacts"},
    )
    deleted = await hs.delete(f"{MEETINGS}/{meeting_id}")
    gone = await hs.get(f"{MEETINGS}/{meeting_id}")

    assert created.status_code == 201
    _assert_object_shape(created.json())
    assert created.json()["properties"]["hs_timestamp"] == "2024-01-15T10:00:00.000Z"
    assert moved.json()["properties"]["hs_meeting_outcome"] == "RESCHEDULED"
    assert bad_outcome.status_code == 400
    assert read.json()["properties"]["hs_meeting_outcome"] == "RESCHEDULED"
    assert read.json()["associations"]["contacts"]["results"][0]["id"] == contact_id
    assert deleted.status_code == 204
    assert deleted.content == b""
    assert gone.status_code == 404


async def test_meeting_needs_a_timestamp_or_a_start(hs: httpx.AsyncClient) -> None:
    answer = await hs.post(MEETINGS, json={"properties": {"hs_meeting_title": "x"}})

    assert answer.status_code == 400
    assert answer.json()["category"] == "VALIDATION_ERROR"


async def test_v3_batch_association_with_a_label(hs: httpx.AsyncClient) -> None:
    contact_id = await _contact(hs)
    meeting = await hs.post(MEETINGS, json={"properties": {"hs_timestamp": "1705312800000"}})
    meeting_id = meeting.json()["id"]

    answer = await hs.post(
        "/crm/v3/associations/meetings/contacts/batch/create",
        json={"inputs": [{"from": {"id": meeting_id}, "to": {"id": contact_id},
                          "type": "meeting_event_to_contact"}]},
    )  # fmt: skip
    partial = await hs.post(
        "/crm/v3/associations/meetings/contacts/batch/create",
        json={"inputs": [{"from": {"id": meeting_id}, "to": {"id": "999"},
                          "type": "meeting_event_to_contact"}]},
    )  # fmt: skip
    linked = await hs.get(f"/crm/v4/objects/meetings/{meeting_id}/associations/contacts")

    assert answer.status_code == 201
    assert answer.json()["status"] == "COMPLETE"
    assert partial.status_code == 207
    assert partial.json()["numErrors"] == 1
    assert linked.json()["results"][0]["associationTypes"][0]["typeId"] == 200


# -- §1.5 rate limits and faults in HubSpot's shape ---------------------------------------------


async def test_every_crm_answer_carries_the_rate_limit_headers(hs: httpx.AsyncClient) -> None:
    first = await hs.get(CONTACTS)
    second = await hs.get(CONTACTS)

    assert first.headers["X-HubSpot-RateLimit-Max"] == "190"
    assert first.headers["X-HubSpot-RateLimit-Interval-Milliseconds"] == "10000"
    assert int(second.headers["X-HubSpot-RateLimit-Remaining"]) == (
        int(first.headers["X-HubSpot-RateLimit-Remaining"]) - 1
    )


async def test_the_limiter_answers_429_when_the_window_is_spent(
    hs: httpx.AsyncClient, control: httpx.AsyncClient
) -> None:
    await control.patch("/config", json={"rate_limit": 2})

    answers = [await hs.get(CONTACTS) for _ in range(3)]

    assert [a.status_code for a in answers] == [200, 200, 429]
    limited = answers[2]
    assert limited.headers["X-HubSpot-RateLimit-Remaining"] == "0"
    assert 1 <= int(limited.headers["Retry-After"]) <= 10
    assert limited.json()["policyName"] == "TEN_SECONDLY_ROLLING"


async def test_injected_429_has_hubspots_body_and_headers(
    hs: httpx.AsyncClient, control: httpx.AsyncClient
) -> None:
    await control.post("/faults", json={"kind": "rate_limit", "count": 2})

    burst = await hs.get(CONTACTS)
    search = await hs.post(f"{CONTACTS}/search", json=SEARCH_BY_EMAIL)
    after = await hs.get(CONTACTS)

    assert burst.status_code == 429
    body = burst.json()
    assert body["status"] == "error"
    assert body["message"] == "You have reached your ten_secondly_rolling limit."
    assert body["errorType"] == "RATE_LIMIT"
    assert body["policyName"] == "TEN_SECONDLY_ROLLING"
    assert body["correlationId"]
    assert burst.headers["X-HubSpot-RateLimit-Remaining"] == "0"
    assert burst.headers["X-HubSpot-RateLimit-Max"] == "190"
    assert "Retry-After" in burst.headers
    assert search.json()["message"] == "You have reached your secondly limit."
    assert after.status_code == 200


async def test_search_has_its_own_limit_when_configured(
    hs: httpx.AsyncClient, control: httpx.AsyncClient
) -> None:
    await control.patch("/config", json={"search_rate_per_second": 1})

    first = await hs.post(f"{CONTACTS}/search", json=SEARCH_BY_EMAIL)
    second = await hs.post(f"{CONTACTS}/search", json=SEARCH_BY_EMAIL)
    other = await hs.get(CONTACTS)

    assert [first.status_code, second.status_code, other.status_code] == [200, 429, 200]
    assert second.json()["message"] == "You have reached your secondly limit."


async def test_injected_server_error_is_hubspot_shaped(
    hs: httpx.AsyncClient, control: httpx.AsyncClient
) -> None:
    await control.post("/faults", json={"kind": "server_error", "count": 1, "status": 502})

    answer = await hs.get(CONTACTS)

    assert answer.status_code == 502
    assert answer.json()["status"] == "error"
    assert answer.json()["correlationId"]


async def test_search_by_email_still_applies_the_groups_other_filters(
    hs: httpx.AsyncClient,
) -> None:
    await _contact(hs, firstname="Jane")
    await _contact(hs, "john@acme.com", firstname="John")

    def group(email: str, firstname: str) -> dict[str, Any]:
        return {"filters": [
            {"propertyName": "email", "operator": "EQ", "value": email},
            {"propertyName": "firstname", "operator": "EQ", "value": firstname}]}  # fmt: skip

    mismatch = await hs.post(
        f"{CONTACTS}/search", json={"filterGroups": [group("jane@acme.com", "John")]}
    )
    mixed = await hs.post(
        f"{CONTACTS}/search",
        json={"filterGroups": [
            group("jane@acme.com", "Jane"),
            {"filters": [{"propertyName": "firstname", "operator": "EQ", "value": "John"}]}]},
    )  # fmt: skip

    assert mismatch.json()["total"] == 0
    assert mixed.json()["total"] == 2


async def test_an_archived_contact_frees_its_email(hs: httpx.AsyncClient) -> None:
    old_id = await _contact(hs)

    archived = await hs.delete(f"{CONTACTS}/{old_id}")
    new_id = await _contact(hs)
    by_email = await hs.get(f"{CONTACTS}/jane@acme.com", params={"idProperty": "email"})
    old = await hs.get(f"{CONTACTS}/{old_id}", params={"archived": "true"})

    assert archived.status_code == 204
    assert new_id != old_id
    assert by_email.json()["id"] == new_id
    assert old.json()["archived"] is True


async def test_changing_a_contacts_email_moves_the_lookup(hs: httpx.AsyncClient) -> None:
    contact_id = await _contact(hs)
    taken_id = await _contact(hs, "taken@acme.com")

    moved = await hs.patch(
        f"{CONTACTS}/{contact_id}", json={"properties": {"email": "jane@newco.com"}}
    )
    clash = await hs.patch(
        f"{CONTACTS}/{contact_id}", json={"properties": {"email": "taken@acme.com"}}
    )
    old = await hs.get(f"{CONTACTS}/jane@acme.com", params={"idProperty": "email"})
    new = await hs.get(f"{CONTACTS}/jane@newco.com", params={"idProperty": "email"})
    reused = await hs.post(CONTACTS, json=JANE)

    assert moved.status_code == 200
    assert clash.status_code == 409
    assert clash.json()["message"] == f"Contact already exists. Existing ID: {taken_id}"
    assert old.status_code == 404
    assert new.json()["id"] == contact_id
    assert reused.status_code == 201


async def test_a_deleted_meeting_leaves_its_associations_on_both_sides(
    hs: httpx.AsyncClient,
) -> None:
    contact_id = await _contact(hs)
    kept = await hs.post(MEETINGS, json={"properties": {"hs_timestamp": "1705312800000"}})
    gone = await hs.post(MEETINGS, json={"properties": {"hs_timestamp": "1705312800000"}})
    for meeting in (kept, gone):
        await hs.put(
            f"/crm/v4/objects/meetings/{meeting.json()['id']}/associations/default/contacts/{contact_id}"
        )

    await hs.delete(f"{MEETINGS}/{gone.json()['id']}")
    from_contact = await hs.get(f"/crm/v4/objects/contacts/{contact_id}/associations/meetings")

    assert [r["toObjectId"] for r in from_contact.json()["results"]] == [int(kept.json()["id"])]
    assert from_contact.json()["results"][0]["associationTypes"][0]["typeId"] == 199


async def test_the_daily_quota_answers_429_daily(
    hs: httpx.AsyncClient, control: httpx.AsyncClient
) -> None:
    await control.patch("/config", json={"daily_limit": 2})

    answers = [await hs.get(CONTACTS) for _ in range(3)]

    assert [a.status_code for a in answers] == [200, 200, 429]
    assert answers[2].json()["policyName"] == "DAILY"
    assert answers[2].json()["errorType"] == "RATE_LIMIT"
    assert answers[2].headers["X-HubSpot-RateLimit-Daily"] == "2"
    assert answers[2].headers["X-HubSpot-RateLimit-Daily-Remaining"] == "0"


async def test_strict_properties_refuse_unknown_until_the_property_exists(
    hs: httpx.AsyncClient, control: httpx.AsyncClient
) -> None:
    lenient = await hs.post(CONTACTS, json={"properties": {"email": "a@acme.com", "utm_x": "1"}})
    await control.patch("/config", json={"strict_properties": True})
    body = {"properties": {"email": "jane@acme.com", "dealflow_utm_source": "google"}}

    refused = await hs.post(CONTACTS, json=body)
    read_only = await hs.post(CONTACTS, json={"properties": {"hs_object_id": "5"}})
    added = await hs.post(
        "/crm/v3/properties/contacts",
        json={"name": "dealflow_utm_source", "label": "UTM source", "type": "string",
              "fieldType": "text", "groupName": "contactinformation"},
    )  # fmt: skip
    again = await hs.post(
        "/crm/v3/properties/contacts", json={"name": "dealflow_utm_source", "label": "x"}
    )
    accepted = await hs.post(CONTACTS, json=body)
    listed = await hs.get("/crm/v3/properties/contacts")

    assert lenient.status_code == 201
    assert refused.status_code == 400
    assert refused.json()["category"] == "VALIDATION_ERROR"
    assert refused.json()["errors"][0]["code"] == "PROPERTY_DOESNT_EXIST"
    assert read_only.json()["errors"][0]["code"] == "READ_ONLY_VALUE"
    assert added.status_code == 201
    assert again.status_code == 409
    assert accepted.status_code == 201
    assert accepted.json()["properties"]["dealflow_utm_source"] == "google"
    names = {p["name"] for p in listed.json()["results"]}
    assert {"email", "dealflow_utm_source"} <= names


async def test_batch_upsert_updates_by_email_and_creates_the_rest(hs: httpx.AsyncClient) -> None:
    jane_id = await _contact(hs, firstname="Jane")

    answer = await hs.post(
        f"{CONTACTS}/batch/upsert",
        json={"inputs": [
            {"idProperty": "email", "id": "jane@acme.com", "properties": {"firstname": "Janet"}},
            {"idProperty": "email", "id": "new@acme.com", "properties": {"firstname": "Nia"}}]},
    )  # fmt: skip
    state = await hs.get(CONTACTS, params={"properties": "email,firstname"})

    assert answer.status_code == 200
    body = answer.json()
    assert body["status"] == "COMPLETE"
    by_email = {r["properties"]["email"]: r for r in body["results"]}
    assert by_email["jane@acme.com"]["id"] == jane_id
    assert by_email["jane@acme.com"]["new"] is False
    assert by_email["new@acme.com"]["new"] is True
    assert sorted(r["properties"]["firstname"] for r in state.json()["results"]) == ["Janet", "Nia"]


async def test_batch_upsert_is_all_or_nothing(hs: httpx.AsyncClient) -> None:
    jane_id = await _contact(hs, firstname="Jane")
    bob = await hs.post(
        CONTACTS, json={"properties": {"email": "bob@acme.com", "firstname": "Bob"}}
    )

    refused = await hs.post(
        f"{CONTACTS}/batch/upsert",
        json={"inputs": [
            {"idProperty": "email", "id": "new@acme.com", "properties": {"firstname": "Nia"}},
            {"idProperty": "email", "id": "jane@acme.com",
             "properties": {"firstname": "Janet", "email": "bob@acme.com"}}]},
    )  # fmt: skip
    state = await hs.get(CONTACTS, params={"properties": "email,firstname"})

    assert refused.status_code == 409
    assert sorted((r["id"], r["properties"]["firstname"]) for r in state.json()["results"]) == [
        (jane_id, "Jane"),
        (bob.json()["id"], "Bob"),
    ]


async def test_batch_read_by_id_or_email_reports_the_missing(hs: httpx.AsyncClient) -> None:
    jane_id = await _contact(hs)

    by_id = await hs.post(
        f"{CONTACTS}/batch/read", json={"inputs": [{"id": jane_id}], "properties": ["email"]}
    )
    by_email = await hs.post(
        f"{CONTACTS}/batch/read",
        json={
            "inputs": [{"id": "jane@acme.com"}, {"id": "nobody@acme.com"}],
            "idProperty": "email",
        },
    )

    assert by_id.status_code == 200
    assert by_id.json()["results"][0]["properties"]["email"] == "jane@acme.com"
    assert by_email.status_code == 207
    assert [r["id"] for r in by_email.json()["results"]] == [jane_id]
    assert by_email.json()["errors"][0]["context"] == {"ids": ["nobody@acme.com"]}


async def test_an_injected_429_can_ask_for_a_short_wait(
    hs: httpx.AsyncClient, control: httpx.AsyncClient
) -> None:
    await control.post("/faults", json={"kind": "rate_limit", "count": 2, "retry_after_ms": 0})
    await control.post("/faults", json={"kind": "rate_limit", "count": 1, "retry_after_ms": 1500})

    now, again, later = [await hs.get(CONTACTS) for _ in range(3)]

    assert [now.headers["Retry-After"], again.headers["Retry-After"]] == ["0", "0"]
    assert later.headers["Retry-After"] == "2"


# -- batches a client pushes many records with ----------------------------------------------


def _meeting_input(contact_id: str, title: str, **extra: Any) -> dict[str, Any]:
    return {
        "properties": {"hs_timestamp": "1705312800000", "hs_meeting_title": title},
        "associations": [{"to": {"id": contact_id}, "types": [
            {"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 200}]}],
        **extra,
    }  # fmt: skip


async def _company(hs: httpx.AsyncClient, domain: str) -> str:
    answer = await hs.post(COMPANIES, json={"properties": {"name": domain, "domain": domain}})
    assert answer.status_code == 201, answer.text
    company_id: str = answer.json()["id"]
    return company_id


async def test_batch_create_meetings_with_their_contact(hs: httpx.AsyncClient) -> None:
    contact_id = await _contact(hs)

    answer = await hs.post(
        f"{MEETINGS}/batch/create",
        json={"inputs": [_meeting_input(contact_id, "Intro", objectWriteTraceId="trace-1"),
                         _meeting_input(contact_id, "Follow-up")]},
    )  # fmt: skip
    linked = await hs.get(f"/crm/v4/objects/contacts/{contact_id}/associations/meetings")

    assert answer.status_code == 201, answer.text
    body = answer.json()
    assert set(body) == {"status", "results", "startedAt", "completedAt"}
    assert body["status"] == "COMPLETE"
    assert STAMP.match(body["startedAt"])
    intro, follow_up = body["results"]
    for meeting in (intro, follow_up):
        _assert_object_shape(meeting)
    assert intro["objectWriteTraceId"] == "trace-1"
    assert "objectWriteTraceId" not in follow_up
    assert intro["properties"]["hs_meeting_title"] == "Intro"
    assert intro["properties"]["hs_timestamp"] == "2024-01-15T10:00:00.000Z"
    assert [r["toObjectId"] for r in linked.json()["results"]] == [
        int(intro["id"]),
        int(follow_up["id"]),
    ]
    assert linked.json()["results"][0]["associationTypes"] == [
        {"category": "HUBSPOT_DEFINED", "typeId": 199, "label": None}
    ]


async def test_batch_create_writes_nothing_when_one_input_fails(hs: httpx.AsyncClient) -> None:
    jane_id = await _contact(hs)

    bad_link = await hs.post(
        f"{MEETINGS}/batch/create",
        json={"inputs": [_meeting_input(jane_id, "Intro"), _meeting_input("999999", "Lost")]},
    )
    taken = await hs.post(
        f"{CONTACTS}/batch/create",
        json={"inputs": [{"properties": {"email": "new@acme.com"}},
                         {"properties": {"email": "Jane@Acme.com"}}]},
    )  # fmt: skip
    twice = await hs.post(
        f"{CONTACTS}/batch/create",
        json={"inputs": [{"properties": {"email": "twin@acme.com"}},
                         {"properties": {"email": "TWIN@acme.com"}}]},
    )  # fmt: skip
    meetings = await hs.get(MEETINGS)
    contacts = await hs.get(CONTACTS)

    assert bad_link.status_code == 400
    assert bad_link.json()["category"] == "VALIDATION_ERROR"
    assert "999999" in bad_link.json()["message"]
    assert taken.status_code == 409
    assert taken.json()["category"] == "CONFLICT"
    assert taken.json()["message"] == f"Contact already exists. Existing ID: {jane_id}"
    assert twice.status_code == 400
    assert twice.json()["category"] == "VALIDATION_ERROR"
    assert meetings.json()["results"] == []
    assert [c["id"] for c in contacts.json()["results"]] == [jane_id]


async def test_batch_create_takes_1_to_100_inputs(hs: httpx.AsyncClient) -> None:
    inputs = [{"properties": {"name": f"Company {n}"}} for n in range(101)]

    too_many = await hs.post(f"{COMPANIES}/batch/create", json={"inputs": inputs})
    empty = await hs.post(f"{COMPANIES}/batch/create", json={"inputs": []})
    full = await hs.post(f"{COMPANIES}/batch/create", json={"inputs": inputs[:100]})

    for refused in (too_many, empty):
        assert refused.status_code == 400
        assert refused.json()["category"] == "VALIDATION_ERROR"
    assert full.status_code == 201
    assert len(full.json()["results"]) == 100


async def test_v4_batch_read_names_the_records_without_associations(
    hs: httpx.AsyncClient,
) -> None:
    with_company = await _contact(hs)
    without = await _contact(hs, "solo@acme.com")
    company_id = await _company(hs, "acme.com")
    await hs.put(
        f"/crm/v4/objects/contacts/{with_company}/associations/default/companies/{company_id}"
    )

    both = await hs.post(
        "/crm/v4/associations/contacts/companies/batch/read",
        json={"inputs": [{"id": with_company}, {"id": without}]},
    )
    found_only = await hs.post(
        "/crm/v4/associations/contact/company/batch/read", json={"inputs": [{"id": with_company}]}
    )

    assert both.status_code == 207
    body = both.json()
    assert body["results"] == [
        {
            "from": {"id": with_company},
            "to": [{"toObjectId": int(company_id), "associationTypes": [
                {"category": "HUBSPOT_DEFINED", "typeId": 279, "label": None}]}],
        }
    ]  # fmt: skip
    assert body["numErrors"] == 1
    (error,) = body["errors"]
    assert error["category"] == "OBJECT_NOT_FOUND"
    assert error["message"] == f"No company is associated with contact {without}."
    assert error["context"]["fromObjectId"] == [without]
    assert found_only.status_code == 200
    assert "errors" not in found_only.json()


async def test_v4_batch_associate_default_links_every_pair_or_none(
    hs: httpx.AsyncClient,
) -> None:
    jane, john = await _contact(hs), await _contact(hs, "john@acme.com")
    acme, globex = await _company(hs, "acme.com"), await _company(hs, "globex.com")
    path = "/crm/v4/associations/contacts/companies/batch/associate/default"

    linked = await hs.post(
        path,
        json={"inputs": [{"from": {"id": jane}, "to": {"id": acme}},
                         {"from": {"id": john}, "to": {"id": globex}}]},
    )  # fmt: skip
    refused = await hs.post(
        path,
        json={"inputs": [{"from": {"id": jane}, "to": {"id": globex}},
                         {"from": {"id": john}, "to": {"id": "999999"}}]},
    )  # fmt: skip
    acme_contacts = await hs.get(f"/crm/v4/objects/companies/{acme}/associations/contacts")
    jane_companies = await hs.get(f"/crm/v4/objects/contacts/{jane}/associations/companies")

    assert linked.status_code == 200
    body = linked.json()
    assert body["status"] == "COMPLETE"
    assert body["results"][:2] == [
        {"from": {"id": jane}, "to": {"id": acme},
         "associationSpec": {"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 279}},
        {"from": {"id": acme}, "to": {"id": jane},
         "associationSpec": {"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 280}},
    ]  # fmt: skip
    assert len(body["results"]) == 4
    assert [r["toObjectId"] for r in acme_contacts.json()["results"]] == [int(jane)]
    assert refused.status_code == 400
    assert refused.json()["category"] == "VALIDATION_ERROR"
    assert "999999" in refused.json()["message"]
    assert [r["toObjectId"] for r in jane_companies.json()["results"]] == [int(acme)]


async def test_company_search_in_domains_pages_by_id(hs: httpx.AsyncClient) -> None:
    ids = {d: await _company(hs, d) for d in ("a.com", "b.com", "c.com", "d.com", "e.com")}
    search = {
        "filterGroups": [{"filters": [
            {"propertyName": "domain", "operator": "IN",
             "values": ["a.com", "C.com", "d.com", "e.com", "unknown.com"]}]}],
        "sorts": ["hs_object_id"],
        "properties": ["domain"],
        "limit": 2,
    }  # fmt: skip

    pages = [(await hs.post(f"{COMPANIES}/search", json=search)).json()]
    while "paging" in pages[-1]:
        after = pages[-1]["paging"]["next"]["after"]
        pages.append((await hs.post(f"{COMPANIES}/search", json={**search, "after": after})).json())
    widest = await hs.post(f"{COMPANIES}/search", json={**search, "limit": 200})
    too_wide = await hs.post(f"{COMPANIES}/search", json={**search, "limit": 201})

    assert [p["total"] for p in pages] == [4, 4]
    found = [r["id"] for p in pages for r in p["results"]]
    assert found == [ids["a.com"], ids["c.com"], ids["d.com"], ids["e.com"]]
    assert pages[0]["results"][0]["properties"]["domain"] == "a.com"
    assert [r["id"] for r in widest.json()["results"]] == found
    assert too_wide.status_code == 400


async def test_a_domain_search_follows_companies_that_share_or_change_a_domain(
    hs: httpx.AsyncClient,
) -> None:
    """Found by the domain index: two companies of one domain both, a changed domain only by
    its new value, an archived company not at all."""
    first, second, moved, gone = [
        await _company(hs, d) for d in ("same.com", "same.com", "old.com", "gone.com")
    ]
    await hs.patch(f"{COMPANIES}/{moved}", json={"properties": {"domain": "new.com"}})
    await hs.delete(f"{COMPANIES}/{gone}")

    async def found(*domains: str) -> list[str]:
        filters = [{"propertyName": "domain", "operator": "IN", "values": list(domains)}]
        search = {"filterGroups": [{"filters": filters}], "sorts": ["hs_object_id"], "limit": 10}
        return [
            r["id"] for r in (await hs.post(f"{COMPANIES}/search", json=search)).json()["results"]
        ]

    assert await found("same.com") == [first, second]
    assert await found("old.com", "gone.com") == []
    assert await found("NEW.com") == [moved]
