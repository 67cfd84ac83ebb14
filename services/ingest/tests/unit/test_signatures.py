import json

import pytest

from ingest import samples
from ingest.domain.signatures import sign_calcom, sign_calendly, verify_calcom, verify_calendly

SECRET = "test-secret-do-not-use"


def compact(name: str) -> bytes:
    body = samples.load(name)
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()


class TestCalcom:
    def test_known_vector(self) -> None:
        body = compact("calcom_ping")
        assert len(body) == 444
        expected = "0a1074435317ede3040ae2da0fc307e473a8987e22de87089fd04cf44e65ef25"
        assert sign_calcom(body, SECRET) == expected
        assert verify_calcom(body, expected, [SECRET]).ok

    def test_uppercase_hex_and_whitespace_accepted(self) -> None:
        body = b'{"a":1}'
        assert verify_calcom(body, f" {sign_calcom(body, SECRET).upper()} ", [SECRET]).ok

    def test_tampered_body_rejected(self) -> None:
        body = compact("calcom_ping")
        check = verify_calcom(body.replace(b"John", b"Jane"), sign_calcom(body, SECRET), [SECRET])
        assert not check.ok
        assert "does not match" in check.problem

    def test_wrong_secret_rejected(self) -> None:
        body = b'{"a":1}'
        assert not verify_calcom(body, sign_calcom(body, "other"), [SECRET]).ok

    @pytest.mark.parametrize("header", [None, ""])
    def test_missing_header_rejected(self, header: str | None) -> None:
        check = verify_calcom(b"{}", header, [SECRET])
        assert not check.ok
        assert "missing x-cal-signature-256" in check.problem

    def test_no_secret_provided_rejected(self) -> None:
        check = verify_calcom(b"{}", "no-secret-provided", [SECRET])
        assert not check.ok
        assert "no-secret-provided" in check.problem

    def test_either_of_two_rotating_secrets_accepted(self) -> None:
        body = b'{"a":1}'
        assert verify_calcom(body, sign_calcom(body, "old"), ["new", "old"]).ok
        assert verify_calcom(body, sign_calcom(body, "new"), ["new", "old"]).ok

    def test_tenant_without_secret_rejects_everything(self) -> None:
        assert not verify_calcom(b"{}", sign_calcom(b"{}", ""), []).ok


class TestCalendly:
    T = 1741772487

    def test_known_vector(self) -> None:
        body = compact("calendly_invitee_created")
        assert len(body) == 2359
        header = "t=1741772487,v1=d91f84ed944555c02def7497eeda5ce1762aaa458922b1ba5d14eab566b5a0af"
        assert sign_calendly(body, SECRET, self.T) == header
        assert verify_calendly(body, header, [SECRET], now=self.T + 10).ok

    def test_expired_timestamp_rejected(self) -> None:
        body = b'{"a":1}'
        header = sign_calendly(body, SECRET, self.T)
        check = verify_calendly(body, header, [SECRET], now=self.T + 181)
        assert not check.ok
        assert "tolerance" in check.problem
        assert verify_calendly(body, header, [SECRET], now=self.T + 180).ok

    def test_future_timestamp_beyond_tolerance_rejected(self) -> None:
        body = b'{"a":1}'
        header = sign_calendly(body, SECRET, self.T)
        assert not verify_calendly(body, header, [SECRET], now=self.T - 500).ok

    def test_configurable_tolerance(self) -> None:
        body = b"{}"
        header = sign_calendly(body, SECRET, self.T)
        assert verify_calendly(body, header, [SECRET], now=self.T + 290, tolerance_seconds=300).ok

    def test_tampered_body_rejected(self) -> None:
        body = compact("calendly_invitee_created")
        header = sign_calendly(body, SECRET, self.T)
        assert not verify_calendly(body + b" ", header, [SECRET], now=self.T).ok

    def test_timestamp_is_signed(self) -> None:
        body = b"{}"
        forged = sign_calendly(body, SECRET, self.T).replace(f"t={self.T}", f"t={self.T + 60}")
        assert not verify_calendly(body, forged, [SECRET], now=self.T + 60).ok

    @pytest.mark.parametrize(
        "header", [None, "", "v1=abc", "t=abc,v1=ff", "t=1741772487", "garbage"]
    )
    def test_malformed_header_rejected(self, header: str | None) -> None:
        assert not verify_calendly(b"{}", header, [SECRET], now=self.T).ok

    def test_second_secret_accepted_during_rotation(self) -> None:
        body = b"{}"
        assert verify_calendly(
            body, sign_calendly(body, "old", self.T), ["new", "old"], now=self.T
        ).ok

    @pytest.mark.parametrize("timestamp", ["²", "1741772487²", "٣", "9" * 5000])
    def test_timestamp_of_other_digits_rejected(self, timestamp: str) -> None:
        presented = sign_calendly(b"{}", SECRET, self.T).split(",", 1)[1]
        check = verify_calendly(b"{}", f"t={timestamp},{presented}", [SECRET], now=self.T)
        assert not check.ok
        assert "t=<unix>" in check.problem


class TestNonAsciiHeaders:
    """Headers arrive decoded as latin-1: any byte can be a character there."""

    def test_calcom(self) -> None:
        assert not verify_calcom(b"{}", "é" + sign_calcom(b"{}", SECRET)[1:], [SECRET]).ok

    def test_calendly(self) -> None:
        header = f"t={TestCalendly.T},v1=" + "é" * 64
        assert not verify_calendly(b"{}", header, [SECRET], now=TestCalendly.T).ok
