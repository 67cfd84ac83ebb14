"""A connection's live side: its credentials opened, its clients built, its rate limit and its
OAuth tokens refreshed (once, however many pushes need it at the same moment).

Credentials are stored as one sealed JSON per connection (secretbox, context
`crm:<tenant>:<target>`): `{"access_token", "refresh_token"}` for HubSpot OAuth,
`{"access_token"}` for a HubSpot private app, `{"api_token"}` Pipedrive, `{"api_key"}` Close,
`{"token"}` Notion. They are opened only here, in memory, for the length of a worker's run.
"""

import asyncio
import base64
import json
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import httpx

from crm_push.config import CrmPushSettings
from crm_push.domain.config import CrmConfig, NotionMapping, RateLimit
from crm_push.domain.model import Connection
from crm_push.domain.ratelimit import PROVIDER_LIMITS, TokenBucket
from crm_push.providers.base import CrmUser, Provider
from crm_push.providers.close import CloseAdapter, close_http
from crm_push.providers.hubspot import HubSpotAdapter, hubspot_http
from crm_push.providers.notion import NotionTargetAdapter, notion_http
from crm_push.providers.pipedrive import PipedriveAdapter, pipedrive_http
from crm_push.providers.transport import Auth, ProviderHttp, StaticAuth
from crm_push.pushing import Clients
from dealflow_libs.secretbox import SecretBox
from dealflow_schemas.crm import PushTarget

#: CRM users are read once per this many seconds per connection (owner matching).
USERS_TTL_SECONDS = 300.0


def credential_context(tenant_id: str, target: PushTarget) -> str:
    return f"crm:{tenant_id}:{target.value}"


def seal_credentials(
    box: SecretBox, tenant_id: str, target: PushTarget, values: Mapping[str, str]
) -> str:
    return box.seal(json.dumps(dict(values)), context=credential_context(tenant_id, target))


def open_credentials(box: SecretBox, connection: Connection) -> dict[str, str]:
    if not connection.credentials:
        return {}
    opened: dict[str, str] = json.loads(
        box.open(
            connection.credentials,
            context=credential_context(connection.tenant_id, connection.target),
        )
    )
    return opened


def mask(secret: str | None) -> str | None:
    """What an API answer may show of a credential: its last four characters."""
    if not secret:
        return None
    return "****" + secret[-4:] if len(secret) > 8 else "****"


class Throttle:
    """The connection's token bucket, shared by every push in flight on it."""

    def __init__(self, limit: RateLimit) -> None:
        self.bucket = TokenBucket.for_limit(limit, time.monotonic())

    async def acquire(self) -> None:
        # A plain wait, not an Event: the bucket refills with time, nobody signals it.
        while (wait := self.bucket.take(time.monotonic())) > 0:  # noqa: ASYNC110
            await asyncio.sleep(wait)

    def penalize(self, seconds: float) -> None:
        self.bucket.drain(time.monotonic(), seconds)


#: Refreshes a connection's OAuth tokens given the access token the caller saw; answers the
#: tokens now stored (another caller's, when one refreshed first) and their expiry.
Refresher = Callable[[str], Awaitable[tuple[dict[str, str], datetime | None]]]


@dataclass
class OAuthAuth:
    """Bearer tokens that expire: refreshed ahead of expiry, one refresh at a time."""

    tokens: dict[str, str]
    expires_at: datetime | None
    refresher: Refresher
    margin: timedelta
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    async def headers(self) -> Mapping[str, str]:
        if self._expiring():
            await self._refresh(force=False)
        return {"Authorization": f"Bearer {self.tokens['access_token']}"}

    async def after_unauthorized(self) -> bool:
        await self._refresh(force=True)
        return True

    def _expiring(self) -> bool:
        if self.expires_at is None:
            return False
        margin = self.margin
        lifetime = self.tokens.get("lifetime_seconds")
        if lifetime:
            margin = min(margin, timedelta(seconds=float(lifetime) / 2))
        return self.expires_at - datetime.now(UTC) < margin

    async def _refresh(self, *, force: bool) -> None:
        seen = self.tokens["access_token"]
        async with self.lock:
            if self.tokens["access_token"] != seen or (not force and not self._expiring()):
                return  # refreshed by another push meanwhile
            self.tokens, self.expires_at = await self.refresher(seen)


