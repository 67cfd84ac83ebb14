"""Resend emulator (notify_notion.md §1): `POST /emails`, `/emails/batch`, `GET`/`PATCH
/emails/{id}`, `/emails/{id}/cancel`; errors `{statusCode, name, message}`; `ratelimit-*`
headers; 24 h idempotency keys; quotas; resend.dev test addresses; Svix-signed webhooks."""

from fastapi import FastAPI

from dealflow_emulators.common import create_app
from dealflow_emulators.resend.config import DEV_API_KEY, DEV_WEBHOOK_SECRET, ResendConfig
from dealflow_emulators.resend.emulator import ResendEmulator


def build_app(config: ResendConfig | None = None) -> FastAPI:
    return create_app(ResendEmulator(config or ResendConfig()))


__all__ = ["DEV_API_KEY", "DEV_WEBHOOK_SECRET", "ResendConfig", "ResendEmulator", "build_app"]
