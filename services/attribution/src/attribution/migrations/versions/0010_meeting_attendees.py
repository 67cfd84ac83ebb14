"""meeting_attendees: who booked or attends each booking, one row per person, kept by a trigger

Revision ID: 0010_meeting_attendees
Revises: 0009_leads

A lead's meetings were found by the GIN index on meeting_bookings.attendee_emails; for many
people at once (a touch batch, a deal at a large company) PostgreSQL estimates `&&` with a long
array badly and scans every booking of the tenant against the whole array (0.7 s for 2,000
people among 34,000 bookings). One row per (tenant, email, meeting) under a btree finds them by
`email = ANY(...)`. A trigger on meeting_bookings keeps it, so every way a booking is written
(the consumer, a rebuild, COPY) fills it.
"""

import sqlalchemy as sa
from alembic import op

revision = "0010_meeting_attendees"
down_revision = "0009_leads"
branch_labels = None
depends_on = None

TRIGGERS = [
    """
    CREATE FUNCTION attribution_meeting_attendees() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        INSERT INTO meeting_attendees (tenant_id, email, meeting_id)
        SELECT DISTINCT b.tenant_id, e.email, b.meeting_id
        FROM new_bookings b, unnest(b.attendee_emails) AS e(email)
        ON CONFLICT DO NOTHING;
        RETURN NULL;
    END $$
    """,
    """
    CREATE TRIGGER meeting_bookings_attendees AFTER INSERT ON meeting_bookings
    REFERENCING NEW TABLE AS new_bookings FOR EACH STATEMENT
    EXECUTE FUNCTION attribution_meeting_attendees()
    """,
    """
    CREATE FUNCTION attribution_meeting_attendees_gone() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        DELETE FROM meeting_attendees a USING old_bookings b WHERE a.meeting_id = b.meeting_id;
        RETURN NULL;
    END $$
    """,
    """
    CREATE TRIGGER meeting_bookings_attendees_gone AFTER DELETE ON meeting_bookings
    REFERENCING OLD TABLE AS old_bookings FOR EACH STATEMENT
    EXECUTE FUNCTION attribution_meeting_attendees_gone()
    """,
    """
    CREATE FUNCTION attribution_meeting_attendees_truncated() RETURNS trigger LANGUAGE plpgsql
    AS $$ BEGIN TRUNCATE meeting_attendees; RETURN NULL; END $$
    """,
    """
    CREATE TRIGGER meeting_bookings_attendees_truncate AFTER TRUNCATE ON meeting_bookings
    FOR EACH STATEMENT EXECUTE FUNCTION attribution_meeting_attendees_truncated()
    """,
]


def upgrade() -> None:
    op.create_table(
        "meeting_attendees",
        sa.Column("tenant_id", sa.Text(), nullable=False),
        sa.Column("email", sa.Text(), nullable=False),
        sa.Column("meeting_id", sa.UUID(), nullable=False),
        sa.PrimaryKeyConstraint(
            "tenant_id", "email", "meeting_id", name=op.f("pk_meeting_attendees")
        ),
    )
    op.execute(
        "INSERT INTO meeting_attendees (tenant_id, email, meeting_id)"
        " SELECT DISTINCT b.tenant_id, e.email, b.meeting_id"
        " FROM meeting_bookings b, unnest(b.attendee_emails) AS e(email)"
    )
    for statement in TRIGGERS:
        op.execute(statement)
    op.drop_index("ix_meeting_bookings_attendees", table_name="meeting_bookings")


def downgrade() -> None:
    op.execute("DROP TRIGGER meeting_bookings_attendees_truncate ON meeting_bookings")
    op.execute("DROP TRIGGER meeting_bookings_attendees_gone ON meeting_bookings")
    op.execute("DROP TRIGGER meeting_bookings_attendees ON meeting_bookings")
    op.execute("DROP FUNCTION attribution_meeting_attendees_truncated()")
    op.execute("DROP FUNCTION attribution_meeting_attendees_gone()")
    op.execute("DROP FUNCTION attribution_meeting_attendees()")
    op.drop_table("meeting_attendees")
    op.create_index(
        "ix_meeting_bookings_attendees",
        "meeting_bookings",
        ["attendee_emails"],
        postgresql_using="gin",
    )
