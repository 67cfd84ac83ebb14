"""Development data for `make run`: the `demo` tenant's pre-call sequence, reminders 72 h, 24 h
and 2 h before each meeting (none when booked under 2 h ahead: `domain.reminders.MIN_LEAD`).

Seeds run before the services, so the tenant feed may not have brought the demo tenant yet: its
settings go into a placeholder row the feed fills in later (`TenantCopy.seed_settings`). Settings
stored already, seeded before or saved since with `PUT /v1/settings`, are kept.
"""

from dealflow_libs.db import create_engine, session_factory
from meetings.api.settings import SettingsIn
from meetings.uow import MeetingsUnitOfWork

TENANT = "demo"

#: Minutes before the start: 72 h, 24 h, 2 h.
PRE_CALL_SEQUENCE = (72 * 60, 24 * 60, 2 * 60)


def demo_settings() -> dict[str, object]:
    """Stored as `PUT /v1/settings` stores them."""
    return SettingsIn(reminder_offsets_minutes=list(PRE_CALL_SEQUENCE)).model_dump(mode="json")


async def seed(database_url: str, tenant_id: str = TENANT) -> None:
    engine = create_engine(database_url, pool_size=1)
    try:
        async with MeetingsUnitOfWork(session_factory(engine)) as uow:
            await uow.tenants.seed_settings(tenant_id, demo_settings())
            await uow.commit()
    finally:
        await engine.dispose()
