"""seal webhook secrets stored in plain text by earlier versions

Revision ID: 0002_sealed_secrets
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

from dealflow_libs.secretbox import PREFIX
from dealflow_libs.settings import CommonSettings
from ingest import credentials

revision = "0002_sealed_secrets"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    conn = op.get_bind()
    rows = conn.execute(
        sa.text("SELECT tenant_id, calcom_secrets, calendly_secrets FROM tenants FOR UPDATE")
    ).all()
    plain = [r for r in rows if any(not s.startswith(f"{PREFIX}:") for s in [*r[1], *r[2]])]
    if not plain:
        return
    box = CommonSettings().secret_box()  # a clear error when DEALFLOW_SECRET_KEYS is missing
    for tenant_id, calcom, calendly in plain:
        conn.execute(
            sa.text(
                "UPDATE tenants SET calcom_secrets = :calcom, calendly_secrets = :calendly "
                "WHERE tenant_id = :tenant_id"
            ),
            {
                "tenant_id": tenant_id,
                "calcom": [_sealed(box, tenant_id, "calcom", s) for s in calcom],
                "calendly": [_sealed(box, tenant_id, "calendly", s) for s in calendly],
            },
        )


def _sealed(box, tenant_id: str, kind: credentials.SecretKind, secret: str) -> str:  # type: ignore[no-untyped-def]
    return (
        secret
        if secret.startswith(f"{PREFIX}:")
        else credentials.seal(box, tenant_id, kind, secret)
    )


def downgrade() -> None:
    raise NotImplementedError("secrets stay sealed; open them with `dealflow keys` tooling")
