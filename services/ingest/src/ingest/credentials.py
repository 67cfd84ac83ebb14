"""Webhook signing secrets are stored sealed (dealflow_libs.secretbox), bound to tenant and kind."""

from collections.abc import Sequence
from typing import Literal

from dealflow_libs.secretbox import SecretBox

SecretKind = Literal["calcom", "calendly"]


def _context(tenant_id: str, kind: SecretKind) -> str:
    return f"ingest/tenant/{tenant_id}/{kind}_secret"


def seal(box: SecretBox, tenant_id: str, kind: SecretKind, secret: str) -> str:
    return box.seal(secret, context=_context(tenant_id, kind))


def open_all(box: SecretBox, tenant_id: str, kind: SecretKind, sealed: Sequence[str]) -> list[str]:
    return box.open_all(sealed, context=_context(tenant_id, kind))


def reseal_all(
    box: SecretBox, tenant_id: str, kind: SecretKind, sealed: Sequence[str]
) -> list[str]:
    return box.reseal_all(sealed, context=_context(tenant_id, kind))
