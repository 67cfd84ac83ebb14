"""The settings `make run` and the e2e harness give the services to reach the emulators."""

import pytest

from dealflow_libs.devstack.emulators import emulator_env

URLS = {
    "hubspot": "http://127.0.0.1:9201",
    "notion": "http://127.0.0.1:9204",
    "resend": "http://127.0.0.1:9205",
    "smtp": "smtp://127.0.0.1:9206",
}


def test_crm_push_and_notifications_are_pointed_at_their_emulators(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("DEALFLOW_RESEND_API_BASE", raising=False)
    monkeypatch.delenv("DEALFLOW_HUBSPOT_API_BASE", raising=False)

    env = emulator_env(URLS, "http://127.0.0.1:8104")

    assert env["DEALFLOW_RESEND_API_BASE"] == "http://127.0.0.1:9205"
    assert env["DEALFLOW_HUBSPOT_API_BASE"] == "http://127.0.0.1:9201"
    assert env["DEALFLOW_NOTION_API_BASE"] == "http://127.0.0.1:9204"
    assert not any(v.startswith("smtp://") for v in env.values())


def test_what_the_environment_sets_itself_wins(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DEALFLOW_RESEND_API_BASE", "https://api.resend.com")

    assert "DEALFLOW_RESEND_API_BASE" not in emulator_env(URLS, None)
