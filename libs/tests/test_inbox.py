"""Inbox claims against real PostgreSQL: each event id is processed once per consumer."""

import uuid

from dealflow_libs.db import session_factory
from dealflow_libs.inbox import Inbox


async def test_fresh_keeps_first_occurrences_of_unseen_ids_in_order(engine, inbox) -> None:
    sessions = session_factory(engine)
    a, b, c = (str(uuid.uuid4()) for _ in range(3))
    async with sessions() as session, session.begin():
        assert await Inbox(session, inbox, "test").claim(a)

    async with sessions() as session, session.begin():
        fresh = await Inbox(session, inbox, "test").fresh(
            [(b, "b1"), (a, "a"), (c, "c"), (b, "b2")]
        )
    assert fresh == [(b, "b1"), (c, "c")]

    async with sessions() as session, session.begin():
        assert await Inbox(session, inbox, "test").fresh([(b, "again"), (c, "again")]) == []
        # Another consumer has its own inbox position.
        assert await Inbox(session, inbox, "other").claim(b)


async def test_a_rolled_back_claim_is_not_kept(engine, inbox) -> None:
    sessions = session_factory(engine)
    event_id = str(uuid.uuid4())
    async with sessions() as session:
        assert await Inbox(session, inbox, "test").claim(event_id)
        await session.rollback()
    async with sessions() as session, session.begin():
        assert await Inbox(session, inbox, "test").claim(event_id)
