"""Throwaway databases for tests that migrate step by step or need a database of their own."""

import uuid

from sqlalchemy.engine import make_url

from dealflow_libs.migrate import ensure_database


async def scratch_database(server_url: str, prefix: str = "dealflow_migtest") -> str:
    """A new empty database on the server of `server_url` (the stack's); its URL."""
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    await ensure_database(server_url, name)
    return make_url(server_url).set(database=name).render_as_string(hide_password=False)
