"""Every page template compiles with the console's own filters: a syntax error fails here, not
in a browser test minutes later."""

from pathlib import Path

import pytest

from console.web.rendering import templates

TEMPLATES = sorted(
    p.name for p in (Path(__file__).parents[2] / "src/console/templates").glob("*.html")
)


def test_the_templates_are_found() -> None:
    assert {"base.html", "reports.html"} <= set(TEMPLATES)


@pytest.mark.parametrize("name", TEMPLATES)
def test_a_template_compiles(name: str) -> None:
    templates.env.get_template(name)
