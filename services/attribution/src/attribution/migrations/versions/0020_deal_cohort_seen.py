"""deal_states.cohort_seen_at: the latest first-seen of the deal's account leads up to its creation

Revision ID: 0020_deal_cohort_seen
Revises: 0019_report_deals

The cohort funnel counts a deal when a lead of its account was first seen in the window, at or
before the deal's creation. It found those deals by unnesting the account of every lead of the
cohort (27 ms at a year, 70-80 ms over ten, 100,000 leads). That holds exactly when the latest
such first-seen is in the window (unless it is after the window's end: `cohort_deals_query`
decides those few from the leads), so each deal keeps it, set again by the unit of work that
writes leads (a lead's first-seen or account changed) or deal states (a deal created or its
creation moved): `db.reporting.refresh_cohort_seen`. The cohort's deals are then a range of
ix_deal_states_cohort. Filled here for the rows there are.
"""

import sqlalchemy as sa
from alembic import op

revision = "0020_deal_cohort_seen"
down_revision = "0019_report_deals"
branch_labels = None
depends_on = None

# The value for the deal rows `d`: the account's leads found by ix_leads_deals (GIN); the same
# as `db.reporting.refresh_cohort_seen` (a test compares them through check-summaries).
_SEEN = """(SELECT max(l.first_seen_at) FROM leads l WHERE l.tenant_id = d.tenant_id
    AND l.deal_ids @> ARRAY[d.deal_id] AND l.first_seen_at <= d.created_at)"""


def upgrade() -> None:
    op.add_column(
        "deal_states", sa.Column("cohort_seen_at", sa.TIMESTAMP(timezone=True), nullable=True)
    )
    op.execute(f"UPDATE deal_states d SET cohort_seen_at = {_SEEN}")  # noqa: S608
    op.create_index("ix_deal_states_cohort", "deal_states", ["tenant_id", "cohort_seen_at"])


def downgrade() -> None:
    op.drop_index("ix_deal_states_cohort", table_name="deal_states")
    op.drop_column("deal_states", "cohort_seen_at")
