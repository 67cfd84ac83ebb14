"""deal_summaries: one advisory lock per writing transaction (its shard), not one per tenant

A transaction touching several tenants took their (tenant, shard) locks statement by statement,
so two such transactions on the same shard could take them in opposite orders; one lock per
shard cannot.

Revision ID: 0008_deal_summaries_one_lock
Revises: 0007_deal_summaries
"""

from alembic import op

from deals.db import summaries_sql

revision = "0008_deal_summaries_one_lock"
down_revision = "0007_deal_summaries"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(summaries_sql.CREATE_FUNCTION)


def downgrade() -> None:
    """The 0007 function differs only in its lock key; this one is as safe under 0007."""
