"""Close emulator (crm_apis.md §3): leads with nested contacts, contacts, opportunities in
cents, pipelines and statuses, users, custom activities, notes, meetings, Advanced Filtering
search; Basic API key or OAuth Bearer; the `RateLimit` header."""

from fastapi import FastAPI

from dealflow_emulators.close.emulator import CloseConfig, CloseEmulator
from dealflow_emulators.common import create_app


def build_app(config: CloseConfig | None = None) -> FastAPI:
    return create_app(CloseEmulator(config or CloseConfig()))


__all__ = ["CloseConfig", "CloseEmulator", "build_app"]
