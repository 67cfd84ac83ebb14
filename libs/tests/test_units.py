"""Pure pieces of libs: CloudEvents binding, secret redaction, settings, cursors, error kinds."""

import logging
import uuid
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace

import orjson
import pytest
from pydantic import SecretStr

from dealflow_libs.cloudevents import EnvelopeError, envelope_from_kafka, new_envelope
from dealflow_libs.devstack.broker import LocalBroker
from dealflow_libs.devstack.stack import LOCAL_BROKER_TIMINGS, Stack
from dealflow_libs.errors import PermanentError, is_permanent, is_transient
from dealflow_libs.http import ApiError
from dealflow_libs.logging import JsonFormatter
from dealflow_libs.pagination import after_cursor, decode_cursor, encode_cursor, page_of
from dealflow_libs.settings import CommonSettings, asyncpg_url, service_database_url
from dealflow_schemas.tenants import TenantChanged

EVENT = TenantChanged(
    tenant_id="acme",
    name="Acme",
    api_key_hashes=["ab"],
    changed_at=datetime(2026, 1, 1, tzinfo=UTC),
)


class TestCloudEvents:
    def test_kafka_headers_round_trip(self) -> None:
        envelope = new_envelope(
            EVENT,
            source="dealflow/test",
            tenant_id="acme",
            subject="acme",
            extensions={"replayof": "x"},
        )
        back = envelope_from_kafka(envelope.kafka_headers(), envelope.data)
        assert back == envelope
        headers = dict(envelope.kafka_headers())
        assert headers["ce_specversion"] == b"1.0"
        assert headers["ce_type"] == b"dealflow.tenant.changed.v1"
        assert headers["ce_tenantid"] == b"acme"
        assert headers["content-type"] == b"application/json"
        assert back.parse(TenantChanged) == EVENT

    def test_record_without_ce_headers_is_rejected_naming_them(self) -> None:
        with pytest.raises(EnvelopeError, match="ce_id, ce_type, ce_source, ce_tenantid"):
            envelope_from_kafka([], b"{}")

    def test_bad_time_is_rejected(self) -> None:
        headers = [
            (k, v)
            for k, v in new_envelope(EVENT, source="s", tenant_id="t").kafka_headers()
            if k != "ce_time"
        ]
        with pytest.raises(EnvelopeError, match="ce_time"):
            envelope_from_kafka([*headers, ("ce_time", b"yesterday")], b"{}")


class TestRedaction:
    def format(self, message: str, **extra: object) -> dict:
        record = logging.LogRecord("x", logging.INFO, __file__, 1, message, None, None)
        for key, value in extra.items():
            setattr(record, key, value)
        return orjson.loads(JsonFormatter("svc").format(record))

    def test_secret_named_fields_are_redacted(self) -> None:
        entry = self.format(
            "hi", api_key="k", calcom_secret="s", headers={"authorization": "Bearer x", "host": "h"}
        )
        assert entry["api_key"] == "[redacted]"
        assert entry["calcom_secret"] == "[redacted]"
        assert entry["headers"] == {"authorization": "[redacted]", "host": "h"}

    def test_url_passwords_are_redacted(self) -> None:
        entry = self.format(
            "connecting to postgresql://app:hunter2@db/x", target="postgresql://app:hunter2@db/x"
        )
        assert "hunter2" not in orjson.dumps(entry).decode()


class TestSettings:
    def test_each_service_gets_its_own_database(self) -> None:
        settings = CommonSettings(database_url=SecretStr("postgresql://u:p@db:5432/postgres"))
        assert (
            service_database_url(settings, "meetings", None)
            == "postgresql://u:p@db:5432/dealflow_meetings"
        )

    def test_explicit_database_wins(self) -> None:
        settings = CommonSettings()
        assert (
            service_database_url(settings, "meetings", SecretStr("postgresql://x/y"))
            == "postgresql://x/y"
        )

    def test_driver_is_added(self) -> None:
        assert asyncpg_url("postgresql://u@h/d") == "postgresql+asyncpg://u@h/d"

    def test_database_url_is_not_printed(self) -> None:
        settings = CommonSettings(database_url=SecretStr("postgresql://u:pw-x9q2@db/x"))
        assert "pw-x9q2" not in repr(settings)


