"""Touch intake over real HTTP and Kafka: per-item results, idempotence, classification, leads."""

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

import httpx

from attribution.db.tables import tenants
from attribution.domain.default_channels import DEFAULT_RULE_VERSION
from dealflow_libs.testing.kafka import publish_event
from dealflow_libs.testing.tenants import TenantCredentials, seed_tenant
from dealflow_schemas.attribution import (
    MAX_TOUCHES_PER_BATCH,
    TOUCHES_TOPIC,
    ActivityType,
    TouchSubmitted,
)

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def touch(touch_id: str, email: str, **fields: object) -> dict[str, object]:
    return {
        "touch_id": touch_id,
        "person_email": email,
        "occurred_at": T0.isoformat(),
        "activity_type": "web_visit",
        **fields,
    }


async def post(client: httpx.AsyncClient, tenant: TenantCredentials, *items: object) -> dict:
    answer = await client.post("/v1/touches", json={"touches": list(items)}, headers=tenant.auth)
    assert answer.status_code == 200, answer.text
    return answer.json()


class TestIntake:
    async def test_one_bad_item_never_fails_the_batch(self, client, tenant) -> None:
        email = f"jane@{uuid.uuid4().hex[:6]}.com"
        body = await post(
            client,
            tenant,
            touch("ok-1", email, utm_source="google", utm_medium="cpc"),
            touch("naive", email, occurred_at="2026-11-02T09:00:00"),
            touch("bad-type", email, activity_type="carrier_pigeon"),
            {"touch_id": "no-email", "occurred_at": T0.isoformat(), "activity_type": "call"},
            touch("nul", email, utm_campaign="a\x00b"),
            "not an object",
            touch("bad-email", "not-an-email"),
            touch("ok-2", email, activity_type="call", occurred_at="2026-11-03T10:00:00+02:00"),
        )
        assert (body["created"], body["duplicates"], body["errors"]) == (2, 0, 6)
        by_index = {r["index"]: r for r in body["results"]}
        assert [by_index[i]["status"] for i in range(8)] == [
            "created",
            "error",
            "error",
            "error",
            "error",
            "error",
            "error",
            "created",
        ]
        assert by_index[1]["touch_id"] == "naive"
        assert by_index[1]["error"].startswith("occurred_at: ")
        assert by_index[2]["error"].startswith("activity_type: ")
        assert by_index[3]["error"].startswith("person_email: ")
        assert by_index[4]["error"].startswith("utm_campaign: ")
        assert by_index[5]["touch_id"] is None
        assert by_index[6]["error"].startswith("person_email: ")
        assert (by_index[0]["channel"], by_index[0]["rule_version"]) == (
            "Paid Search",
            DEFAULT_RULE_VERSION,
        )
        assert by_index[7]["channel"] == "Phone"

    async def test_idempotent_on_touch_id_per_tenant(self, client, tenant, sessions) -> None:
        email = f"sam@{uuid.uuid4().hex[:6]}.com"
        first = await post(client, tenant, touch("t-1", email), touch("t-1", email))
        assert [r["status"] for r in first["results"]] == ["created", "duplicate"]
        # Sent again, even with other content: the first copy stays.
        again = await post(client, tenant, touch("t-1", email, activity_type="call"))
        assert again["results"][0]["status"] == "duplicate"
        # Another tenant may use the same touch_id.
        other = await seed_tenant(sessions, tenants, prefix="a")
        assert (await post(client, other, touch("t-1", email)))["created"] == 1

        lead = (await client.get(f"/v1/leads/{email.upper()}", headers=tenant.auth)).json()
        assert [(t["touch_id"], t["activity_type"]) for t in touches_of(lead)] == [
            ("t-1", "web_visit")
        ]

    async def test_batch_bounds_and_auth(self, client, tenant) -> None:
        items = [touch(f"b-{i}", "bulk@corp.com") for i in range(MAX_TOUCHES_PER_BATCH)]
        full = await post(client, tenant, *items)
        assert full["created"] == MAX_TOUCHES_PER_BATCH
        too_many = await client.post(
            "/v1/touches",
            json={"touches": [*items, touch("x", "bulk@corp.com")]},
            headers=tenant.auth,
        )
        assert too_many.status_code == 422
        unauthenticated = await client.post("/v1/touches", json={"touches": items[:1]})
        assert unauthenticated.status_code == 401

    async def test_each_touch_records_the_rule_version_that_classified_it(
        self, client, tenant
    ) -> None:
        email = f"ada@{uuid.uuid4().hex[:6]}.com"
        await post(
            client, tenant, touch("before", email, utm_source="newsletter", utm_medium="email")
        )
        rules = {"rules": [{"rule_id": "all-partners", "channel": "Partners", "any_of": []}]}
        changed = await client.put("/v1/settings/channel-rules", json=rules, headers=tenant.auth)
        assert changed.status_code == 201, changed.text
        version = changed.json()["version"]
        assert version == DEFAULT_RULE_VERSION + 1
        after = await post(client, tenant, touch("after", email, utm_source="newsletter"))
        assert (after["results"][0]["channel"], after["results"][0]["rule_version"]) == (
            "Partners",
            version,
        )
        timeline = touches_of((await client.get(f"/v1/leads/{email}", headers=tenant.auth)).json())
        # Stored touches keep the channel and version they got when they arrived.
        assert {t["touch_id"]: (t["channel"], t["rule_version"]) for t in timeline} == {
            "before": ("Email", DEFAULT_RULE_VERSION),
            "after": ("Partners", version),
        }


