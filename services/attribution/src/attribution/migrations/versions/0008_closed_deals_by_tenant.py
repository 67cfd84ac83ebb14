"""closed deals by (tenant, deal id): a tenant recompute's keyset walk

Revision ID: 0008_closed_deals_by_tenant
Revises: 0007_report_credits
"""

from alembic import op

revision = "0008_closed_deals_by_tenant"
down_revision = "0007_report_credits"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_closed_deals_tenant", "closed_deals", ["tenant_id", "deal_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_closed_deals_tenant", table_name="closed_deals")
