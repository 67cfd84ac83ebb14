"""list indexes: the delivery list filtered by verdict or trigger is an index range, newest first

Revision ID: 0007_list_indexes
Revises: 0006_trail
"""

from alembic import op

revision = "0007_list_indexes"
down_revision = "0006_trail"
branch_labels = None
depends_on = None

INDEXES = {
    "ix_raw_events_tenant_verdict": ["tenant_id", "verdict", "received_at", "id"],
    "ix_raw_events_tenant_trigger": ["tenant_id", "trigger", "received_at", "id"],
}


def upgrade() -> None:
    for name, columns in INDEXES.items():
        op.create_index(name, "raw_events", columns)


def downgrade() -> None:
    for name in INDEXES:
        op.drop_index(name, table_name="raw_events")
