"""SMTP sink: an SMTP server that keeps every message (AUTH as `dealflow` /
`dealflow-dev-password`), read through an HTTP control app (`/_emulator/state`, reset, faults
on DATA). `build_app()` is the control app; `start_server(app, host, port)` opens the SMTP
port over the same state."""

import asyncio

from fastapi import FastAPI

from dealflow_emulators.common import create_app
from dealflow_emulators.smtp_sink import emulator
from dealflow_emulators.smtp_sink.emulator import (
    DEV_PASSWORD,
    DEV_USER,
    SmtpSink,
    SmtpSinkConfig,
)


def build_app(config: SmtpSinkConfig | None = None) -> FastAPI:
    return create_app(SmtpSink(config or SmtpSinkConfig()))


async def start_server(app: FastAPI, host: str, port: int) -> asyncio.Server:
    """The SMTP side of the sink whose control app is `app`."""
    sink = app.state.emulator
    assert isinstance(sink, SmtpSink)
    return await emulator.start_server(sink, host, port)


__all__ = ["DEV_PASSWORD", "DEV_USER", "SmtpSink", "SmtpSinkConfig", "build_app", "start_server"]
