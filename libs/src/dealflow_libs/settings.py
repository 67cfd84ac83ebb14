"""Settings read from `DEALFLOW_*` environment variables, once, by each composition root."""

from typing import Literal

from pydantic import AliasChoices, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import make_url

from dealflow_libs.secretbox import SecretBox, SecretBoxError


class CommonSettings(BaseSettings):
    """What every service needs. A service subclasses it to add its own fields."""

    model_config = SettingsConfigDict(env_prefix="DEALFLOW_", extra="ignore")

    database_url: SecretStr = Field(
        default=SecretStr("postgresql://postgres@127.0.0.1:55432/postgres"),
        description="PostgreSQL server URL; each service uses its own database on it "
        "(dealflow_<service>) unless DEALFLOW_<SERVICE>_DATABASE_URL names one.",
    )
    kafka_bootstrap: str = "127.0.0.1:59092"
    kafka_enable_idempotence: bool = Field(
        default=False,
        description="Idempotent producer; needs Apache Kafka "
        "(the local Tansu broker lacks InitProducerId).",
    )
    kafka_compression: Literal["lz4", "zstd", "snappy", "gzip", "none"] = Field(
        default="lz4",
        description="Producer compression. lz4 costs the producer about what no compression "
        "costs, gzip half as much again (bench/kafka/codecs.py).",
    )
    kafka_client_prefix: str = "dealflow"
    kafka_group_prefix: str = Field(
        default="",
        description="Prepended to consumer group ids, e.g. to run two environments on one cluster.",
    )
    # Consumer timings. The defaults suit Apache Kafka, which answers a fetch as soon as a record
    # arrives; the local broker polls instead, so the devstack sets its own values
    # (dealflow_libs.devstack.stack.LOCAL_BROKER_TIMINGS).
    kafka_fetch_max_wait_ms: int = Field(
        default=500,
        description="Longest a fetch of a hot-path subscription (a hop someone waits for) waits "
        "for records. Apache Kafka answers as soon as one arrives; the local broker only at its "
        "next look at storage, so there it bounds each hop's latency and sets how often an idle "
        "consumer asks.",
    )
    kafka_background_fetch_max_wait_ms: int = Field(
        default=500,
        description="The same for every other subscription (tenants, deal links, attribution), "
        "which tolerate a delay of seconds.",
    )
    kafka_session_timeout_ms: int = Field(
        default=10_000,
        description="A member that has not sent a heartbeat for this long leaves its group. The "
        "local broker also holds every join for half of it.",
    )
    kafka_heartbeat_interval_ms: int = 3_000
    kafka_rebalance_timeout_ms: int | None = Field(
        default=None,
        description="How long a rebalance waits for members (default: max poll interval).",
    )
    secret_keys: SecretStr | None = Field(
        default=None,
        description="Key ring sealing stored credentials: '<id>:<base64url 32-byte key>', "
        "comma-separated, the first seals (`dealflow keys new` prints one). `make run` keeps "
        "its own under .data/.",
    )
    otel_endpoint: str | None = Field(
        default=None,
        validation_alias=AliasChoices("DEALFLOW_OTEL_ENDPOINT", "OTEL_EXPORTER_OTLP_ENDPOINT"),
        description="OTLP/HTTP collector (e.g. http://otel-collector:4318): traces are recorded "
        "and exported only when set.",
    )
    log_level: str = "INFO"
    log_json: bool = True
    db_pool_size: int = 10
    outbox_batch_size: int = 500
    outbox_poll_seconds: float = Field(
        default=5.0,
        description="The relay publishes at each commit (NOTIFY); this poll only catches a lost "
        "notification, and costs an idle service a transaction each time.",
    )
    outbox_retention_hours: float = Field(
        default=24,
        description="How long published outbox rows are kept, so that what a broker loses "
        "(the local one keeps nothing across restarts) is published again.",
    )
    consumer_batch_size: int = 500
    consumer_max_attempts: int = 5

    def secret_box(self) -> SecretBox:
        if self.secret_keys is None:
            raise SecretBoxError(
                "DEALFLOW_SECRET_KEYS is not set: stored credentials cannot be sealed or opened "
                "(`dealflow keys new` prints a key)"
            )
        return SecretBox.from_spec(self.secret_keys.get_secret_value())


def service_database_url(settings: CommonSettings, service: str, override: SecretStr | None) -> str:
    """The database a service owns: an explicit override, else `dealflow_<service>`."""
    if override is not None:
        return override.get_secret_value()
    url = make_url(settings.database_url.get_secret_value()).set(database=f"dealflow_{service}")
    return url.render_as_string(hide_password=False)


def asyncpg_url(url: str) -> str:
    """SQLAlchemy wants the driver named; accept plain postgresql:// URLs from operators."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+asyncpg")
    return parsed.render_as_string(hide_password=False)


def plain_url(url: str) -> str:
    """The libpq/asyncpg form of a URL (no SQLAlchemy driver suffix)."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
