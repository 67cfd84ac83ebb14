"""Development data for `make run`: the `demo` tenant's CRM is the HubSpot emulator and its Notion
target the Notion emulator's pre-call Contacts table, so a newcomer's first booking is pushed.

Only rows are written (the emulators are not up yet when seeds run), so nothing is verified
against them here, and `ensure_schema` (HubSpot's `dealflow_id` property) has not run: the
emulator accepts unknown properties unless its `strict_properties` is turned on. A connection
that exists already is kept, whatever the developer made of it since (another CRM, a new
config, disconnected).
"""

from collections.abc import Mapping
from datetime import UTC, datetime

from crm_push.config import CrmPushSettings
from crm_push.connector import seal_credentials
from crm_push.domain.config import CrmConfig, NotionMapping
from crm_push.domain.model import Connection
from crm_push.providers.base import Provider
from crm_push.uow import CrmPushUnitOfWork
from dealflow_libs.db import create_engine, session_factory
from dealflow_libs.secretbox import SecretBox
from dealflow_schemas.crm import ConnectionStatus, PushTarget
from dealflow_schemas.deals import DealStage

TENANT = "demo"

#: The HubSpot emulator's private-app token (dealflow_emulators.hubspot.HubSpotConfig.api_keys).
HUBSPOT_TOKEN = "pat-na1-dealflow-dev"  # noqa: S105 - the emulator's well-known dev token
#: Its seeded default pipeline, the ids of its stages and its first owner, Olivia Owner
#: (dealflow_emulators.hubspot.schema).
HUBSPOT_CONFIG = CrmConfig(
    pipeline_id="default",
    new_deal_stage_id="appointmentscheduled",
    default_owner_id="123456",
    stage_mapping={
        DealStage.BOOKED: "appointmentscheduled",
        DealStage.MET: "qualifiedtobuy",
        DealStage.QUALIFICATION: "presentationscheduled",
        DealStage.PROPOSAL: "decisionmakerboughtin",
        DealStage.CONTRACT_SENT: "contractsent",
        DealStage.CLOSED_WON: "closedwon",
        DealStage.CLOSED_LOST: "closedlost",
    },
)

#: The Notion emulator's integration token and its seeded pre-call Contacts database.
NOTION_TOKEN = "ntn_dev_integration_token"  # noqa: S105 - the emulator's well-known dev token
NOTION_DATABASE_ID = "0f6c5c7e-3b8d-4a59-9c0e-5d1b2f3a4c01"


async def seed(database_url: str, tenant_id: str = TENANT) -> None:
    engine = create_engine(database_url, pool_size=1)
    try:
        box = CrmPushSettings().secret_box()
        uow = CrmPushUnitOfWork(session_factory(engine))
        crm = _connection(
            box,
            tenant_id,
            PushTarget.CRM,
            Provider.HUBSPOT,
            {"access_token": HUBSPOT_TOKEN},
            config=HUBSPOT_CONFIG.model_dump(mode="json"),
        )
        notion = _connection(
            box,
            tenant_id,
            PushTarget.NOTION,
            Provider.NOTION,
            {"token": NOTION_TOKEN},
            config=NotionMapping().model_dump(mode="json"),
            account_id=NOTION_DATABASE_ID,
        )
        async with uow:
            for connection in (crm, notion):
                if await uow.pushes.connection(tenant_id, connection.target, lock=True) is None:
                    await uow.pushes.save_connection(connection)
            await uow.commit()
    finally:
        await engine.dispose()


def _connection(
    box: SecretBox,
    tenant_id: str,
    target: PushTarget,
    provider: Provider,
    credentials: Mapping[str, str],
    *,
    config: dict[str, object],
    account_id: str | None = None,
) -> Connection:
    now = datetime.now(UTC)
    return Connection(
        tenant_id=tenant_id,
        target=target,
        provider=provider,
        status=ConnectionStatus.CONNECTED,
        updated_at=now,
        credentials=seal_credentials(box, tenant_id, target, credentials),
        account_id=account_id,
        config=config,
        connected_at=now,
    )
