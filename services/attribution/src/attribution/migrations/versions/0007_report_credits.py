"""report_credits: the current runs' channel credits, kept by triggers, summed by reports in SQL

Revision ID: 0007_report_credits
Revises: 0006_channel_rule_versions
"""

import sqlalchemy as sa
from alembic import op

revision = "0007_report_credits"
down_revision = "0006_channel_rule_versions"
branch_labels = None
depends_on = None

# Rows of a run: one per entry of its stored result's channels ("n/d" weights split).
_CREDITS_OF = """
    INSERT INTO report_credits (run_id, channel, tenant_id, deal_id, model, minor_units,
        weight_num, weight_den, touches, value_minor, currency, conversion_at)
    SELECT r.run_id, c->>'channel', r.tenant_id, r.deal_id, r.model, (c->>'minor_units')::bigint,
        split_part(c->>'weight', '/', 1)::numeric,
        coalesce(nullif(split_part(c->>'weight', '/', 2), ''), '1')::numeric,
        (c->>'touches')::int, r.value_minor, r.currency, r.conversion_at
    FROM {runs} r, jsonb_array_elements(r.channels) c
"""
# What a run's rows need; only its channels of the stored result (sorting whole results, touches
# and all, would cost more than the rest).
_COLUMNS = """
    DISTINCT ON (tenant_id, deal_id, model) run_id, tenant_id, deal_id, model, value_minor,
    currency, conversion_at, result->'channels' AS channels
"""
# Each deal and model's latest run, unless voided: what counts now.
_CURRENT_RUNS = f"""
    (SELECT * FROM (
        SELECT {_COLUMNS} FROM attribution_runs ORDER BY tenant_id, deal_id, model, seq DESC
    ) latest WHERE NOT EXISTS (SELECT 1 FROM run_voids v WHERE v.run_id = latest.run_id))
"""  # noqa: S608 - our own SQL constants

_LATEST_NEW = f"""
    (SELECT {_COLUMNS} FROM new_runs ORDER BY tenant_id, deal_id, model, seq DESC)
"""  # noqa: S608 - our own SQL constants
_PROJECT_NEW = _CREDITS_OF.format(runs=_LATEST_NEW)
_PROJECT_CURRENT = _CREDITS_OF.format(runs=_CURRENT_RUNS)

TRIGGERS = [
    # New runs replace their deal and model's rows (the latest of a statement wins).
    f"""
    CREATE FUNCTION attribution_project_runs() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        DELETE FROM report_credits p USING (SELECT DISTINCT tenant_id, deal_id, model
                                            FROM new_runs) n
        WHERE p.tenant_id = n.tenant_id AND p.deal_id = n.deal_id AND p.model = n.model;
        {_PROJECT_NEW};
        RETURN NULL;
    END $$
    """,  # noqa: S608 - our own SQL constants
    """
    CREATE TRIGGER attribution_runs_project AFTER INSERT ON attribution_runs
    REFERENCING NEW TABLE AS new_runs FOR EACH STATEMENT
    EXECUTE FUNCTION attribution_project_runs()
    """,
    """
    CREATE FUNCTION attribution_void_credits() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        DELETE FROM report_credits p USING new_voids v WHERE p.run_id = v.run_id;
        RETURN NULL;
    END $$
    """,
    """
    CREATE TRIGGER run_voids_unproject AFTER INSERT ON run_voids
    REFERENCING NEW TABLE AS new_voids FOR EACH STATEMENT
    EXECUTE FUNCTION attribution_void_credits()
    """,
    """
    CREATE FUNCTION attribution_forget_credits() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        DELETE FROM report_credits p USING old_runs r WHERE p.run_id = r.run_id;
        RETURN NULL;
    END $$
    """,
    """
    CREATE TRIGGER attribution_runs_forget AFTER DELETE ON attribution_runs
    REFERENCING OLD TABLE AS old_runs FOR EACH STATEMENT
    EXECUTE FUNCTION attribution_forget_credits()
    """,
    # Truncating runs (a rebuild) empties the projection; truncating voids projects again.
    f"""
    CREATE FUNCTION attribution_reproject_all() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        TRUNCATE report_credits;
        {_PROJECT_CURRENT};
        RETURN NULL;
    END $$
    """,
    """
    CREATE TRIGGER attribution_runs_truncate AFTER TRUNCATE ON attribution_runs
    FOR EACH STATEMENT EXECUTE FUNCTION attribution_reproject_all()
    """,
    """
    CREATE TRIGGER run_voids_truncate AFTER TRUNCATE ON run_voids
    FOR EACH STATEMENT EXECUTE FUNCTION attribution_reproject_all()
    """,
]


def upgrade() -> None:
    op.create_table(
        "report_credits",
        sa.Column("run_id", sa.UUID(), nullable=False),
        sa.Column("channel", sa.Text(), nullable=False),
        sa.Column("tenant_id", sa.Text(), nullable=False),
        sa.Column("deal_id", sa.UUID(), nullable=False),
        sa.Column("model", sa.Text(), nullable=False),
        sa.Column("minor_units", sa.BigInteger(), nullable=False),
        sa.Column("weight_num", sa.Numeric(), nullable=False),
        sa.Column("weight_den", sa.Numeric(), nullable=False),
        sa.Column("touches", sa.Integer(), nullable=False),
        sa.Column("value_minor", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.Text(), nullable=False),
        sa.Column("conversion_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("run_id", "channel", name=op.f("pk_report_credits")),
    )
    op.create_index(
        "ix_report_credits_report",
        "report_credits",
        ["tenant_id", "model", "conversion_at"],
        unique=False,
    )
    op.create_index(
        "ix_report_credits_deal", "report_credits", ["tenant_id", "deal_id", "model"], unique=False
    )
    for statement in TRIGGERS:
        op.execute(statement)
    op.execute(_PROJECT_CURRENT)  # the runs stored before


def downgrade() -> None:
    op.execute("DROP TRIGGER run_voids_truncate ON run_voids")
    op.execute("DROP TRIGGER attribution_runs_truncate ON attribution_runs")
    op.execute("DROP TRIGGER attribution_runs_forget ON attribution_runs")
    op.execute("DROP TRIGGER run_voids_unproject ON run_voids")
    op.execute("DROP TRIGGER attribution_runs_project ON attribution_runs")
    for name in (
        "attribution_reproject_all",
        "attribution_forget_credits",
        "attribution_void_credits",
        "attribution_project_runs",
    ):
        op.execute(f"DROP FUNCTION {name}()")
    op.drop_table("report_credits")
