"""The base of the repositories: queries on the unit of work's session. Nothing commits."""

from sqlalchemy.ext.asyncio import AsyncSession


class Repository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session
