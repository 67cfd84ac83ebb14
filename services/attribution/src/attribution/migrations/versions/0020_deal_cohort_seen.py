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

# Every deal's value at once: each lead paired with its account's deals (the same rule as
# `db.reporting.refresh_cohort_seen`, which the funnel tests hold to the row-by-row definition).
_FILL = """
    UPDATE deal_states d SET cohort_seen_at = s.seen
    FROM (SELECT x.deal_id, max(l.first_seen_at) AS seen
          FROM deal_states x
          JOIN (SELECT tenant_id, first_seen_at, unnest(deal_ids) AS deal_id FROM leads) l
            ON l.deal_id = x.deal_id AND l.tenant_id = x.tenant_id
               AND l.first_seen_at <= x.created_at
          GROUP BY x.deal_id) s
    WHERE d.deal_id = s.deal_id
"""


def upgrade() -> None:
    op.add_column(
        "deal_states", sa.Column("cohort_seen_at", sa.TIMESTAMP(timezone=True), nullable=True)
    )
    op.execute(_FILL)
    op.create_index("ix_deal_states_cohort", "deal_states", ["tenant_id", "cohort_seen_at"])


def downgrade() -> None:
    op.drop_index("ix_deal_states_cohort", table_name="deal_states")
    op.drop_column("deal_states", "cohort_seen_at")
