"""tenants: personal mailbox domains, a tenant-wide setting announced to every service

Revision ID: 0003_tenant_personal_domains
Revises: 0002_sealed_secrets
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0003_tenant_personal_domains"
down_revision = "0002_sealed_secrets"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "tenants",
        sa.Column(
            "personal_domains", postgresql.ARRAY(sa.Text()), server_default="{}", nullable=False
        ),
    )


def downgrade() -> None:
    op.drop_column("tenants", "personal_domains")
