"""keep published outbox rows with their Kafka partition and offset (republished if the broker
loses them)

Revision ID: 0003_outbox_retention
Revises: 0002_tenant_personal_domains
"""

import sqlalchemy as sa
from alembic import op

revision = "0003_outbox_retention"
down_revision = "0002_tenant_personal_domains"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("outbox", sa.Column("published_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("outbox", sa.Column("kafka_partition", sa.Integer(), nullable=True))
    op.add_column("outbox", sa.Column("kafka_offset", sa.BigInteger(), nullable=True))
    op.create_index(
        "ix_outbox_pending", "outbox", ["id"], postgresql_where=sa.text("published_at IS NULL")
    )
    op.create_table(
        "outbox_positions",
        sa.Column("topic", sa.Text(), nullable=False),
        sa.Column("kafka_partition", sa.Integer(), nullable=False),
        sa.Column("kafka_offset", sa.BigInteger(), nullable=False),
        sa.Column("event_id", sa.Text(), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("topic", "kafka_partition", name=op.f("pk_outbox_positions")),
    )


def downgrade() -> None:
    # Earlier versions keep only unpublished rows.
    op.drop_table("outbox_positions")
    op.execute("DELETE FROM outbox WHERE published_at IS NOT NULL")
    op.drop_index("ix_outbox_pending", table_name="outbox")
    op.drop_column("outbox", "kafka_offset")
    op.drop_column("outbox", "kafka_partition")
    op.drop_column("outbox", "published_at")
