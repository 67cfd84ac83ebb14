"""The console's only table: who is signed in (the team's data stays in the services)."""

from sqlalchemy import Column, DateTime, Index, Table, Text, func

from dealflow_libs.db import new_metadata

metadata = new_metadata()

sessions = Table(
    "sessions",
    metadata,
    # SHA-256 of the cookie's token: a copy of the table signs nobody in.
    Column("token_hash", Text, primary_key=True),
    Column("tenant_id", Text, nullable=False),
    Column("tenant_name", Text, nullable=False),
    Column("currency", Text, nullable=False),
    # The tenant's API key, sealed (DEALFLOW_SECRET_KEYS): the console calls the services with it.
    Column("sealed_api_key", Text, nullable=False),
    Column("csrf_token", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Index("ix_sessions_expires_at", "expires_at"),
)
