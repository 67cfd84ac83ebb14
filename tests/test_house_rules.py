"""House rules a linter cannot check, checked by reading the code (docs/architecture.md)."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SERVICES = sorted(p for p in (ROOT / "services").glob("*/src/*") if (p / "__init__.py").exists())


def _modules_outside_db(package: Path) -> list[Path]:
    """Every module of a service except its db/ package (repositories and tables) and migrations."""
    return [
        path
        for path in package.rglob("*.py")
        if not {"db", "migrations"} & set(path.relative_to(package).parts)
    ]


@pytest.mark.parametrize("package", SERVICES, ids=lambda p: p.name)
def test_only_repositories_touch_the_session(package: Path) -> None:
    """The unit of work is the only door to the database: use cases, APIs and consumers go
    through `uow.<repository>` (and `uow.flush()`), never `uow.session`."""
    offenders = []
    for path in _modules_outside_db(package):
        if path.name == "uow.py":
            continue  # binds the repositories to the session
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Attribute) and node.attr == "session":
                offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert offenders == [], "move this SQL into a repository: " + ", ".join(offenders)


def test_the_rule_sees_every_service() -> None:
    assert {p.name for p in SERVICES} >= {"ingest", "meetings", "deals"}