class TestCursor:
    def test_round_trip(self) -> None:
        assert decode_cursor(encode_cursor("2026-01-01T00:00:00+00:00", "id-1"), 2) == [
            "2026-01-01T00:00:00+00:00",
            "id-1",
        ]

    @pytest.mark.parametrize("cursor", ["%%%", "bm90IGpzb24", encode_cursor("only-one")])
    def test_foreign_cursor_is_a_400(self, cursor: str) -> None:
        with pytest.raises(ApiError) as caught:
            decode_cursor(cursor, 2)
        assert caught.value.status == 400


class TestPages:
    def test_after_cursor_parses_both_parts(self) -> None:
        at = datetime(2026, 1, 1, tzinfo=UTC)
        last = uuid.uuid4()
        assert after_cursor(encode_cursor(at.isoformat(), str(last)), datetime.fromisoformat) == (
            at,
            last,
        )
        assert after_cursor(None, datetime.fromisoformat) is None

    @pytest.mark.parametrize(
        "values", [("not-a-date", str(uuid.uuid4())), ("2026-01-01T00:00:00+00:00", "not-a-uuid")]
    )
    def test_well_formed_cursor_with_bad_values_is_a_400(self, values: tuple[str, str]) -> None:
        with pytest.raises(ApiError) as caught:
            after_cursor(encode_cursor(*values), datetime.fromisoformat)
        assert caught.value.status == 400

    def test_page_of_gives_a_cursor_only_when_there_is_more(self) -> None:
        rows = [SimpleNamespace(id=uuid.uuid4(), key=str(i)) for i in range(3)]
        page, cursor = page_of(rows, 2, lambda r: r.key)
        assert page == rows[:2]
        assert decode_cursor(cursor or "", 2) == ["1", str(rows[1].id)]
        assert page_of(rows, 3, lambda r: r.key) == (rows, None)


class TestErrorKinds:
    def test_classification(self) -> None:
        assert is_transient(ConnectionRefusedError())
        assert is_transient(TimeoutError())
        assert not is_transient(ValueError())
        assert is_permanent(PermanentError())
        assert not is_permanent(ConnectionRefusedError())


class TestLocalBrokerTimings:
    def stack(self, *, local_broker: bool) -> Stack:
        broker = LocalBroker(9, Path("broker.log")) if local_broker else None
        return Stack(database_url="postgresql://db", kafka_bootstrap="k:9", broker=broker)

    def test_services_of_the_local_broker_get_its_timings_unless_the_environment_sets_them(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        for name in LOCAL_BROKER_TIMINGS:
            monkeypatch.delenv(name, raising=False)
        monkeypatch.setenv("DEALFLOW_KAFKA_FETCH_MAX_WAIT_MS", "7")
        env = self.stack(local_broker=True).env()
        assert "DEALFLOW_KAFKA_FETCH_MAX_WAIT_MS" not in env  # the environment's 7 stays
        assert (
            env["DEALFLOW_KAFKA_SESSION_TIMEOUT_MS"]
            == LOCAL_BROKER_TIMINGS["DEALFLOW_KAFKA_SESSION_TIMEOUT_MS"]
        )
        assert CommonSettings().kafka_fetch_max_wait_ms == 7

    def test_a_given_broker_keeps_the_kafka_defaults(self) -> None:
        env = self.stack(local_broker=False).env()
        assert not set(env) & set(LOCAL_BROKER_TIMINGS)
        defaults = CommonSettings.model_fields
        assert defaults["kafka_session_timeout_ms"].default == 10_000
        assert defaults["kafka_fetch_max_wait_ms"].default == 500
