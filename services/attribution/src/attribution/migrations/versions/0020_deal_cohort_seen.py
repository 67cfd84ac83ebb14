"""deal_states.cohort_seen_at: the latest first-seen of the deal's account leads up to its creation

Revision ID: 0020_deal_cohort_seen
Revises: 0019_report_deals

The cohort funnel counts a deal when a lead of its account was first seen in the window, at or
before the deal's creation. It found those deals by unnesting the account of every lead of the
cohort (27 ms at a year, 70-80 ms over ten, 100,000 leads). That holds exactly when the latest
such first-seen is in the window (unless it is after the window's end: `cohort_deals_query`
decides those few from the leads), so each deal keeps it, kept by triggers on leads (a lead's
first-seen or account changed) and on deal_states (a deal created or its creation moved), and
the cohort's deals are a range of ix_deal_states_cohort.
"""

import sqlalchemy as sa
from alembic import op

revision = "0020_deal_cohort_seen"
down_revision = "0019_report_deals"
branch_labels = None
depends_on = None

# The value for the deal rows `d`: the account's leads found by ix_leads_deals (GIN).
_SEEN = """(SELECT max(l.first_seen_at) FROM leads l WHERE l.tenant_id = d.tenant_id
    AND l.deal_ids @> ARRAY[d.deal_id] AND l.first_seen_at <= d.created_at)"""


def _of_leads(tables: tuple[str, ...]) -> str:
    """The deals in the accounts of the leads in `tables` (transition tables) set again."""
    accounts = " UNION ".join(
        f"SELECT tenant_id, unnest(deal_ids) AS deal_id FROM {table}"  # noqa: S608
        for table in tables
    )
    return f"""
        UPDATE deal_states d SET cohort_seen_at = {_SEEN}
        FROM ({accounts}) a WHERE d.deal_id = a.deal_id AND d.tenant_id = a.tenant_id;
    """  # noqa: S608 - our own SQL constants


# A deal written: its own value (not when the leads' trigger is the writer, which set it).
_OF_DEALS = f"""
    IF pg_trigger_depth() > 1 THEN RETURN NULL; END IF;
    UPDATE deal_states d SET cohort_seen_at = {_SEEN}
    FROM new_deals n WHERE d.deal_id = n.deal_id;
"""  # noqa: S608 - our own SQL constants

_TRIGGERS = {
    "deal_cohort_leads_added": (
        "leads", "INSERT", "REFERENCING NEW TABLE AS new_leads", _of_leads(("new_leads",))
    ),
    "deal_cohort_leads_changed": (
        "leads",
        "UPDATE",
        "REFERENCING OLD TABLE AS old_leads NEW TABLE AS new_leads",
        _of_leads(("old_leads", "new_leads")),
    ),
    "deal_cohort_leads_removed": (
        "leads", "DELETE", "REFERENCING OLD TABLE AS old_leads", _of_leads(("old_leads",))
    ),
    "deal_cohort_deals_added": (
        "deal_states", "INSERT", "REFERENCING NEW TABLE AS new_deals", _OF_DEALS
    ),
    "deal_cohort_deals_changed": (
        "deal_states", "UPDATE", "REFERENCING NEW TABLE AS new_deals", _OF_DEALS
    ),
}  # fmt: skip


def upgrade() -> None:
    op.add_column(
        "deal_states", sa.Column("cohort_seen_at", sa.TIMESTAMP(timezone=True), nullable=True)
    )
    op.execute(f"UPDATE deal_states d SET cohort_seen_at = {_SEEN}")  # noqa: S608
    op.create_index("ix_deal_states_cohort", "deal_states", ["tenant_id", "cohort_seen_at"])
    for name, (table, event, transition, body) in _TRIGGERS.items():
        op.execute(
            f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$"
            f" BEGIN {body} RETURN NULL; END $$"
        )
        op.execute(
            f"CREATE TRIGGER {name} AFTER {event} ON {table} {transition}"
            f" FOR EACH STATEMENT EXECUTE FUNCTION {name}()"
        )


def downgrade() -> None:
    for name, (table, *_) in _TRIGGERS.items():
        op.execute(f"DROP TRIGGER {name} ON {table}")
        op.execute(f"DROP FUNCTION {name}()")
    op.drop_index("ix_deal_states_cohort", table_name="deal_states")
    op.drop_column("deal_states", "cohort_seen_at")
