"""Meetings settings (`DEALFLOW_*` environment variables)."""

from pydantic import Field, SecretStr

from dealflow_libs.settings import CommonSettings, service_database_url


class MeetingsSettings(CommonSettings):
    meetings_database_url: SecretStr | None = None
    run_reminders: bool = True
    reminder_poll_seconds: float = Field(
        default=5.0,
        description="How often due reminders are looked for (each look is a transaction, also "
        "when nothing is due); reminders are planned hours ahead.",
    )

    @property
    def own_database_url(self) -> str:
        return service_database_url(self, "meetings", self.meetings_database_url)
