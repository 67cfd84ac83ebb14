"""deal_summaries (the pipeline's read model, kept by a trigger) and the lost-window index

Revision ID: 0007_deal_summaries
Revises: 0006_meeting_attributions
"""

import sqlalchemy as sa
from alembic import op

from deals.db import summaries_sql

revision = "0007_deal_summaries"
down_revision = "0006_meeting_attributions"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "deal_summaries",
        sa.Column("tenant_id", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("stage", sa.String(length=32), nullable=False),
        sa.Column("currency", sa.Text(), nullable=False),
        sa.Column("shard", sa.SmallInteger(), nullable=False),
        sa.Column("deals", sa.BigInteger(), nullable=False),
        sa.Column("value_sum", sa.Numeric(), nullable=False),
        sa.Column("probability_sum", sa.BigInteger(), nullable=False),
        sa.Column("weighted_sum", sa.Numeric(), nullable=False),
        sa.PrimaryKeyConstraint(
            "tenant_id", "status", "stage", "currency", "shard", name=op.f("pk_deal_summaries")
        ),
    )
    op.create_index(
        "ix_deals_tenant_lost_closed",
        "deals",
        ["tenant_id", "closed_at"],
        postgresql_include=["lost_reason", "stage_before_close", "value", "days_to_close"],
        postgresql_where=sa.text("status = 'lost'"),
    )
    for statement in summaries_sql.DEAL_SUMMARIES.install:
        op.execute(statement)


def downgrade() -> None:
    for statement in summaries_sql.DROP:
        op.execute(statement)
    op.drop_index("ix_deals_tenant_lost_closed", table_name="deals")
    op.drop_table("deal_summaries")
