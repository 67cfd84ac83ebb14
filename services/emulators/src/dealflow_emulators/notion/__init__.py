"""Notion emulator (notify_notion.md §3): databases and data sources with a contacts table,
query by a filter on the Email property, page property updates; Bearer integration token and a
required Notion-Version; `{object: "error", status, code, message}`; ~3 requests/s."""

from fastapi import FastAPI

from dealflow_emulators.common import create_app
from dealflow_emulators.notion.emulator import NotionConfig, NotionEmulator


def build_app(config: NotionConfig | None = None) -> FastAPI:
    return create_app(NotionEmulator(config or NotionConfig()))


__all__ = ["NotionConfig", "NotionEmulator", "build_app"]
