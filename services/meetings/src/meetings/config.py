"""Meetings settings (`DEALFLOW_*` environment variables)."""

from pydantic import SecretStr

from dealflow_libs.settings import CommonSettings, service_database_url


class MeetingsSettings(CommonSettings):
    meetings_database_url: SecretStr | None = None
    run_reminders: bool = True
    reminder_poll_seconds: float = 1.0

    @property
    def own_database_url(self) -> str:
        return service_database_url(self, "meetings", self.meetings_database_url)
