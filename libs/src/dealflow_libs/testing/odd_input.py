"""Odd input for property-style tests: values that once broke a service, put anywhere in a body.

`mutate` puts them at random places of a realistic JSON body; `assert_storable` checks what a
model accepted against what PostgreSQL and asyncpg can hold, independently of the model's own
bounds; `request_models` finds every JSON body model an app's routes take.
"""

import copy
import math
import random
from collections.abc import Iterator
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import orjson
from fastapi import FastAPI
from fastapi.routing import APIRoute
from pydantic import BaseModel, ValidationError

from dealflow_schemas.bounded import MAX_YEAR, MIN_YEAR, MONEY_END, TEXT

ODD_TEXTS = ["", " ", "\x00", "a\x00b", "x" * 300, "é" * 600, "y" * 10_001, "😀", "\u202e", "²"]
ODD_TIMES = [
    "0001-01-01T00:00:00Z",
    "9999-12-31T23:59:59Z",
    "9999-12-31T23:00:00-05:00",
    "0001-01-01T00:30:00+01:00",
    "1899-12-31T23:59:59Z",
    "2201-01-01T00:00:00Z",
    "2025-02-30T10:00:00Z",
    "2030-01-01T10:00:00",
    "2025-01-01",
    "0001-01-01",
    "9999-12-31",
]
ODD_NUMBERS: list[Any] = [0, -1, 2**31, -(2**31) - 1, 2**63 - 1, -(2**63), 1e300, 7.3e51, 0.001]
DEEP: Any = "deep"
for _ in range(20):
    DEEP = [DEEP]  # 20 lists deep
ODD_SHAPES: list[Any] = [True, None, [], {}, {"a\x00": 1}, ["\x00"], DEEP]
ODD_VALUES: list[Any] = [*ODD_TEXTS, *ODD_TIMES, "1e300", "NaN", "-1", *ODD_NUMBERS, *ODD_SHAPES]
ODD_KEYS = ["\x00", "k\x00", "k" * 600, "", "😀"]


def json_paths(node: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """Every location in a JSON value: object keys and list indexes."""
    yield prefix
    if isinstance(node, dict):
        for key, value in node.items():
            yield from json_paths(value, (*prefix, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from json_paths(value, (*prefix, index))


def mutate(body: dict[str, Any], rng: random.Random) -> None:
    """One to three odd values at random places, sometimes under an odd new key."""
    for _ in range(rng.randint(1, 3)):
        *parent_path, last = rng.choice([p for p in json_paths(body) if p] or [("extra",)])
        parent: Any = body
        for step in parent_path:
            parent = parent[step]
        if isinstance(parent, dict) and rng.random() < 0.2:
            parent[rng.choice(ODD_KEYS)] = copy.deepcopy(rng.choice(ODD_VALUES))
        else:
            parent[last] = copy.deepcopy(rng.choice(ODD_VALUES))


def assert_storable(value: Any, where: str = "") -> None:
    """Asserts PostgreSQL could hold every part of `value` (a model or plain data)."""
    if isinstance(value, BaseModel):
        value = value.model_dump()
    if isinstance(value, str):
        assert "\x00" not in value, where
        value.encode()  # no lone surrogates
        assert len(value) <= TEXT.max_length, where
    elif isinstance(value, datetime):
        assert value.tzinfo is not None, where
        assert MIN_YEAR - 1 <= value.year <= MAX_YEAR, where  # - 1: an offset east of UTC
    elif isinstance(value, date):
        assert MIN_YEAR <= value.year <= MAX_YEAR, where
    elif isinstance(value, Decimal):  # amounts: Numeric(14, 2)
        assert value.is_finite(), where
        assert abs(value) < MONEY_END, where
    elif isinstance(value, float):
        assert math.isfinite(value), where  # jsonb holds any finite number
    elif isinstance(value, int) and not isinstance(value, bool):
        assert -(2**63) <= value < 2**63, where
    elif isinstance(value, dict):
        for key, item in value.items():
            assert_storable(key, f"{where}.{key}")
            assert_storable(item, f"{where}.{key}")
    elif isinstance(value, list | tuple | set | frozenset):
        for index, item in enumerate(value):
            assert_storable(item, f"{where}[{index}]")


def request_models(app: FastAPI) -> dict[str, type[BaseModel]]:
    """`METHOD path` -> the model of its JSON body, for every route of `app` that takes one."""
    found: dict[str, type[BaseModel]] = {}
    for route in _api_routes(app.routes):
        for param in route.dependant.body_params:
            model = param.field_info.annotation
            if isinstance(model, type) and issubclass(model, BaseModel):
                for method in sorted(route.methods or ()):
                    found[f"{method} {route.path}"] = model
    return found


def _api_routes(routes: list[Any]) -> Iterator[APIRoute]:
    for route in routes:
        if isinstance(route, APIRoute):
            yield route
        elif (router := getattr(route, "original_router", None)) is not None:
            yield from _api_routes(router.routes)  # an included router keeps its own routes


def fuzz_model(model: type[BaseModel], valid: dict[str, Any], *, seed: str, rounds: int) -> int:
    """Validates `rounds` mutations of `valid` as JSON bodies: each is refused with a
    ValidationError (a 422) or accepted and storable. Returns how many were refused."""
    model.model_validate_json(orjson.dumps(valid))
    rng, refused = random.Random(seed), 0
    for _ in range(rounds):
        body = copy.deepcopy(valid)
        mutate(body, rng)
        try:
            accepted = model.model_validate_json(orjson.dumps(body))
        except ValidationError:
            refused += 1
            continue
        assert_storable(accepted, f"{model.__name__} from {body!r:.300}")
    return refused
