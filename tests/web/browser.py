"""The Playwright harness: Debian's chromium (never Playwright's own download),
headless, in a fresh profile folder, against the app served by uvicorn.

Screenshots go to tests/artifacts/web/ (git-ignored) for people to look at.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from playwright.sync_api import BrowserContext, Page, sync_playwright

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
VIEWPORT = {"width": 1366, "height": 900}  # a common front-desk screen


@contextmanager
def chromium(profile: Path) -> Iterator[BrowserContext]:
    if profile.exists():
        shutil.rmtree(profile)
    with sync_playwright() as pw:
        context = pw.chromium.launch_persistent_context(
            str(profile), executable_path=CHROMIUM, headless=True, args=ARGS, viewport=VIEWPORT,
            accept_downloads=True, locale="en-US", timezone_id="UTC",
        )
        context.set_default_timeout(15_000)
        try:
            yield context
        finally:
            context.close()


def shoot(page: Page, folder: Path, name: str) -> Path:
    path = folder / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
