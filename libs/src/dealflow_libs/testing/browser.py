"""Headless Chromium for browser tests: Debian's `chromium` package driven by Playwright (no
browser download), and a screenshot of every page a test looks at under artifacts/."""

import os
import re
import shutil
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from playwright.async_api import Browser, Page, async_playwright

#: Flags for a closed network (no background calls that the sandbox refuses) and root.
CHROMIUM_ARGS = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)

ARTIFACTS = Path(os.environ.get("DEALFLOW_ARTIFACTS", "artifacts")) / "screenshots"


def chromium_path() -> str:
    """Where Debian's Chromium is (DEALFLOW_CHROMIUM overrides); `make test` installs it."""
    found = os.environ.get("DEALFLOW_CHROMIUM") or shutil.which("chromium")
    if not found:
        raise RuntimeError(
            "Chromium is not installed: `apt-get install chromium` (make test does it)"
        )
    return found


@asynccontextmanager
async def chromium() -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=chromium_path(), args=list(CHROMIUM_ARGS)
        )
        try:
            yield browser
        finally:
            await browser.close()


async def screenshot(page: Page, name: str) -> Path:
    """A full-page PNG under artifacts/screenshots/ named after what it shows."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{re.sub(r'[^a-z0-9_-]+', '-', name.lower()).strip('-')}.png"
    await page.screenshot(path=str(path), full_page=True)
    return path
