"""attribution runs (append-only), their voids, and closed deals' channel paths

Revision ID: 0003_attribution_runs
Revises: 0002_meeting_bookings
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0003_attribution_runs"
down_revision = "0002_meeting_bookings"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "attribution_runs",
        sa.Column("run_id", sa.UUID(), nullable=False),
        sa.Column("seq", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("tenant_id", sa.Text(), nullable=False),
        sa.Column("deal_id", sa.UUID(), nullable=False),
        sa.Column("model", sa.Text(), nullable=False),
        sa.Column("parameters", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("rule_version", sa.Integer(), nullable=False),
        sa.Column("rule_digest", sa.Text(), nullable=False),
        sa.Column("window", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("conversion_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("value_minor", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.Text(), nullable=False),
        sa.Column("input_hash", sa.Text(), nullable=False),
        sa.Column("supersedes", sa.UUID(), nullable=True),
        sa.Column("result", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("caused_by", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("run_id", name=op.f("pk_attribution_runs")),
        sa.UniqueConstraint("seq", name=op.f("uq_attribution_runs_seq")),
    )
    op.create_index(
        "ix_attribution_runs_deal",
        "attribution_runs",
        ["tenant_id", "deal_id", "model", "seq"],
        unique=False,
    )
    op.create_table(
        "run_voids",
        sa.Column("run_id", sa.UUID(), nullable=False),
        sa.Column("tenant_id", sa.Text(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("caused_by", sa.Text(), nullable=True),
        sa.Column("voided_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("run_id", name=op.f("pk_run_voids")),
    )
    op.create_table(
        "deal_journeys",
        sa.Column("deal_id", sa.UUID(), nullable=False),
        sa.Column("tenant_id", sa.Text(), nullable=False),
        sa.Column("channels", postgresql.ARRAY(sa.Text()), nullable=False),
        sa.Column("converted", sa.Boolean(), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("deal_id", name=op.f("pk_deal_journeys")),
    )
    op.create_index(
        op.f("ix_deal_journeys_tenant_id"), "deal_journeys", ["tenant_id"], unique=False
    )


def downgrade() -> None:
    op.drop_table("deal_journeys")
    op.drop_table("run_voids")
    op.drop_table("attribution_runs")
