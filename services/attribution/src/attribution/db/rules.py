"""Channel rule versions: the current ones, history, changes and a rebuild's copy.
Nothing here commits."""

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Row, func, select
from sqlalchemy.dialects.postgresql import distinct_on, insert

from attribution.db.base import Repository
from attribution.db.tables import channel_rule_versions
from attribution.domain.channels import RuleSet
from attribution.domain.recorded import StoredRules
from dealflow_libs.db import any_of


class RulesRepository(Repository):
    async def current_rules(self, tenant_ids: Iterable[str]) -> dict[str, StoredRules]:
        """Each tenant's latest channel rules; a tenant that never changed them is absent."""
        v = channel_rule_versions.c
        rows = await self.session.execute(
            select(channel_rule_versions)
            .where(any_of(v.tenant_id, tenant_ids))
            .order_by(v.tenant_id, v.version.desc())
            .ext(distinct_on(v.tenant_id))
        )
        return {row.tenant_id: _stored_rules(row) for row in rows}

    async def rules_version(self, tenant_id: str, version: int) -> StoredRules | None:
        v = channel_rule_versions.c
        row = (
            await self.session.execute(
                select(channel_rule_versions).where(v.tenant_id == tenant_id, v.version == version)
            )
        ).first()
        return _stored_rules(row) if row is not None else None

    async def rules_history(self, tenant_id: str) -> list[StoredRules]:
        v = channel_rule_versions.c
        rows = await self.session.execute(
            select(channel_rule_versions).where(v.tenant_id == tenant_id).order_by(v.version)
        )
        return [_stored_rules(row) for row in rows]

    async def lock_rules(self, tenant_id: str) -> None:
        """Serialises changes of one tenant's rules until the transaction ends, so two
        concurrent changes get consecutive versions instead of one failing on the key."""
        await self.session.execute(
            select(
                func.pg_advisory_xact_lock(func.hashtextextended("channel_rules:" + tenant_id, 0))
            )
        )

    async def add_rules(self, tenant_id: str, rules: RuleSet, now: datetime) -> StoredRules:
        stored = StoredRules(
            tenant_id, rules.version, rules.digest, rules.to_dict(with_version=False), now
        )
        await self.session.execute(
            insert(channel_rule_versions).values(
                tenant_id=tenant_id,
                version=stored.version,
                digest=stored.digest,
                content=stored.content,
                created_at=now,
            )
        )
        return stored

    async def restore_rules(self, versions: Sequence[StoredRules]) -> None:
        """Channel rule versions as another database kept them (version and time included)."""
        if versions:
            await self.session.execute(
                insert(channel_rule_versions).on_conflict_do_nothing(),
                [
                    {
                        "tenant_id": v.tenant_id,
                        "version": v.version,
                        "digest": v.digest,
                        "content": dict(v.content),
                        "created_at": v.created_at,
                    }
                    for v in versions
                ],
            )


def _stored_rules(row: Row[Any]) -> StoredRules:
    return StoredRules(row.tenant_id, row.version, row.digest, row.content, row.created_at)
