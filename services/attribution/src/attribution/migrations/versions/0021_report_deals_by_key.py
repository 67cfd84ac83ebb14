"""report_deals' add trigger finds each deal's row by its key

Revision ID: 0021_report_deals_by_key
Revises: 0020_deal_cohort_seen

0019's trigger updated the rows of deals whose new runs agree with them by a join on the deal
and on its close, value and currency. Before the table has statistics (a first recompute, a bulk
load) the planner took ix_report_deals_close for it and read every deal closing at the same
instant once per deal: quadratic when many deals share a close (20,000 deals closing together:
the last batch's update took 1.35 s of the batch's 1.5 s). The close, value and currency are now
compared with IS NOT DISTINCT FROM, which no index serves (all three are NOT NULL, so it means
`=` here): the deal's key is the only indexable condition left.
"""

from alembic import op

from attribution.migrations.revisions import revision_module

revision = "0021_report_deals_by_key"
down_revision = "0020_deal_cohort_seen"
branch_labels = None
depends_on = None

SAME_RUNS = (
    "d.uniform AND n.uniform AND (d.value_minor, d.currency, d.first_close)"
    " IS NOT DISTINCT FROM (n.value_minor, n.currency, n.first_close)"
)


def _replace_add(same_runs: str) -> None:
    body = revision_module("0019_report_deals.py").add_body(same_runs)
    op.execute(
        "CREATE OR REPLACE FUNCTION report_deals_add() RETURNS trigger LANGUAGE plpgsql AS $$"
        f" BEGIN {body} RETURN NULL; END $$"
    )


def upgrade() -> None:
    _replace_add(SAME_RUNS)


def downgrade() -> None:
    _replace_add(revision_module("0019_report_deals.py").SAME_RUNS)
