"""Async SQLAlchemy engine, sessions and the declarative base every service's tables derive from."""

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from enum import Enum as PyEnum
from functools import cache
from typing import Any, cast

import orjson
from pydantic import BaseModel
from sqlalchemy import (
    ARRAY,
    JSON,
    Column,
    ColumnElement,
    DateTime,
    Dialect,
    Enum,
    MetaData,
    String,
    Table,
    any_,
    insert,
    inspect,
    literal,
    text,
)
from sqlalchemy.dialects import postgresql
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import DeclarativeBase, Mapper, make_transient_to_detached
from sqlalchemy.sql.elements import TextClause
from sqlalchemy.types import TypeDecorator

from dealflow_libs.settings import asyncpg_url

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def new_metadata() -> MetaData:
    return MetaData(naming_convention=NAMING_CONVENTION)


def any_of(column: ColumnElement[Any], values: Iterable[Any]) -> ColumnElement[bool]:
    """`column = ANY(one array parameter)`: any number of values. An IN list binds one
    parameter per value, and asyncpg sends at most 32,767 (more fails as our own bug)."""
    return column == any_(literal(sorted(set(values)), ARRAY(column.type)))


def enum_type(enum: type[PyEnum], name: str) -> Enum:
    """Stores the enum's values as text (no native PG enum: adding a value needs no migration)."""
    return Enum(
        enum,
        name=name,
        values_callable=lambda e: [m.value for m in e],
        native_enum=False,
        length=32,
    )


class ModelJSON(TypeDecorator[Any]):
    """JSONB holding a contract value object (`many`: a list of them), e.g. a meeting's attendees.

    Aggregates keep the contract's models, so events are built from them as they are; the
    conversion to and from JSON happens here, once per row written or read.
    """

    impl = JSONB
    cache_ok = True

    def __init__(self, model: type[BaseModel], *, many: bool = False) -> None:
        super().__init__()
        self.model = model
        self.many = many

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        if value is None:
            return None
        if self.many:
            return [item.model_dump(mode="json") for item in value]
        return value.model_dump(mode="json")

    def process_result_value(self, value: Any, dialect: Dialect) -> Any:
        if value is None:
            return None
        if self.many:
            return [self.model.model_validate(item) for item in value]
        return self.model.model_validate(value)


def timestamp(name: str, *, nullable: bool = True) -> Column[datetime]:
    return Column(name, DateTime(timezone=True), nullable=nullable)


class ServiceBase(DeclarativeBase):
    """Subclass once per service (`class Base(ServiceBase): metadata = new_metadata()`)."""

    __abstract__ = True


def create_engine(
    url: str, *, pool_size: int = 10, application_name: str = "dealflow"
) -> AsyncEngine:
    return create_async_engine(
        asyncpg_url(url),
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_pre_ping=False,
        pool_recycle=1800,
        # orjson instead of the stdlib for JSON/JSONB columns: several times faster per row.
        json_serializer=_dump_json,
        json_deserializer=orjson.loads,
        connect_args={
            "server_settings": {"application_name": application_name},
            "timeout": 5,
            "command_timeout": 30,
        },
    )


def _dump_json(value: object) -> str:
    return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=False)


async def ping(engine: AsyncEngine) -> None:
    async with engine.connect() as conn:
        await conn.execute(text("SELECT 1"))


async def insert_new(session: AsyncSession, objects: Sequence[object]) -> None:
    """Inserts new mapped objects, one executemany per class in order of appearance, and attaches
    them to the session as if loaded: later changes to them are flushed as UPDATEs.

    The same rows as `session.add_all` + `flush`, without the ORM unit of work's per-object
    bookkeeping: that flush took 25-31% of meetings' and deals' time per event in an isolated
    cProfile run (batches of 200). Every mapped column
    is written, None as NULL (server defaults do not apply): new objects carry all their values.

    asyncpg runs the executemany as one statement per row, so a table's statement-level
    triggers (the rollups) fire per row: measured at +5.6% of a 200-booking meetings batch. A
    multi-row VALUES statement instead made the same batch 3.3 times slower (SQLAlchemy compiles
    every row's parameters each time), so the executemany stays.
    """
    by_class: dict[type, list[object]] = {}
    for obj in objects:
        by_class.setdefault(type(obj), []).append(obj)
    for cls, group in by_class.items():
        mapper: Mapper[Any] = inspect(cls)
        columns = [(prop.key, prop.columns[0].key) for prop in mapper.column_attrs]
        await session.execute(
            insert(cast(Table, mapper.local_table)),
            [{column: getattr(obj, attr) for attr, column in columns} for obj in group],
        )
        for obj in group:
            make_transient_to_detached(obj)
        session.add_all(group)


async def insert_rows(
    session: AsyncSession, table: Table, rows: Sequence[Mapping[str, Any]]
) -> None:
    """Inserts rows (dicts with the same keys) in one statement, in the order given: one array
    parameter per column, unnested. The statement is compiled once per table and key set, where
    a multi-row VALUES compiles every row's parameters on each call, and an executemany runs
    the table's statement-level triggers once per row."""
    if not rows:
        return
    columns = tuple(rows[0])
    json_columns = {name for name in columns if isinstance(table.c[name].type, JSON)}
    params = {
        name: [_dump_json(row[name]) if name in json_columns else row[name] for row in rows]
        for name in columns
    }
    await session.execute(_unnest_insert(table, columns), params)


@cache
def _unnest_insert(table: Table, columns: tuple[str, ...]) -> TextClause:
    dialect = postgresql.dialect()
    quote = dialect.identifier_preparer.quote
    arrays, picks = [], []
    for name in columns:
        column_type = table.c[name].type
        if isinstance(column_type, ARRAY):
            raise TypeError(f"{table.name}.{name}: array columns cannot be unnested row by row")
        is_json = isinstance(column_type, JSON)
        # JSON travels as text (serialized here); strings as text whatever their collation.
        sql_type = (
            "text"
            if is_json or isinstance(column_type, String)
            else column_type.compile(dialect=dialect)
        )
        arrays.append(f"CAST(:{name} AS {sql_type}[])")
        picked = f"r.{quote(name)}"
        picks.append(
            f"CAST({picked} AS {column_type.compile(dialect=dialect)})" if is_json else picked
        )
    names = ", ".join(quote(name) for name in columns)
    return text(
        f"INSERT INTO {quote(table.name)} ({names}) SELECT {', '.join(picks)} "  # noqa: S608 - our names
        f"FROM unnest({', '.join(arrays)}) WITH ORDINALITY AS r({names}, row_number) "
        "ORDER BY r.row_number"
    )
