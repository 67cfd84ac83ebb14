"""Migration steps every service shares (alembic's `op` passed in), written once.

The tables behind the platform (inbox, outbox and its relay positions, the tenants copy, the
trail) have one shape everywhere, so their DDL lives here and each service's migration calls it.
A step is frozen once released: a later change to these tables is a new step here, called by a
new migration in every service, so old databases and new ones end in the same schema
(tests/test_migrations.py compares each service's migrated database with its tables).
"""

from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from dealflow_libs.outbox import outbox_trigger_sql
from dealflow_libs.trail import create_trail_table


def create_platform_tables(op: Any, service: str) -> None:
    """A new service's first migration: inbox, outbox (Kafka-form headers, kept after
    publishing, with its relay positions and wake-up trigger), tenants copy and trail."""
    op.create_table(
        "inbox",
        sa.Column("consumer", sa.Text(), nullable=False),
        sa.Column("event_id", sa.Text(), nullable=False),
        _created_now("processed_at"),
        sa.PrimaryKeyConstraint("consumer", "event_id", name=op.f("pk_inbox")),
    )
    op.create_table(
        "outbox",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("topic", sa.Text(), nullable=False),
        sa.Column("key", sa.Text(), nullable=True),
        sa.Column("header_names", postgresql.ARRAY(sa.Text()), nullable=False),
        sa.Column("header_values", postgresql.ARRAY(sa.LargeBinary()), nullable=False),
        sa.Column("value", sa.LargeBinary(), nullable=False),
        _created_now("created_at"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox")),
    )
    for statement in outbox_trigger_sql(service):
        op.execute(statement)
    keep_published_outbox_rows(op)
    op.create_table(
        "tenants",
        sa.Column("tenant_id", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column(
            "api_key_hashes", postgresql.ARRAY(sa.Text()), server_default="{}", nullable=False
        ),
        sa.Column("default_currency", sa.Text(), server_default="USD", nullable=False),
        sa.Column("disabled", sa.Boolean(), server_default="false", nullable=False),
        sa.Column(
            "personal_domains", postgresql.ARRAY(sa.Text()), server_default="{}", nullable=False
        ),
        sa.Column(
            "settings", postgresql.JSONB(astext_type=sa.Text()), server_default="{}", nullable=False
        ),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        _created_now("updated_at"),
        sa.PrimaryKeyConstraint("tenant_id", name=op.f("pk_tenants")),
    )
    create_trail_table(op)


def drop_platform_tables(op: Any) -> None:
    for table in ("trail", "tenants", "outbox_positions", "outbox", "inbox"):
        op.drop_table(table)
    op.execute("DROP FUNCTION IF EXISTS outbox_notify()")


def keep_published_outbox_rows(op: Any) -> None:
    """Published rows stay (with their partition and offset) so the relay can republish what a
    fresh broker lost; `outbox_positions` holds the last event the relay wrote per partition."""
    op.add_column("outbox", sa.Column("published_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("outbox", sa.Column("kafka_partition", sa.Integer(), nullable=True))
    op.add_column("outbox", sa.Column("kafka_offset", sa.BigInteger(), nullable=True))
    op.create_index(
        "ix_outbox_pending", "outbox", ["id"], postgresql_where=sa.text("published_at IS NULL")
    )
    op.create_table(
        "outbox_positions",
        sa.Column("topic", sa.Text(), nullable=False),
        sa.Column("kafka_partition", sa.Integer(), nullable=False),
        sa.Column("kafka_offset", sa.BigInteger(), nullable=False),
        sa.Column("event_id", sa.Text(), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("topic", "kafka_partition", name=op.f("pk_outbox_positions")),
    )


def delete_published_outbox_rows(op: Any) -> None:
    """Undoes `keep_published_outbox_rows`: earlier versions keep only unpublished rows."""
    op.drop_table("outbox_positions")
    op.execute("DELETE FROM outbox WHERE published_at IS NOT NULL")
    op.drop_index("ix_outbox_pending", table_name="outbox")
    op.drop_column("outbox", "kafka_offset")
    op.drop_column("outbox", "kafka_partition")
    op.drop_column("outbox", "published_at")


def store_outbox_headers_as_arrays(op: Any) -> None:
    """Headers as Kafka takes them (names and bytes side by side), converted from the JSON
    object earlier versions stored, so every pending or kept row keeps every header."""
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


def store_outbox_headers_as_json(op: Any) -> None:
    """Undoes `store_outbox_headers_as_arrays`."""
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


def _created_now(name: str) -> sa.Column[Any]:
    return sa.Column(
        name, sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
    )
