"""HubSpot emulator (CRM v3 objects, v4 associations, v1 OAuth): docs/emulators.md."""

from fastapi import FastAPI

from dealflow_emulators.common import create_app
from dealflow_emulators.hubspot.config import HubSpotConfig
from dealflow_emulators.hubspot.emulator import HubSpot


def build_app(config: HubSpotConfig | None = None) -> FastAPI:
    return create_app(HubSpot(config))


__all__ = ["HubSpot", "HubSpotConfig", "build_app"]
