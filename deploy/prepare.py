"""One-shot job for production: topics, databases and migrations (no seed data).

Run with the same DEALFLOW_* environment as the services: `python deploy/prepare.py`.
"""

import asyncio
import os

from dealflow_libs.devstack.services import installed_services
from dealflow_libs.devstack.stack import Stack, prepare


def main() -> None:
    stack = Stack(
        database_url=os.environ["DEALFLOW_DATABASE_URL"],
        kafka_bootstrap=os.environ["DEALFLOW_KAFKA_BOOTSTRAP"],
    )
    urls = asyncio.run(prepare(stack, installed_services(), seed=False))
    for service, url in urls.items():
        print(f"{service}: migrated {url.rsplit('/', 1)[-1]}")


if __name__ == "__main__":
    main()
