"""Time as the providers write it, and each emulator's own clock."""

from datetime import UTC, datetime, timedelta


def utc_now() -> datetime:
    return datetime.now(UTC)


def iso_ms(moment: datetime) -> str:
    """`2024-01-10T09:15:30.234Z`: UTC, milliseconds, a Z (HubSpot, Notion)."""
    return (
        moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
    )


def epoch_ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


class EmulatorClock:
    """Real time plus an offset that tests move forward (`POST /_emulator/clock`), so windows
    measured in hours or days (an idempotency key's 24 h, a daily quota) can be crossed at once.
    Only what an emulator measures with it moves; HTTP dates and the request log keep real time.
    """

    def __init__(self) -> None:
        self.offset = timedelta(0)

    def now(self) -> datetime:
        return utc_now() + self.offset

    def advance(self, seconds: float) -> datetime:
        self.offset += timedelta(seconds=seconds)
        return self.now()

    def reset(self) -> None:
        self.offset = timedelta(0)

    def describe(self) -> dict[str, object]:
        return {"now": iso_ms(self.now()), "offset_seconds": self.offset.total_seconds()}
