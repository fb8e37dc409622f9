"""Headless Chromium for the browser tests: Debian's /usr/bin/chromium driven by Playwright.

The set-up (`make test` → scripts/install-system-deps.sh) installs Chromium, so a missing browser
is a failed set-up and the browser tests fail with that reason instead of skipping silently.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import sync_playwright

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--no-first-run", "--disable-sync"]


def chromium_path() -> str:
    """The browser executable; the test fails (not skips) when the set-up did not install it."""
    if not CHROMIUM.exists():
        pytest.fail("headless Chromium is not installed at /usr/bin/chromium: run scripts/install-system-deps.sh "
                    "(make test does)", pytrace=False)
    return str(CHROMIUM)


@contextmanager
def launch(profile: Path, width: int = 1400, height: int = 900, **options: Any) -> Iterator[Any]:
    """A persistent Chromium context with its own profile, service workers blocked."""
    executable = chromium_path()
    with sync_playwright() as p:
        context = p.chromium.launch_persistent_context(
            str(profile), executable_path=executable, headless=True, args=ARGS,
            viewport={"width": width, "height": height}, service_workers="block", **options,
        )
        try:
            yield context
        finally:
            context.close()
