"""initial

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from dealflow_libs.outbox import outbox_trigger_sql

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "companies",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("tenant_id", sa.Text(), nullable=False),
        sa.Column("domain", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_companies")),
        sa.UniqueConstraint("tenant_id", "domain", name="uq_companies_tenant_domain"),
    )
    op.create_table(
        "inbox",
        sa.Column("consumer", sa.Text(), nullable=False),
        sa.Column("event_id", sa.Text(), nullable=False),
        sa.Column(
            "processed_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("consumer", "event_id", name=op.f("pk_inbox")),
    )
    op.create_table(
        "meeting_records",
        sa.Column("meeting_id", sa.UUID(), nullable=False),
        sa.Column("tenant_id", sa.Text(), nullable=False),
        sa.Column("company_id", sa.UUID(), nullable=True),
        sa.Column("deal_id", sa.UUID(), nullable=True),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("title", sa.Text(), nullable=True),
        sa.Column("meeting_type", sa.Text(), nullable=True),
        sa.Column("scheduled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("primary_email", sa.Text(), nullable=True),
        sa.Column("primary_name", sa.Text(), nullable=True),
        sa.Column("organizer_email", sa.Text(), nullable=True),
        sa.Column("utm_source", sa.Text(), nullable=True),
        sa.Column("utm_campaign", sa.Text(), nullable=True),
        sa.Column("converting_activity_id", sa.Text(), nullable=True),
        sa.Column("converting_channel", sa.Text(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("meeting_id", name=op.f("pk_meeting_records")),
    )
    op.create_index(
        op.f("ix_meeting_records_company_id"), "meeting_records", ["company_id"], unique=False
    )
    op.create_index(
        op.f("ix_meeting_records_deal_id"), "meeting_records", ["deal_id"], unique=False
    )
    op.create_table(
        "outbox",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("topic", sa.Text(), nullable=False),
        sa.Column("key", sa.Text(), nullable=True),
        sa.Column("headers", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("value", sa.LargeBinary(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox")),
    )
    for statement in outbox_trigger_sql("deals"):
        op.execute(statement)
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
            "settings", postgresql.JSONB(astext_type=sa.Text()), server_default="{}", nullable=False
        ),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("tenant_id", name=op.f("pk_tenants")),
    )
    op.create_table(
        "deals",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("tenant_id", sa.Text(), nullable=False),
        sa.Column("company_id", sa.UUID(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "active",
                "won",
                "lost",
                "cancelled",
                name="deal_status",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column(
            "stage",
            sa.Enum(
                "booked",
                "met",
                "qualification",
                "proposal",
                "negotiation",
                "verbal_commit",
                "contract_sent",
                "closed_won",
                "closed_lost",
                name="deal_stage",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("probability", sa.Integer(), nullable=False),
        sa.Column("value", sa.Numeric(precision=14, scale=2), nullable=True),
        sa.Column("currency", sa.Text(), nullable=False),
        sa.Column("expected_close_date", sa.Date(), nullable=True),
        sa.Column("owner", sa.Text(), nullable=True),
        sa.Column("primary_contact_email", sa.Text(), nullable=True),
        sa.Column("source_meeting_id", sa.UUID(), nullable=True),
        sa.Column("meeting_ids", postgresql.ARRAY(sa.UUID()), server_default="{}", nullable=False),
        sa.Column("converting_activity_id", sa.Text(), nullable=True),
        sa.Column("converting_channel", sa.Text(), nullable=True),
        sa.Column(
            "lost_reason",
            sa.Enum(
                "price_too_high",
                "chose_competitor",
                "no_budget",
                "timing_not_right",
                "no_decision",
                "champion_left",
                "project_cancelled",
                "went_silent",
                "bad_fit",
                "other",
                name="lost_reason",
                native_enum=False,
                length=32,
            ),
            nullable=True,
        ),
        sa.Column("lost_notes", sa.Text(), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("days_to_close", sa.Integer(), nullable=True),
        sa.Column(
            "stage_before_close",
            sa.Enum(
                "booked",
                "met",
                "qualification",
                "proposal",
                "negotiation",
                "verbal_commit",
                "contract_sent",
                "closed_won",
                "closed_lost",
                name="deal_stage",
                native_enum=False,
                length=32,
            ),
            nullable=True,
        ),
        sa.Column(
            "external_ids",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default="{}",
            nullable=False,
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["company_id"], ["companies.id"], name=op.f("fk_deals_company_id_companies")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deals")),
    )
    op.create_index(op.f("ix_deals_company_id"), "deals", ["company_id"], unique=False)
    op.create_index(
        "ix_deals_tenant_created", "deals", ["tenant_id", "created_at", "id"], unique=False
    )
    op.create_index(
        "uq_deals_one_active_per_company",
        "deals",
        ["tenant_id", "company_id"],
        unique=True,
        postgresql_where=sa.text("status = 'active'"),
    )
    op.create_table(
        "people",
        sa.Column("tenant_id", sa.Text(), nullable=False),
        sa.Column("email", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=True),
        sa.Column("company_id", sa.UUID(), nullable=True),
        sa.Column("last_meeting_id", sa.UUID(), nullable=True),
        sa.Column("first_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["company_id"], ["companies.id"], name=op.f("fk_people_company_id_companies")
        ),
        sa.PrimaryKeyConstraint("tenant_id", "email", name=op.f("pk_people")),
    )
    op.create_index(op.f("ix_people_company_id"), "people", ["company_id"], unique=False)
    op.create_table(
        "deal_activities",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("deal_id", sa.UUID(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("detail", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["deal_id"], ["deals.id"], name=op.f("fk_deal_activities_deal_id_deals")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deal_activities")),
    )
    op.create_index(
        op.f("ix_deal_activities_deal_id"), "deal_activities", ["deal_id"], unique=False
    )
    op.create_table(
        "deal_stage_history",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("deal_id", sa.UUID(), nullable=False),
        sa.Column("tenant_id", sa.Text(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("from_stage", sa.Text(), nullable=True),
        sa.Column("to_stage", sa.Text(), nullable=True),
        sa.Column("from_status", sa.Text(), nullable=True),
        sa.Column("to_status", sa.Text(), nullable=True),
        sa.Column("changed_by", sa.Text(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["deal_id"], ["deals.id"], name=op.f("fk_deal_stage_history_deal_id_deals")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deal_stage_history")),
    )
    op.create_index(
        op.f("ix_deal_stage_history_deal_id"), "deal_stage_history", ["deal_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_deal_stage_history_deal_id"), table_name="deal_stage_history")
    op.drop_table("deal_stage_history")
    op.drop_index(op.f("ix_deal_activities_deal_id"), table_name="deal_activities")
    op.drop_table("deal_activities")
    op.drop_index(op.f("ix_people_company_id"), table_name="people")
    op.drop_table("people")
    op.drop_index(
        "uq_deals_one_active_per_company",
        table_name="deals",
        postgresql_where=sa.text("status = 'active'"),
    )
    op.drop_index("ix_deals_tenant_created", table_name="deals")
    op.drop_index(op.f("ix_deals_company_id"), table_name="deals")
    op.drop_table("deals")
    op.drop_table("tenants")
    op.drop_table("outbox")
    op.execute("DROP FUNCTION IF EXISTS outbox_notify()")
    op.drop_index(op.f("ix_meeting_records_deal_id"), table_name="meeting_records")
    op.drop_index(op.f("ix_meeting_records_company_id"), table_name="meeting_records")
    op.drop_table("meeting_records")
    op.drop_table("inbox")
    op.drop_table("companies")
