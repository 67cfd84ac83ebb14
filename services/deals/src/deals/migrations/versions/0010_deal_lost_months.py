"""deal_lost_months: lost-deal analysis's monthly rollup, kept by a trigger on deals

A window of any length then sums its whole months from a few rows a month and reads only its
partial first month from ix_deals_tenant_lost_closed (it read every lost deal of the window).

Revision ID: 0010_deal_lost_months
Revises: 0009_stage_entered_at
"""

import sqlalchemy as sa
from alembic import op

from deals.db.lost_sql import LOST_MONTHS

revision = "0010_deal_lost_months"
down_revision = "0009_stage_entered_at"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "deal_lost_months",
        sa.Column("tenant_id", sa.Text(), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("lost_reason", sa.String(length=32), nullable=False),
        sa.Column("stage_left", sa.String(length=32), nullable=False),
        sa.Column("shard", sa.SmallInteger(), nullable=False),
        sa.Column("deals", sa.BigInteger(), nullable=False),
        sa.Column("value_sum", sa.Numeric(), nullable=False),
        sa.Column("days_sum", sa.BigInteger(), nullable=False),
        sa.Column("days_count", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint(
            "tenant_id",
            "month",
            "lost_reason",
            "stage_left",
            "shard",
            name=op.f("pk_deal_lost_months"),
        ),
    )
    for statement in LOST_MONTHS.install:
        op.execute(statement)


def downgrade() -> None:
    for statement in LOST_MONTHS.drop:
        op.execute(statement)
    op.drop_table("deal_lost_months")
