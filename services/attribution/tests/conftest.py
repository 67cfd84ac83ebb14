"""Until the service joins the uv workspace (the lead integrates it after issue 8), its source is
not installed in the environment: put it on the path so the root test run collects these tests."""

import sys
from pathlib import Path

_SOURCE = str(Path(__file__).resolve().parents[1] / "src")
if _SOURCE not in sys.path:
    sys.path.insert(0, _SOURCE)
