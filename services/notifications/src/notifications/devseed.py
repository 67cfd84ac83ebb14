"""Development data for `make run`: the `demo` tenant sends through the Resend emulator with the
demo sender table (notifications.domain.senders.DEMO_SENDERS), so a newcomer's first booking
shows its confirmation in the emulator (`/_emulator/state`, objects `emails`).

Only rows are written; the emulator is not up yet when seeds run. Settings that exist already
are kept, whatever the developer made of them since (another sender table, SMTP).
"""

from datetime import UTC, datetime

from dealflow_libs.db import create_engine, session_factory
from notifications.config import NotificationsSettings
from notifications.domain.senders import DEMO_SENDERS
from notifications.settings_store import ResendSettings, seal_transport
from notifications.uow import NotificationsUnitOfWork

TENANT = "demo"

#: The Resend emulator's seeded API key and webhook signing secret
#: (dealflow_emulators.resend.config DEV_API_KEY, DEV_WEBHOOK_SECRET).
RESEND_API_KEY = "re_dev_api_key"
RESEND_WEBHOOK_SECRET = "whsec_ZGVhbGZsb3ctZGV2LXJlc2VuZC13ZWJob29rLWtleSE="  # noqa: S105 - the emulator's dev secret


async def seed(database_url: str, tenant_id: str = TENANT) -> None:
    engine = create_engine(database_url, pool_size=1)
    try:
        box = NotificationsSettings().secret_box()
        transport = ResendSettings(api_key=RESEND_API_KEY, webhook_secret=RESEND_WEBHOOK_SECRET)
        now = datetime.now(UTC)
        async with NotificationsUnitOfWork(session_factory(engine)) as uow:
            stored = (await uow.notifications.settings_of([tenant_id])).get(tenant_id)
            missing: dict[str, object] = {}
            if stored is None or stored["senders"] is None:
                missing["senders"] = DEMO_SENDERS.model_dump(mode="json")
            if stored is None or stored["transport"] is None:
                missing["transport"] = seal_transport(box, tenant_id, transport)
            if missing:
                await uow.notifications.save_settings(tenant_id, now, **missing)
            await uow.commit()
    finally:
        await engine.dispose()
