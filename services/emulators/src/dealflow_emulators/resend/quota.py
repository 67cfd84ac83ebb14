"""Email quotas (api-reference/rate-limit, "Email Quotas"): emails per UTC calendar day (free
plan; resets at 00:00 UTC, not a rolling 24 h) and per calendar month, counted on the
emulator's clock; each email of a batch counts."""

from collections import Counter

from dealflow_emulators.common import EmulatorClock
from dealflow_emulators.resend.config import ResendConfig
from dealflow_emulators.resend.errors import ResendError


class QuotaBook:
    def __init__(self, clock: EmulatorClock) -> None:
        self.clock = clock
        self._days: Counter[str] = Counter()
        self._months: Counter[str] = Counter()

    def _periods(self) -> tuple[str, str]:
        now = self.clock.now()
        return now.strftime("%Y-%m-%d"), now.strftime("%Y-%m")

    def take(self, count: int, config: ResendConfig) -> None:
        """Count `count` emails, or refuse them all with the quota's 429."""
        day, month = self._periods()
        if config.daily_quota is not None and self._days[day] + count > config.daily_quota:
            raise ResendError(
                429,
                "daily_quota_exceeded",
                "You have exceeded your daily email sending quota.",
            )
        if config.monthly_quota is not None and self._months[month] + count > config.monthly_quota:
            raise ResendError(
                429,
                "monthly_quota_exceeded",
                "You have exceeded your monthly email sending quota.",
            )
        self._days[day] += count
        self._months[month] += count

    def headers(self, config: ResendConfig) -> dict[str, str]:
        """`x-resend-daily-quota` (free plan only) and `x-resend-monthly-quota`: used so far."""
        day, month = self._periods()
        headers = {}
        if config.daily_quota is not None:
            headers["x-resend-daily-quota"] = str(self._days[day])
        if config.monthly_quota is not None:
            headers["x-resend-monthly-quota"] = str(self._months[month])
        return headers

    def describe(self) -> dict[str, int]:
        day, month = self._periods()
        return {"today": self._days[day], "this_month": self._months[month]}

    def clear(self) -> None:
        self._days.clear()
        self._months.clear()
