"""Realistic Cal.com and Calendly deliveries (invented people) for the CLI, tests, benchmarks."""

import json
from importlib.resources import files
from typing import Any


def names() -> list[str]:
    return sorted(p.name[:-5] for p in files(__name__).iterdir() if p.name.endswith(".json"))


def load(name: str) -> Any:
    return json.loads(files(__name__).joinpath(f"{name}.json").read_text())