class TestLeads:
    async def test_leads_and_timeline(self, client, sessions) -> None:
        tenant = await seed_tenant(sessions, tenants, prefix="a")
        await post(
            client,
            tenant,
            touch(
                "z-2",
                "zoe@corp.com",
                activity_type="call",
                occurred_at=(T0 + timedelta(days=2)).isoformat(),
            ),
            touch("z-1", "Zoe@Corp.com", utm_source="linkedin.com", utm_medium="social"),
            touch("a-1", "al@corp.com", activity_type="email_sent"),
        )
        first = (await client.get("/v1/leads", params={"limit": 1}, headers=tenant.auth)).json()
        assert [lead["email"] for lead in first["items"]] == ["al@corp.com"]
        rest = (
            await client.get(
                "/v1/leads",
                params={"limit": 1, "cursor": first["next_cursor"]},
                headers=tenant.auth,
            )
        ).json()
        assert rest["next_cursor"] is None
        (zoe,) = rest["items"]
        assert (zoe["email"], zoe["touches"], zoe["first_touch_channel"], zoe["status"]) == (
            "zoe@corp.com",
            2,
            "Organic Social",
            "touched",
        )
        timeline = touches_of(
            (await client.get("/v1/leads/zoe@corp.com", headers=tenant.auth)).json()
        )
        assert [t["touch_id"] for t in timeline] == ["z-1", "z-2"]
        assert timeline[0]["utm_source"] == "linkedin.com"
        missing = await client.get("/v1/leads/nobody@corp.com", headers=tenant.auth)
        assert missing.status_code == 404
        bad_cursor = await client.get("/v1/leads", params={"cursor": "nope"}, headers=tenant.auth)
        assert bad_cursor.status_code == 400


def touches_of(lead: dict) -> list[dict]:
    """The touches on a lead's timeline, oldest first."""
    return [item["touch"] for item in lead["timeline"] if item["kind"] == "touch"]


async def wait_for_touch(client, tenant, email: str, touch_id: str) -> list[dict]:
    for _ in range(200):
        answer = await client.get(f"/v1/leads/{email}", headers=tenant.auth)
        if answer.status_code == 200:
            touches = touches_of(answer.json())
            if any(t["touch_id"] == touch_id for t in touches):
                return touches
        await asyncio.sleep(0.05)
    raise TimeoutError(touch_id)


class TestKafkaIntake:
    async def test_touches_topic_records_like_the_api(self, client, tenant, producer) -> None:
        email = f"kim@{uuid.uuid4().hex[:6]}.com"
        event = TouchSubmitted(
            tenant_id=tenant.id,
            touch_id="k-1",
            person_email=email,
            occurred_at=T0,
            activity_type=ActivityType.AD_CLICK,
            utm_source="facebook.com",
            utm_medium="paid_social",
        )
        await publish_event(producer, TOUCHES_TOPIC, event, key=email)
        (found,) = await wait_for_touch(client, tenant, email, "k-1")
        assert (found["channel"], found["source"], found["rule_version"]) == (
            "Paid Social",
            "kafka",
            DEFAULT_RULE_VERSION,
        )

    async def test_a_redelivered_event_is_not_applied_twice(self, client, tenant, producer) -> None:
        email = f"red@{uuid.uuid4().hex[:6]}.com"
        event_id = uuid.uuid4()

        def submitted(touch_id: str) -> TouchSubmitted:
            return TouchSubmitted(
                tenant_id=tenant.id,
                touch_id=touch_id,
                person_email=email,
                occurred_at=T0,
                activity_type=ActivityType.CALL,
            )

        await publish_event(
            producer, TOUCHES_TOPIC, submitted("first"), key=email, event_id=event_id
        )
        # The same event id again, with other content: the inbox claim makes it a no-op.
        await publish_event(
            producer, TOUCHES_TOPIC, submitted("again"), key=email, event_id=event_id
        )
        # A later event on the same key (same partition) marks that the redelivery was read.
        await publish_event(producer, TOUCHES_TOPIC, submitted("marker"), key=email)
        touches = await wait_for_touch(client, tenant, email, "marker")
        assert sorted(t["touch_id"] for t in touches) == ["first", "marker"]
