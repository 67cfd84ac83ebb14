"""the funnel's cohort facts on the leads row: won since first seen, in ix_leads_first_seen

Revision ID: 0014_leads_cohort_facts
Revises: 0013_funnel_windows

The cohort funnel counted its leads by sending every lead first seen in the window to Python
with every deal of their accounts. `won_since_first_seen` (a deal of the lead's account created
at or after the lead was first seen is won: `domain.funnel.won_since`) is kept with the rest of
the row by the unit of work that derives leads; with `meetings` it is included in
ix_leads_first_seen, so the cohort's lead counts are an index-only scan. Filled here from the
rows (the account is the row's deal_ids).
"""

import sqlalchemy as sa
from alembic import op

revision = "0014_leads_cohort_facts"
down_revision = "0013_funnel_windows"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "leads",
        sa.Column("won_since_first_seen", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    op.execute(
        """
        UPDATE leads SET won_since_first_seen = true
        WHERE EXISTS (
            SELECT 1 FROM deal_states d
            WHERE d.deal_id = ANY (leads.deal_ids) AND d.tenant_id = leads.tenant_id
              AND d.status = 'won' AND d.created_at >= leads.first_seen_at
        )
        """
    )
    op.drop_index("ix_leads_first_seen", table_name="leads")
    op.create_index(
        "ix_leads_first_seen",
        "leads",
        ["tenant_id", "first_seen_at"],
        postgresql_include=["meetings", "won_since_first_seen"],
    )


def downgrade() -> None:
    op.drop_index("ix_leads_first_seen", table_name="leads")
    op.create_index("ix_leads_first_seen", "leads", ["tenant_id", "first_seen_at"])
    op.drop_column("leads", "won_since_first_seen")
