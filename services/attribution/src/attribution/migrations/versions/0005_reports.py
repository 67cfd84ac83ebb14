"""reports: tenant currency rates, and meetings' and deals' latest states for the funnel

Revision ID: 0005_reports
Revises: 0004_closed_deals
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0005_reports"
down_revision = "0004_closed_deals"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "currency_rates",
        sa.Column("tenant_id", sa.Text(), nullable=False),
        sa.Column("base", sa.Text(), nullable=False),
        sa.Column("quote", sa.Text(), nullable=False),
        sa.Column("effective_from", sa.Date(), nullable=False),
        sa.Column("rate", sa.Numeric(30, 18), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint(
            "tenant_id", "base", "quote", "effective_from", name=op.f("pk_currency_rates")
        ),
    )
    op.create_table(
        "meeting_states",
        sa.Column("meeting_id", sa.UUID(), nullable=False),
        sa.Column("tenant_id", sa.Text(), nullable=False),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("scheduled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("showed_up", sa.Boolean(), nullable=True),
        sa.Column("state_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("meeting_id", name=op.f("pk_meeting_states")),
    )
    op.create_index(
        "ix_meeting_states_tenant", "meeting_states", ["tenant_id", "scheduled_at"], unique=False
    )
    op.create_table(
        "deal_states",
        sa.Column("deal_id", sa.UUID(), nullable=False),
        sa.Column("tenant_id", sa.Text(), nullable=False),
        sa.Column("company_domain", sa.Text(), nullable=True),
        sa.Column("primary_contact_email", sa.Text(), nullable=True),
        sa.Column("meeting_ids", postgresql.ARRAY(sa.UUID()), server_default="{}", nullable=False),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("stage", sa.Text(), nullable=False),
        sa.Column("value", sa.Numeric(14, 2), nullable=True),
        sa.Column("currency", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("state_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("deal_id", name=op.f("pk_deal_states")),
    )
    op.create_index(
        "ix_deal_states_created", "deal_states", ["tenant_id", "created_at"], unique=False
    )
    op.create_index(
        "ix_deal_states_closed", "deal_states", ["tenant_id", "closed_at"], unique=False
    )


def downgrade() -> None:
    op.drop_table("deal_states")
    op.drop_table("meeting_states")
    op.drop_table("currency_rates")
