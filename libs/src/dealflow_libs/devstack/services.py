"""The services the local runtime knows, in start order, and the topics they need."""

import importlib
import importlib.util
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from dealflow_libs.kafka import dead_letter_topic
from dealflow_schemas import Topic


@dataclass(frozen=True)
class ServiceSpec:
    name: str
    package: str
    port: int

    @property
    def app(self) -> str:
        return f"{self.package}.main:app"

    @property
    def database(self) -> str:
        return f"dealflow_{self.name}"

    def installed(self) -> bool:
        """A service runs once its package has a composition root (a package that holds only
        its domain core so far is not started)."""
        return (
            importlib.util.find_spec(self.package) is not None
            and importlib.util.find_spec(f"{self.package}.main") is not None
        )

    def seed(self) -> Callable[[str], Awaitable[None]] | None:
        """A service may ship `devseed.seed(database_url)` to create development data."""
        if importlib.util.find_spec(f"{self.package}.devseed") is None:
            return None
        module = importlib.import_module(f"{self.package}.devseed")
        seed: Callable[[str], Awaitable[None]] = module.seed
        return seed


ALL_SERVICES = (
    ServiceSpec("ingest", "ingest", 8000),
    ServiceSpec("meetings", "meetings", 8001),
    ServiceSpec("deals", "deals", 8002),
    ServiceSpec("attribution", "attribution", 8003),
    ServiceSpec("crm_push", "crm_push", 8004),
    ServiceSpec("notifications", "notifications", 8005),
    # Last: it reads every other service and consumes nothing.
    ServiceSpec("console", "console", 8080),
)


def installed_services() -> list[ServiceSpec]:
    return [s for s in ALL_SERVICES if s.installed()]


def all_topics() -> list[str]:
    topics = [t.value for t in Topic]
    return topics + [dead_letter_topic(t) for t in topics]
