"""Webhook signature schemes, verified over the raw body in constant time.

A tenant may hold two secrets at once (rotation): a delivery signed with either is genuine.
"""

import hashlib
import hmac
import re
from collections.abc import Sequence
from dataclasses import dataclass

CALCOM_HEADER = "x-cal-signature-256"
CALENDLY_HEADER = "calendly-webhook-signature"
CALCOM_UNSIGNED = "no-secret-provided"

#: Calendly's `t=`: seconds since the epoch, in ASCII digits (str.isdigit also takes "²").
_UNIX_SECONDS = re.compile(r"[0-9]{1,12}")


@dataclass(frozen=True)
class SignatureCheck:
    ok: bool
    problem: str = ""


VALID = SignatureCheck(True)


def _hmac_hex(secret: str, message: bytes) -> str:
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def _matches_any(expected_for: Sequence[str], presented: str) -> bool:
    # Bytes, because compare_digest refuses str with non-ASCII characters (a TypeError).
    # Every secret is compared (no early exit) so timing reveals nothing about which matched.
    given = presented.encode("utf-8", "replace")
    results = [hmac.compare_digest(candidate.encode(), given) for candidate in expected_for]
    return any(results)


def sign_calcom(body: bytes, secret: str) -> str:
    return _hmac_hex(secret, body)


def verify_calcom(body: bytes, header: str | None, secrets: Sequence[str]) -> SignatureCheck:
    if not secrets:
        return SignatureCheck(False, "tenant has no Cal.com secret configured")
    if not header:
        return SignatureCheck(False, f"missing {CALCOM_HEADER} header")
    presented = header.strip().lower()
    if presented == CALCOM_UNSIGNED:
        return SignatureCheck(
            False, "Cal.com sent 'no-secret-provided': set the webhook secret in Cal.com"
        )
    if not _matches_any([_hmac_hex(s, body) for s in secrets], presented):
        return SignatureCheck(False, f"{CALCOM_HEADER} does not match the body")
    return VALID


def sign_calendly(body: bytes, secret: str, timestamp: int) -> str:
    return f"t={timestamp},v1={_hmac_hex(secret, f'{timestamp}.'.encode() + body)}"


def verify_calendly(
    body: bytes,
    header: str | None,
    secrets: Sequence[str],
    *,
    now: float,
    tolerance_seconds: int = 180,
) -> SignatureCheck:
    if not secrets:
        return SignatureCheck(False, "tenant has no Calendly signing key configured")
    if not header:
        return SignatureCheck(False, f"missing {CALENDLY_HEADER} header")
    parts = dict(p.strip().split("=", 1) for p in header.split(",") if "=" in p)
    timestamp, presented = parts.get("t", ""), parts.get("v1", "").lower()
    if not _UNIX_SECONDS.fullmatch(timestamp) or not presented:
        return SignatureCheck(False, f"{CALENDLY_HEADER} must look like 't=<unix>,v1=<hex>'")
    message = f"{timestamp}.".encode() + body
    if not _matches_any([_hmac_hex(s, message) for s in secrets], presented):
        return SignatureCheck(False, f"{CALENDLY_HEADER} does not match the body")
    if abs(now - int(timestamp)) > tolerance_seconds:
        return SignatureCheck(
            False, f"signature timestamp is outside the {tolerance_seconds}s tolerance window"
        )
    return VALID


def signed_headers(provider: str, body: bytes, secret: str, *, timestamp: int) -> dict[str, str]:
    """Headers a provider would send with `body`; for the CLI, tests and benchmarks."""
    if provider == "calcom":
        return {"content-type": "application/json", CALCOM_HEADER: sign_calcom(body, secret)}
    return {
        "content-type": "application/json",
        CALENDLY_HEADER: sign_calendly(body, secret, timestamp),
    }
