"""report_credits indexed by currency: a channel report reads only its own currency's partial
days and the other currencies' credits, not every credit in its window

Revision ID: 0012_report_credits_by_currency
Revises: 0011_report_daily
"""

from alembic import op

revision = "0012_report_credits_by_currency"
down_revision = "0011_report_daily"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_report_credits_currency",
        "report_credits",
        ["tenant_id", "model", "currency", "conversion_at"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_report_credits_currency", table_name="report_credits")
