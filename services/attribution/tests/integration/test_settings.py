"""Settings over real HTTP and PostgreSQL: run settings, versioned channel rules, and won deals
whose runs use (and record) the tenant's settings."""

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from sqlalchemy import select

from attribution.db.repository import DealPath
from attribution.db.tables import attribution_runs, tenants
from attribution.domain.default_channels import DEFAULT_RULE_VERSION, default_rule_set
from attribution.domain.settings import DEFAULT_MODELS
from dealflow_libs.testing.kafka import TopicProbe, header, publish_event
from dealflow_libs.testing.tenants import seed_tenant
from dealflow_schemas.attribution import DealAttributed
from dealflow_schemas.deals import (
    DEALS_TOPIC,
    CompanyRef,
    DealSnapshot,
    DealStage,
    DealStatus,
    DealWon,
)

WON_AT = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
PAID = {
    "rule_id": "paid",
    "channel": "Paid",
    "any_of": [[{"field": "medium", "op": "in", "values": ["cpc", "ppc"]}]],
}
CATCH_ALL = {"rule_id": "rest", "channel": "Other", "any_of": []}


class TestRunSettings:
    async def test_defaults_replace_and_read_back(self, client, tenant, sessions) -> None:
        answer = await client.get("/v1/settings", headers=tenant.auth)
        assert answer.status_code == 200, answer.text
        assert answer.json() == {
            "models": [m.value for m in DEFAULT_MODELS],
            "time_decay_half_life_days": "7",
            "custom_weights": None,
            "lookback_days": 90,
            "ignored_activity_types": ["email_opened"],
        }
        wanted = {
            "models": ["linear", "custom", "shapley"],
            "time_decay_half_life_days": 1.5,
            "custom_weights": {"roles": {"first": 40, "middle": 20, "last": 40}},
            "lookback_days": 0,
            "ignored_activity_types": [],
        }
        put = await client.put("/v1/settings", json=wanted, headers=tenant.auth)
        assert put.status_code == 200, put.text
        expected = {
            **wanted,
            "time_decay_half_life_days": "1.5",
            "custom_weights": {
                "roles": {"first": "40", "last": "40", "middle": "20"},
                "activity_types": {},
            },
        }
        assert put.json() == expected
        assert (await client.get("/v1/settings", headers=tenant.auth)).json() == expected
        other = await seed_tenant(sessions, tenants, prefix="a")
        theirs = (await client.get("/v1/settings", headers=other.auth)).json()
        assert theirs["models"] == [m.value for m in DEFAULT_MODELS]

    async def test_numbers_come_back_exactly_as_given(self, client, tenant) -> None:
        # Floats lost this: 1/3 came back as 0.3333333333333333, and a PUT of that GET was
        # another model. Exact text, numbers or strings in, the stored text out.
        wanted = {
            "models": ["custom", "time_decay"],
            "time_decay_half_life_days": "1/3",
            "custom_weights": {
                "roles": {"first": "1/3", "last": 0.1, "middle": "2.50"},
                "activity_types": {"call": "0.000000000000000000000001"},
            },
        }
        put = await client.put("/v1/settings", json=wanted, headers=tenant.auth)
        assert put.status_code == 200, put.text
        got = put.json()
        assert got["time_decay_half_life_days"] == "1/3"
        assert got["custom_weights"] == {
            "roles": {"first": "1/3", "last": "0.1", "middle": "2.5"},
            "activity_types": {"call": "0.000000000000000000000001"},
        }
        again = await client.put("/v1/settings", json=got, headers=tenant.auth)
        assert again.json() == got == (await client.get("/v1/settings", headers=tenant.auth)).json()
        for bad in ("1e999999999", "inf", "1/0", "0x10", True):
            body = {"time_decay_half_life_days": bad}
            answer = await client.put("/v1/settings", json=body, headers=tenant.auth)
            assert answer.status_code == 422, (bad, answer.text)
            assert answer.json()["message"].startswith("time_decay_half_life_days"), answer.text

    async def test_problems_are_422s_naming_the_field(self, client, tenant) -> None:
        cases = [
            ({"models": ["custom"]}, "models: custom is enabled but custom_weights are not set"),
            (
                {"models": ["custom"], "custom_weights": {"roles": {"first": -1, "last": 1}}},
                "custom_weights.roles.first: must not be negative",
            ),
            (
                {"custom_weights": {"roles": {"first": 0, "last": 0}}},
                "custom_weights.roles: the weights must sum to more than 0",
            ),
            ({"lookback_days": -5}, "lookback_days: must be 0 (no limit) to 36500 days"),
            ({"time_decay_half_life_days": 0}, "time_decay_half_life_days: must be between"),
            ({"models": ["nope"]}, "models.0: Input should be"),
            ({"models": []}, "models: List should have at least 1 item"),
            ({"models": ["linear"] * 14}, "models: List should have at most 13 items"),
            (
                {"ignored_activity_types": ["call"] * 16},
                "ignored_activity_types: List should have at most 15 items",
            ),
        ]
        for body, message in cases:
            answer = await client.put("/v1/settings", json=body, headers=tenant.auth)
            assert answer.status_code == 422, (body, answer.text)
            assert answer.json()["message"].startswith(message), (body, answer.text)
        # Nothing was stored by the refused requests.
        current = (await client.get("/v1/settings", headers=tenant.auth)).json()
        assert current["models"] == [m.value for m in DEFAULT_MODELS]

    async def test_shapley_over_too_many_channel_groups_is_refused(
        self, client, tenant, uow_factory
    ) -> None:
        channels = [f"Channel {i}" for i in range(17)]
        paths = [
            # 17 groups in won deals; a lost deal's channels are not Shapley players.
            DealPath(uuid.uuid4(), channels[:9], True, WON_AT),
            DealPath(uuid.uuid4(), channels[8:], True, WON_AT),
            DealPath(uuid.uuid4(), ["Lost only"], False, WON_AT),
        ]
        async with uow_factory() as uow:
            await uow.attribution.save_journeys(tenant.id, paths)
            await uow.commit()
        body = {"models": ["linear", "shapley"]}
        answer = await client.put("/v1/settings", json=body, headers=tenant.auth)
        assert answer.status_code == 422, answer.text
        assert answer.json()["message"] == (
            "models: shapley is exact over at most 16 channel groups and this tenant's won deals"
            " have 17; merge channels in the channel rules"
        )
        assert answer.json()["field"] == "models"
        assert (
            await client.put("/v1/settings", json={"models": ["linear"]}, headers=tenant.auth)
        ).status_code == 200

    async def test_an_api_key_is_required(self, client) -> None:
        assert (await client.get("/v1/settings")).status_code == 401
        assert (await client.put("/v1/settings", json={})).status_code == 401
        assert (await client.get("/v1/settings/channel-rules")).status_code == 401
        put = await client.put("/v1/settings/channel-rules", json={"rules": [CATCH_ALL]})
        assert put.status_code == 401


