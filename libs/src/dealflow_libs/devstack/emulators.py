"""The provider emulators (services/emulators, docs/emulators.md) as `make run` runs them: one
process, `python -m dealflow_emulators all --base-port N`, each emulator on N + its offset, and
the settings that send crm_push to them instead of the real HubSpot, Pipedrive, Close and Notion,
and notifications to the Resend emulator instead of Resend.

The emulators package is a service-side package that depends on libs, so it is found by name
(like the services' `devseed` modules), never imported at the top of a libs module.
"""

import importlib
import importlib.util
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from dealflow_libs.devstack.processes import PidFiles, require_free_port

PACKAGE = "dealflow_emulators"
DEFAULT_BASE_PORT = 9101

#: The OAuth app the HubSpot emulator knows (its config's client_id and client_secret).
HUBSPOT_DEV_CLIENT_ID = "dealflow-dev"
HUBSPOT_DEV_CLIENT_SECRET = "dealflow-dev-secret"  # noqa: S105 - the emulator's public dev app

#: The setting that names each provider's API base URL (crm_push's CRMs, notifications' Resend).
API_BASE_SETTINGS = {
    "hubspot": "DEALFLOW_HUBSPOT_API_BASE",
    "pipedrive": "DEALFLOW_PIPEDRIVE_API_BASE",
    "close": "DEALFLOW_CLOSE_API_BASE",
    "notion": "DEALFLOW_NOTION_API_BASE",
    "resend": "DEALFLOW_RESEND_API_BASE",
}


def emulators_installed() -> bool:
    return importlib.util.find_spec(PACKAGE) is not None


def emulator_urls(base_port: int) -> dict[str, str]:
    """Every port the written emulators listen on, as `dealflow_emulators all --base-port`
    serves them: name -> URL (`http://...`; the SMTP sink's `smtp://...` and its HTTP control
    side as `smtp-control`)."""
    if not emulators_installed():
        return {}
    registry = importlib.import_module(f"{PACKAGE}.registry")
    return {
        listener.name: f"{listener.scheme}://127.0.0.1:{listener.port}"
        for listener in registry.listeners(base_port)
    }


def emulator_ports(base_port: int) -> dict[str, int]:
    """The ports of `emulator_urls`: name -> port."""
    return {name: int(url.rsplit(":", 1)[1]) for name, url in emulator_urls(base_port).items()}


def emulator_env(urls: dict[str, str], crm_push_url: str | None) -> dict[str, str]:
    """Settings pointing crm_push and notifications at the emulators in `urls` (name -> base
    URL); the HubSpot OAuth app is the emulator's, and its redirect is crm_push's callback where
    it listens. Anything the environment sets itself is left to it."""
    env = {API_BASE_SETTINGS[name]: url for name, url in urls.items() if name in API_BASE_SETTINGS}
    if "hubspot" in urls:
        env |= {
            "DEALFLOW_HUBSPOT_AUTHORIZE_URL": f"{urls['hubspot']}/oauth/authorize",
            "DEALFLOW_HUBSPOT_CLIENT_ID": HUBSPOT_DEV_CLIENT_ID,
            "DEALFLOW_HUBSPOT_CLIENT_SECRET": HUBSPOT_DEV_CLIENT_SECRET,
        }
        if crm_push_url:
            env["DEALFLOW_HUBSPOT_REDIRECT_URI"] = f"{crm_push_url}/v1/crm/callback/hubspot"
    return {k: v for k, v in env.items() if k not in os.environ}


def send_resend_webhooks_to(urls: dict[str, str], notifications_url: str, tenant_id: str) -> None:
    """The Resend emulator posts its delivery events (sent, delivered, bounced, ...) to
    notifications' webhook of `tenant_id`, signed with the emulator's secret (the one the demo
    tenant's transport is seeded with), as Resend does once a webhook is registered."""
    answer = httpx.patch(
        f"{urls['resend']}/_emulator/config",
        json={"webhook_url": f"{notifications_url}/webhooks/resend/{tenant_id}"},
        timeout=10,
    )
    answer.raise_for_status()


class LocalEmulators:
    """The emulators' process; its output goes to `log_path`."""

    def __init__(self, base_port: int, log_path: Path, pid_files: PidFiles | None = None) -> None:
        self.base_port = base_port
        self.log_path = log_path
        self.pid_files = pid_files
        self.ports = emulator_ports(base_port)
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def urls(self) -> dict[str, str]:
        return emulator_urls(self.base_port)

    def start(self) -> None:
        for name, port in self.ports.items():
            require_free_port(port, f"the {name} emulator")
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        command = [sys.executable, "-m", PACKAGE, "all", "--base-port", str(self.base_port)]
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                command, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        if self.pid_files:
            self.pid_files.record("emulators", self.process.pid)
        deadline = time.monotonic() + 30
        for name, port in self.ports.items():
            while not _listening(port):
                if self.process.poll() is not None:
                    raise RuntimeError(
                        f"the emulators exited with code {self.process.returncode} "
                        f"(see {self.log_path})"
                    )
                if time.monotonic() > deadline:
                    raise TimeoutError(f"the {name} emulator does not listen on port {port}")
                time.sleep(0.1)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.pid_files:
            self.pid_files.forget("emulators")


def _listening(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False
