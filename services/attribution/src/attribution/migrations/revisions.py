"""Earlier revisions' modules, for a revision that builds on their SQL or undoes to them."""

import importlib.util
from pathlib import Path
from types import ModuleType


def revision_module(filename: str) -> ModuleType:
    """The revision in versions/`filename`, loaded as a module (its name starts with a digit,
    so it cannot be imported by name)."""
    path = Path(__file__).with_name("versions") / filename
    spec = importlib.util.spec_from_file_location(f"attribution_migration_{path.stem}", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