class TestChannelRules:
    async def test_versions_are_append_only_and_readable(self, client, tenant, sessions) -> None:
        auth = tenant.auth
        built_in = (await client.get("/v1/settings/channel-rules", headers=auth)).json()
        defaults = default_rule_set()
        assert (built_in["version"], built_in["digest"], built_in["built_in"]) == (
            DEFAULT_RULE_VERSION,
            defaults.digest,
            True,
        )

        first = {"rules": [PAID, CATCH_ALL]}
        created = await client.put("/v1/settings/channel-rules", json=first, headers=auth)
        assert created.status_code == 201, created.text
        v2 = created.json()
        assert (v2["version"], v2["built_in"], v2["rules"]) == (2, False, [PAID, CATCH_ALL])
        # The same content again stores nothing: 200 with the current version.
        again = await client.put("/v1/settings/channel-rules", json=first, headers=auth)
        assert again.status_code == 200, again.text
        assert (again.json()["version"], again.json()["digest"]) == (2, v2["digest"])

        second = {"rules": [CATCH_ALL], "source_categories": {"example.com": "search"}}
        v3 = (await client.put("/v1/settings/channel-rules", json=second, headers=auth)).json()
        assert v3["version"] == 3
        current = (await client.get("/v1/settings/channel-rules", headers=auth)).json()
        assert current == v3
        old = await client.get("/v1/settings/channel-rules", params={"version": 2}, headers=auth)
        assert old.json() == v2
        # The defaults the tenant had are kept as version 1 on its first change.
        v1 = await client.get("/v1/settings/channel-rules", params={"version": 1}, headers=auth)
        assert (v1.json()["digest"], v1.json()["built_in"]) == (defaults.digest, False)
        missing = await client.get(
            "/v1/settings/channel-rules", params={"version": 9}, headers=auth
        )
        assert missing.status_code == 404
        history = (await client.get("/v1/settings/channel-rules/versions", headers=auth)).json()
        assert [v["version"] for v in history["versions"]] == [1, 2, 3]

        # Another tenant sees none of it.
        other = await seed_tenant(sessions, tenants, prefix="a")
        theirs = (await client.get("/v1/settings/channel-rules", headers=other.auth)).json()
        assert (theirs["version"], theirs["built_in"]) == (DEFAULT_RULE_VERSION, True)
        hidden = await client.get(
            "/v1/settings/channel-rules", params={"version": 2}, headers=other.auth
        )
        assert hidden.status_code == 404

    async def test_a_touch_after_a_change_records_the_new_version(self, client, tenant) -> None:
        put = await client.put(
            "/v1/settings/channel-rules", json={"rules": [PAID, CATCH_ALL]}, headers=tenant.auth
        )
        version = put.json()["version"]
        email = f"ada@{uuid.uuid4().hex[:6]}.com"
        touch = {
            "touch_id": "t-after",
            "person_email": email,
            "occurred_at": WON_AT.isoformat(),
            "activity_type": "ad_click",
            "utm_medium": "cpc",
        }
        answer = await client.post("/v1/touches", json={"touches": [touch]}, headers=tenant.auth)
        result = answer.json()["results"][0]
        assert (result["channel"], result["rule_version"]) == ("Paid", version)

    async def test_concurrent_changes_get_consecutive_versions(self, client, tenant) -> None:
        bodies = [{"rules": [{**PAID, "channel": f"Paid {i}"}, CATCH_ALL]} for i in range(4)]
        answers = await asyncio.gather(
            *(
                client.put("/v1/settings/channel-rules", json=body, headers=tenant.auth)
                for body in bodies
            )
        )
        assert [a.status_code for a in answers] == [201] * 4, [a.text for a in answers]
        assert sorted(a.json()["version"] for a in answers) == [2, 3, 4, 5]

    async def test_invalid_rules_are_422s_naming_the_rule(self, client, tenant) -> None:
        cases = [
            ({"rules": [PAID]}, "rules[0] (paid).any_of: the last rule must be a catch-all"),
            (
                {"rules": [{**PAID, "any_of": [[{"field": "colour", "op": "equals"}]]}, CATCH_ALL]},
                "rules[0] (paid).any_of[0][0].field: 'colour' is not one of",
            ),
            (
                {"rules": [PAID, {**CATCH_ALL, "rule_id": "paid"}]},
                "rules[1] (paid).rule_id: 'paid' is used by rules[0] too",
            ),
            ({"rules": []}, "rules: List should have at least 1 item"),
        ]
        for body, message in cases:
            answer = await client.put("/v1/settings/channel-rules", json=body, headers=tenant.auth)
            assert answer.status_code == 422, (body, answer.text)
            assert answer.json()["message"].startswith(message), answer.text
        current = (await client.get("/v1/settings/channel-rules", headers=tenant.auth)).json()
        assert current["built_in"] is True


