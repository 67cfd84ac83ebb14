"""Sign-in sessions in the console's database: created at sign-in, read per request."""

from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, insert, select
from sqlalchemy.ext.asyncio import AsyncEngine

from console.db.tables import sessions
from console.signin import SignIn, new_token, token_hash
from dealflow_libs.secretbox import SecretBox


class SessionStore:
    def __init__(self, engine: AsyncEngine, box: SecretBox, lifetime: timedelta) -> None:
        self._engine = engine
        self._box = box
        self._lifetime = lifetime

    def _context(self, tenant_id: str) -> str:
        return f"console-session:{tenant_id}"

    async def open(self, tenant_id: str, tenant_name: str, currency: str, api_key: str) -> str:
        """Records a sign-in; answers the cookie's token (only its hash is stored)."""
        token = new_token()
        async with self._engine.begin() as conn:
            await conn.execute(
                insert(sessions).values(
                    token_hash=token_hash(token),
                    tenant_id=tenant_id,
                    tenant_name=tenant_name,
                    currency=currency,
                    sealed_api_key=self._box.seal(api_key, context=self._context(tenant_id)),
                    csrf_token=new_token(),
                    expires_at=datetime.now(UTC) + self._lifetime,
                )
            )
        return token

    async def find(self, token: str) -> SignIn | None:
        async with self._engine.connect() as conn:
            row = (
                await conn.execute(
                    select(sessions).where(
                        sessions.c.token_hash == token_hash(token),
                        sessions.c.expires_at > datetime.now(UTC),
                    )
                )
            ).one_or_none()
        if row is None:
            return None
        return SignIn(
            tenant_id=row.tenant_id,
            tenant_name=row.tenant_name,
            currency=row.currency,
            api_key=self._box.open(row.sealed_api_key, context=self._context(row.tenant_id)),
            csrf_token=row.csrf_token,
            expires_at=row.expires_at,
        )

    async def close(self, token: str) -> None:
        async with self._engine.begin() as conn:
            await conn.execute(delete(sessions).where(sessions.c.token_hash == token_hash(token)))

    async def purge_expired(self) -> int:
        async with self._engine.begin() as conn:
            result = await conn.execute(
                delete(sessions).where(sessions.c.expires_at <= datetime.now(UTC))
            )
        return result.rowcount