def _basic(username: str) -> str:
    return "Basic " + base64.b64encode(f"{username}:".encode()).decode()


class LiveLink:
    """Implements pushing.Link for one connection."""

    def __init__(
        self,
        connection: Connection,
        settings: CrmPushSettings,
        client: httpx.AsyncClient,
        credentials: dict[str, str],
        refresher: Refresher,
    ) -> None:
        self.connection = connection
        self.settings = settings
        self.client = client
        self.provider = connection.provider
        notion = connection.target == PushTarget.NOTION
        self.crm_config = CrmConfig() if notion else CrmConfig.model_validate(connection.config)
        self.notion_mapping = (
            NotionMapping.model_validate(connection.config) if notion else NotionMapping()
        )
        override = self.notion_mapping.rate_limit if notion else self.crm_config.rate_limit
        self.throttle = Throttle(override or PROVIDER_LIMITS[self.provider])
        self.auth = self._auth(credentials, refresher)
        self._clients = self._build_clients(self.http())
        self._users: tuple[float, list[CrmUser]] | None = None
        self._notion_types: dict[str, str] | None = None

    def _auth(self, credentials: dict[str, str], refresher: Refresher) -> Auth:
        if self.provider == Provider.HUBSPOT:
            token = credentials.get("access_token", "")
            if credentials.get("refresh_token"):
                return OAuthAuth(
                    tokens=credentials,
                    expires_at=self.connection.token_expires_at,
                    refresher=refresher,
                    margin=timedelta(seconds=self.settings.token_refresh_margin_seconds),
                )
            return StaticAuth({"Authorization": f"Bearer {token}"})
        if self.provider == Provider.PIPEDRIVE:
            return StaticAuth({"x-api-token": credentials.get("api_token", "")})
        if self.provider == Provider.CLOSE:
            return StaticAuth({"Authorization": _basic(credentials.get("api_key", ""))})
        return StaticAuth({"Authorization": f"Bearer {credentials.get('token', '')}"})

    def http(self) -> ProviderHttp:
        s = self.settings
        http: ProviderHttp
        if self.provider == Provider.HUBSPOT:
            http = hubspot_http(self.client, s.hubspot_api_base, self.auth)
        elif self.provider == Provider.PIPEDRIVE:
            http = pipedrive_http(self.client, s.pipedrive_api_base, self.auth)
        elif self.provider == Provider.CLOSE:
            http = close_http(self.client, s.close_api_base, self.auth)
        else:
            http = notion_http(self.client, s.notion_api_base, self.auth)
        http.throttle = self.throttle
        return http

    def _build_clients(self, http: ProviderHttp) -> Clients:
        if self.provider == Provider.HUBSPOT:
            window = self.settings.batch_window_ms / 1000
            return Clients(crm=HubSpotAdapter(http, batch_window=window))
        if self.provider == Provider.PIPEDRIVE:
            return Clients(crm=PipedriveAdapter(http))
        if self.provider == Provider.CLOSE:
            return Clients(crm=CloseAdapter(http))
        return Clients(notion=NotionTargetAdapter(http, self.connection.account_id or ""))

    def clients(self) -> Clients:
        """One set of clients per link, so what they learn once (custom fields, activity
        types) is learned once per worker run."""
        return self._clients

    async def users(self) -> list[CrmUser]:
        now = time.monotonic()
        crm = self._clients.crm
        if crm is None:
            return []
        if self._users is None or now - self._users[0] > USERS_TTL_SECONDS:
            self._users = (now, await crm.users())
        return self._users[1]

    async def notion_types(self) -> dict[str, str]:
        notion = self._clients.notion
        if self._notion_types is None and notion is not None:
            self._notion_types = await notion.property_types()
        return self._notion_types or {}

    async def close(self) -> None:
        """Nothing to release: the HTTP client is the worker's."""
