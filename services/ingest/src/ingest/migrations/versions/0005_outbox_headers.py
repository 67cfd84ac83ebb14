"""outbox headers as Kafka takes them (names and bytes side by side) instead of a JSON object

Revision ID: 0005_outbox_headers
Revises: 0004_outbox_retention
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0005_outbox_headers"
down_revision = "0004_outbox_retention"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("outbox", sa.Column("header_names", postgresql.ARRAY(sa.Text()), nullable=True))
    op.add_column(
        "outbox", sa.Column("header_values", postgresql.ARRAY(sa.LargeBinary()), nullable=True)
    )
    op.execute(
        "UPDATE outbox SET header_names = h.names, header_values = h.vals FROM ("
        " SELECT o.id, array_agg(e.hname ORDER BY e.n) AS names,"
        " array_agg(convert_to(e.hvalue, 'UTF8') ORDER BY e.n) AS vals FROM outbox AS o,"
        " jsonb_each_text(o.headers) WITH ORDINALITY AS e(hname, hvalue, n) GROUP BY o.id"
        ") AS h WHERE outbox.id = h.id"
    )
    op.execute(
        "UPDATE outbox SET header_names = '{}', header_values = '{}' WHERE header_names IS NULL"
    )
    op.alter_column("outbox", "header_names", nullable=False)
    op.alter_column("outbox", "header_values", nullable=False)
    op.drop_column("outbox", "headers")


def downgrade() -> None:
    op.add_column(
        "outbox",
        sa.Column(
            "headers",
            postgresql.JSONB(astext_type=sa.Text()),
            nullable=False,
            server_default=sa.text("'{}'::jsonb"),
        ),
    )
    op.execute(
        "UPDATE outbox SET headers = h.headers FROM ("
        " SELECT o.id, jsonb_object_agg(e.hname, convert_from(e.hvalue, 'UTF8')) AS headers"
        " FROM outbox AS o, unnest(o.header_names, o.header_values) AS e(hname, hvalue)"
        " GROUP BY o.id"
        ") AS h WHERE outbox.id = h.id"
    )
    op.alter_column("outbox", "headers", server_default=None)
    op.drop_column("outbox", "header_values")
    op.drop_column("outbox", "header_names")
