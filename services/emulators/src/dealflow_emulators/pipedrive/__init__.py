"""Pipedrive emulator (crm_apis.md §2): v1 and v2 persons, organizations, deals, activities,
pipelines and stages, v1 users; API token or OAuth; the 2-second window and its headers."""

from fastapi import FastAPI

from dealflow_emulators.common import create_app
from dealflow_emulators.pipedrive.emulator import PipedriveConfig, PipedriveEmulator


def build_app(config: PipedriveConfig | None = None) -> FastAPI:
    return create_app(PipedriveEmulator(config or PipedriveConfig()))


__all__ = ["PipedriveConfig", "PipedriveEmulator", "build_app"]
