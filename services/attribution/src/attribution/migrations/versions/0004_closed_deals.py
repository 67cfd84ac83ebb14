"""closed deals (what a recompute needs, indexed for late touches); touches by email domain

Revision ID: 0004_closed_deals
Revises: 0003_attribution_runs
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from dealflow_libs.domains import normalise_email, registrable_domain

revision = "0004_closed_deals"
down_revision = "0003_attribution_runs"
branch_labels = None
depends_on = None


def _email_domain(email: str) -> str | None:
    normalised = normalise_email(email)
    return registrable_domain(normalised.partition("@")[2]) if normalised else None


def upgrade() -> None:
    op.add_column("touches", sa.Column("email_domain", sa.Text(), nullable=True))
    connection = op.get_bind()
    emails = connection.execute(sa.text("SELECT DISTINCT person_email FROM touches")).scalars()
    for email in list(emails):
        connection.execute(
            sa.text("UPDATE touches SET email_domain = :domain WHERE person_email = :email"),
            {"domain": _email_domain(email), "email": email},
        )
    op.create_index("ix_touches_domain", "touches", ["tenant_id", "email_domain"], unique=False)
    op.create_table(
        "closed_deals",
        sa.Column("deal_id", sa.UUID(), nullable=False),
        sa.Column("tenant_id", sa.Text(), nullable=False),
        sa.Column("won", sa.Boolean(), nullable=False),
        sa.Column("company_domain", sa.Text(), nullable=True),
        sa.Column(
            "linked_emails", postgresql.ARRAY(sa.Text()), server_default="{}", nullable=False
        ),
        sa.Column("value_minor", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.Text(), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("lead_created_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("deal_created_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("deal_id", name=op.f("pk_closed_deals")),
    )
    op.create_index(
        "ix_closed_deals_company", "closed_deals", ["tenant_id", "company_domain"], unique=False
    )
    op.create_index(
        "ix_closed_deals_linked",
        "closed_deals",
        ["linked_emails"],
        unique=False,
        postgresql_using="gin",
    )


def downgrade() -> None:
    op.drop_table("closed_deals")
    op.drop_index("ix_touches_domain", table_name="touches")
    op.drop_column("touches", "email_domain")
