"""channel_rule_versions: every version of a tenant's channel rules, append-only

Rules a tenant kept in its `settings` (`channel_rules`) before move here, so they have one home.

Revision ID: 0006_channel_rule_versions
Revises: 0005_reports
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from attribution.domain.channels import RuleSet

revision = "0006_channel_rule_versions"
down_revision = "0005_reports"
branch_labels = None
depends_on = None


def upgrade() -> None:
    versions = op.create_table(
        "channel_rule_versions",
        sa.Column("tenant_id", sa.Text(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("digest", sa.Text(), nullable=False),
        sa.Column("content", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "version", name=op.f("pk_channel_rule_versions")),
    )
    bind = op.get_bind()
    kept = bind.execute(
        sa.text(
            "SELECT tenant_id, settings->'channel_rules' FROM tenants"
            " WHERE settings->'channel_rules' IS NOT NULL"
        )
    ).all()
    for tenant_id, data in kept:
        rules = RuleSet.from_dict(data)
        bind.execute(
            versions.insert().values(
                tenant_id=tenant_id,
                version=rules.version,
                digest=rules.digest,
                content=rules.to_dict(with_version=False),
                created_at=sa.func.now(),
            )
        )
    bind.execute(
        sa.text(
            "UPDATE tenants SET settings = settings - 'channel_rules'"
            " WHERE settings->'channel_rules' IS NOT NULL"
        )
    )


def downgrade() -> None:
    op.execute(
        """
        UPDATE tenants t
        SET settings = t.settings || jsonb_build_object(
            'channel_rules', v.content || jsonb_build_object('version', v.version))
        FROM (
            SELECT DISTINCT ON (tenant_id) tenant_id, version, content
            FROM channel_rule_versions ORDER BY tenant_id, version DESC
        ) v
        WHERE v.tenant_id = t.tenant_id
        """
    )
    op.drop_table("channel_rule_versions")