def won(tenant_id: str, deal_id: uuid.UUID, domain: str) -> DealWon:
    snapshot = DealSnapshot(
        deal_id=deal_id,
        tenant_id=tenant_id,
        name=f"{domain} deal",
        company=CompanyRef(company_id=uuid.uuid4(), domain=domain, name=domain),
        status=DealStatus.WON,
        stage=DealStage.CLOSED_WON,
        probability=100,
        value=Decimal("1000.00"),
        currency="USD",
        primary_contact_email=f"ceo@{domain}",
        closed_at=WON_AT,
        created_at=WON_AT - timedelta(days=20),
        updated_at=WON_AT,
    )
    return DealWon(deal_id=deal_id, tenant_id=tenant_id, occurred_at=WON_AT, deal=snapshot)


class TestRunsUseTheSettings:
    async def test_a_won_deal_runs_the_tenants_models_with_its_parameters(
        self, client, tenant, sessions, producer, attribution_events: TopicProbe
    ) -> None:
        settings = {
            "models": ["linear", "time_decay", "custom", "shapley"],
            "time_decay_half_life_days": 2,
            "custom_weights": {"roles": {"first": 1}, "activity_types": {"email_opened": 0.5}},
            "lookback_days": 20,
            "ignored_activity_types": [],
        }
        put = await client.put("/v1/settings", json=settings, headers=tenant.auth)
        assert put.status_code == 200, put.text
        domain = f"{uuid.uuid4().hex[:8]}.com"

        def touch(touch_id: str, days: int, kind: str) -> dict[str, object]:
            at = (WON_AT - timedelta(days=days)).isoformat()
            return {"touch_id": touch_id, "person_email": f"ana@{domain}", "occurred_at": at,
                    "activity_type": kind}  # fmt: skip

        touches = [touch("old", 30, "call"), touch("open", 10, "email_opened"),
                   touch("call", 2, "call")]  # fmt: skip
        answer = await client.post("/v1/touches", json={"touches": touches}, headers=tenant.auth)
        assert answer.json()["created"] == 3, answer.text
        deal_id = uuid.uuid4()
        # Through the broker and the service's consumer, as in production.
        await publish_event(
            producer, DEALS_TOPIC, won(tenant.id, deal_id, domain), key=str(deal_id)
        )
        published = await attribution_events.wait_for(
            lambda r: (
                header(r, "ce_subject") == str(deal_id)
                and header(r, "ce_type") == DealAttributed.ce_type
            ),
            count=4,
        )
        assert len(published) == 4

        async with sessions() as session:
            rows = (
                await session.execute(
                    select(
                        attribution_runs.c.model,
                        attribution_runs.c.parameters,
                        attribution_runs.c.window,
                    ).where(attribution_runs.c.deal_id == deal_id)
                )
            ).all()
        runs = {model: (params, window) for model, params, window in rows}
        assert sorted(runs) == ["custom", "linear", "shapley", "time_decay"]
        window = {"lookback_days": 20, "ignored_activity_types": []}
        assert all(w == window for _, w in runs.values())
        assert runs["time_decay"][0] == {"half_life_days": "2/1"}
        assert runs["custom"][0] == {
            "role_weights": {"first": "1/1"},
            "type_weights": {"email_opened": "1/2"},
        }
        # The explanation shows the same: the 30-day-old call is outside the 20-day lookback
        # (not an input of the run, listed with why), the open (opted in) earns credit.
        linear = (
            await client.get(
                f"/v1/deals/{deal_id}/attribution", params={"model": "linear"}, headers=tenant.auth
            )
        ).json()
        assert [t["touch_id"] for t in linear["touches"]] == ["open", "call"]
        assert {e["touch_id"]: e["reason"] for e in linear["excluded"]} == {
            "old": "outside_lookback"
        }
        decay = (
            await client.get(
                f"/v1/deals/{deal_id}/attribution",
                params={"model": "time_decay"},
                headers=tenant.auth,
            )
        ).json()
        # Ages 10 and 2 days with a 2-day half-life: weights 2^-5 : 2^-1 = 1 : 16.
        assert {t["touch_id"]: t["weight"] for t in decay["touches"]} == {
            "open": "1/17",
            "call": "16/17",
        }
