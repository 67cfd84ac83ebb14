"""leads: the leads read model, backfilled from the touches, bookings and deal states recorded

Revision ID: 0009_leads
Revises: 0008_closed_deals_by_tenant
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from attribution.db.leads import (
    booked_meetings,
    bookings_query,
    deal_facts,
    deals_query,
    lead_rows,
    summaries_of,
    touch_summary_query,
)
from attribution.db.tables import leads
from attribution.domain.leads import tenant_leads

revision = "0009_leads"
down_revision = "0008_closed_deals_by_tenant"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "leads",
        sa.Column("tenant_id", sa.Text(), nullable=False),
        sa.Column("email", sa.Text(collation="C"), nullable=False),
        sa.Column("company_domain", sa.Text(), nullable=True),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("first_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("first_touch_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("first_touch_channel", sa.Text(), nullable=True),
        sa.Column("last_touch_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("touches", sa.Integer(), nullable=False),
        sa.Column("meetings", sa.Integer(), nullable=False),
        sa.Column("deal_ids", postgresql.ARRAY(sa.UUID()), server_default="{}", nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "email", name=op.f("pk_leads")),
    )
    op.create_index("ix_leads_status", "leads", ["tenant_id", "status", "email"])
    op.create_index("ix_leads_company", "leads", ["tenant_id", "company_domain", "email"])
    op.create_index("ix_leads_channel", "leads", ["tenant_id", "first_touch_channel", "email"])
    op.create_index("ix_leads_first_seen", "leads", ["tenant_id", "first_seen_at"])
    op.create_index("ix_leads_deals", "leads", ["deal_ids"], postgresql_using="gin")
    op.create_index(
        "ix_meeting_bookings_attendees",
        "meeting_bookings",
        ["attendee_emails"],
        postgresql_using="gin",
    )
    op.create_index("ix_deal_states_company", "deal_states", ["tenant_id", "company_domain"])
    op.create_index("ix_deal_states_contact", "deal_states", ["tenant_id", "primary_contact_email"])
    op.create_index(
        "ix_deal_states_meetings", "deal_states", ["meeting_ids"], postgresql_using="gin"
    )
    _backfill(op.get_bind())


#: Columns of `leads` that later revisions add (0014 and 0016 fill their own from the rows).
_ADDED_LATER = frozenset(
    {"won_since_first_seen", "last_active_at", "last_booked_at", "last_won_at"}
)


def _backfill(connection: sa.Connection) -> None:
    """Every tenant's leads from what was recorded before, by the rule the service applies
    (`tenant_leads`), the same queries as the live refresh, a tenant at a time."""
    tenants = connection.execute(
        sa.text(
            "SELECT tenant_id FROM touches UNION SELECT tenant_id FROM meeting_bookings ORDER BY 1"
        )
    ).scalars()
    for tenant_id in list(tenants):
        personal = connection.execute(
            sa.text("SELECT personal_domains FROM tenants WHERE tenant_id = :t"), {"t": tenant_id}
        ).scalar()
        summaries = summaries_of(connection.execute(touch_summary_query(tenant_id)).all())
        bookings = booked_meetings(connection.execute(bookings_query(tenant_id)).all())
        deals = deal_facts(connection.execute(deals_query(tenant_id, everything=True)).all())
        found = tenant_leads(
            touches=summaries,
            bookings=bookings,
            deals=deals,
            personal_domains=tuple(personal or ()),
        )
        now = connection.execute(sa.text("SELECT now()")).scalar_one()
        # The row as the service writes it today, less the columns later revisions add.
        rows = [
            {name: value for name, value in row.items() if name not in _ADDED_LATER}
            for row in lead_rows(tenant_id, found, now)
        ]
        if rows:
            connection.execute(leads.insert(), rows)


def downgrade() -> None:
    op.drop_index("ix_deal_states_meetings", table_name="deal_states")
    op.drop_index("ix_deal_states_contact", table_name="deal_states")
    op.drop_index("ix_deal_states_company", table_name="deal_states")
    op.drop_index("ix_meeting_bookings_attendees", table_name="meeting_bookings")
    op.drop_table("leads")
