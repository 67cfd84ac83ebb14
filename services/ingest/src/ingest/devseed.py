"""Development data for `make run`: the `demo` tenant with well-known secrets."""

from dealflow_libs.db import create_engine, session_factory
from ingest.config import IngestSettings
from ingest.uow import IngestUnitOfWork
from ingest.use_cases import save_tenant

DEMO = {
    "tenant_id": "demo",
    "name": "Demo",
    "calcom_secret": "demo-calcom-secret",
    "calendly_secret": "demo-calendly-secret",
    "api_key": "demo-api-key",
}


async def seed(database_url: str) -> None:
    engine = create_engine(database_url, pool_size=1)
    try:
        uow = IngestUnitOfWork(session_factory(engine), IngestSettings().secret_box())
        await save_tenant(uow, **DEMO, keep_previous=False)
    finally:
        await engine.dispose()
