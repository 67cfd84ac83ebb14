"""0006_channel_rule_versions moves rules kept in a tenant's settings to their one home, and
going back puts the current version back."""

import asyncio

import orjson
from alembic import command
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from attribution.domain.channels import RuleSet
from dealflow_libs.migrate import alembic_config, upgrade
from dealflow_libs.settings import asyncpg_url
from dealflow_libs.testing.scratch import scratch_database

BEFORE = "0005_reports"
KEPT = {"version": 4, "rules": [{"rule_id": "all", "channel": "Partners", "any_of": []}]}


async def test_rules_in_settings_move_to_the_versions_table_and_back(stack) -> None:
    url = await scratch_database(stack.database_url)
    engine = create_async_engine(asyncpg_url(url))
    settings = {"models": ["linear"], "channel_rules": KEPT}
    try:
        await asyncio.to_thread(upgrade, "attribution", url, BEFORE)
        async with engine.begin() as conn:
            await conn.execute(
                text(
                    "INSERT INTO tenants (tenant_id, name, settings, changed_at)"
                    " VALUES ('t1', 't1', CAST(:s AS jsonb), now()), ('t2', 't2', '{}', now())"
                ),
                {"s": orjson.dumps(settings).decode()},
            )
        await asyncio.to_thread(upgrade, "attribution", url)
        async with engine.connect() as conn:
            versions = (
                await conn.execute(
                    text("SELECT tenant_id, version, digest, content FROM channel_rule_versions")
                )
            ).all()
            kept = dict((await conn.execute(text("SELECT tenant_id, settings FROM tenants"))).all())
        rules = RuleSet.from_dict(KEPT)
        assert [tuple(v) for v in versions] == [
            ("t1", 4, rules.digest, rules.to_dict(with_version=False))
        ]
        assert kept == {"t1": {"models": ["linear"]}, "t2": {}}

        await asyncio.to_thread(command.downgrade, alembic_config("attribution", url), BEFORE)
        async with engine.connect() as conn:
            back = dict((await conn.execute(text("SELECT tenant_id, settings FROM tenants"))).all())
        assert RuleSet.from_dict(back["t1"]["channel_rules"]) == rules
        assert back["t2"] == {}
    finally:
        await engine.dispose()
