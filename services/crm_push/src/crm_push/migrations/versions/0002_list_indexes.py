"""list indexes: pushes by status, meeting or deal and the push log (now paged on started_at,
id) by operation, meeting, deal or time window are index ranges, newest first

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

# (table, name, columns, partial predicate)
INDEXES = [
    ("pushes", "ix_pushes_tenant_status", ["tenant_id", "status", "created_at", "id"], None),
    (
        "pushes",
        "ix_pushes_tenant_meeting",
        ["tenant_id", "meeting_id", "created_at", "id"],
        "meeting_id IS NOT NULL",
    ),
    (
        "pushes",
        "ix_pushes_tenant_deal",
        ["tenant_id", "deal_id", "created_at", "id"],
        "deal_id IS NOT NULL",
    ),
    ("push_calls", "ix_push_calls_tenant_started", ["tenant_id", "started_at", "id"], None),
    (
        "push_calls",
        "ix_push_calls_tenant_operation",
        ["tenant_id", "operation", "started_at", "id"],
        None,
    ),
    (
        "push_calls",
        "ix_push_calls_tenant_meeting",
        ["tenant_id", "meeting_id", "started_at", "id"],
        "meeting_id IS NOT NULL",
    ),
    (
        "push_calls",
        "ix_push_calls_tenant_deal",
        ["tenant_id", "deal_id", "started_at", "id"],
        "deal_id IS NOT NULL",
    ),
]


def upgrade() -> None:
    # The log is paged on (started_at, id) now; (tenant_id, id) served only the old id cursor.
    op.drop_index("ix_push_calls_tenant_id", table_name="push_calls")
    for table, name, columns, where in INDEXES:
        op.create_index(name, table, columns, postgresql_where=sa.text(where) if where else None)


def downgrade() -> None:
    for table, name, _, _ in INDEXES:
        op.drop_index(name, table_name=table)
    op.create_index("ix_push_calls_tenant_id", "push_calls", ["tenant_id", "id"])
