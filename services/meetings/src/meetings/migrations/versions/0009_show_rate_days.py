"""meeting_show_rate_days: show-rate's daily rollup, kept by a trigger on meetings

Revision ID: 0009_show_rate_days
Revises: 0008_show_rate_index
"""

import sqlalchemy as sa
from alembic import op

from meetings.db.show_rate_sql import COUNTED, SHOW_RATE_DAYS

revision = "0009_show_rate_days"
down_revision = "0008_show_rate_index"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "meeting_show_rate_days",
        sa.Column("tenant_id", sa.Text(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("shard", sa.SmallInteger(), nullable=False),
        *(sa.Column(name, sa.BigInteger(), nullable=False) for name in COUNTED),
        sa.PrimaryKeyConstraint(
            "tenant_id", "day", "shard", name=op.f("pk_meeting_show_rate_days")
        ),
    )
    for statement in SHOW_RATE_DAYS.install:
        op.execute(statement)


def downgrade() -> None:
    for statement in SHOW_RATE_DAYS.drop:
        op.execute(statement)
    op.drop_table("meeting_show_rate_days")
