"""The real box in a real browser, for the Playwright tests: headless Debian Chromium, the box
started on a free port and its first owner's password, logging in, screenshots in test-artifacts/.

Its ``browser`` fixture reaches every test through tests/conftest.py (``from tests.browser import *``);
the test modules import the rest by name. Never mocks the box: it is `python -m appliance run`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from hub.devstack import free_port
from tests.box_process import RunningBox

__all__ = ["browser"]

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]


@pytest.fixture
def browser():
    playwright_api = pytest.importorskip("playwright.sync_api")
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian chromium is not installed")
    with playwright_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


def initial_password(data: Path) -> str:
    """The owner's password the box writes on its first start."""
    return (data / "initial-password.txt").read_text().split("password:")[1].strip()


@contextmanager
def box_answering(data: Path, log: Path, env: dict[str, str] | None = None,
                  timeout: float = 90) -> Iterator[tuple[RunningBox, str]]:
    """The real box on ``data`` and a free port, once it answers its health check; stopped on exit."""
    box = RunningBox(data, free_port(), log, env=env)
    try:
        box.wait(box.health, timeout, "the box to answer")
        yield box, initial_password(data)
    finally:
        box.stop()


def log_in(page, base: str, password: str) -> None:
    """Log in as the owner from the login page ``page`` is on."""
    page.fill("#username", "owner")
    page.fill("#password", password)
    page.press("#password", "Enter")
    page.wait_for_url(f"{base}/")


def logged_in(browser, base: str, password: str, **context_args):
    """A new browser context logged in as the owner: (context, page, page errors seen so far)."""
    context = browser.new_context(base_url=base, **context_args)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto("/login")
    log_in(page, base, password)
    return context, page, errors


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
