"""send_recipients: one row per recipient of each send, so the list by recipient is a btree
range in every plan; filled from the sends there are; ix_sends_recipients (GIN) goes

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "send_recipients",
        sa.Column("tenant_id", sa.Text(), nullable=False),
        sa.Column(
            "email",
            sa.Text(),
            nullable=False,
            comment="Lower-cased, as the list's filter compares",
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, comment="The send's"),
        sa.Column("send_id", sa.UUID(), nullable=False),
    )
    # Filled before the primary key exists: one sorted build instead of a row-by-row insert.
    # DISTINCT: two spellings of one address in a send are one recipient.
    op.execute(
        "INSERT INTO send_recipients (tenant_id, email, created_at, send_id)"
        " SELECT DISTINCT s.tenant_id, lower(r.email), s.created_at, s.id"
        " FROM sends s CROSS JOIN LATERAL unnest(s.recipients) AS r(email)"
    )
    op.create_primary_key(
        op.f("pk_send_recipients"),
        "send_recipients",
        ["tenant_id", "email", "created_at", "send_id"],
    )
    op.drop_index("ix_sends_recipients", table_name="sends")


def downgrade() -> None:
    op.create_index("ix_sends_recipients", "sends", ["recipients"], postgresql_using="gin")
    op.drop_table("send_recipients")
