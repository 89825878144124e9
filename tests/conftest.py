"""Shared fixtures: a box on a temp data dir with a real SQLite journal and DuckDB read model."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("OMP_THREAD_LIMIT", "1")

from appliance.box import open_box  # noqa: E402
from appliance.config import parse  # noqa: E402
from hub.devstack import free_port  # noqa: E402

try:  # fixtures of other areas, when present
    from tests.conftest_web import *  # noqa: F401,F403,E402
except ImportError:
    pass
try:
    from tests.conftest_services import *  # noqa: F401,F403,E402
except ImportError:
    pass
from tests.browser import *  # noqa: F401,F403,E402  (the `browser` fixture)

ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"


@pytest.fixture
def settings(tmp_path):
    return parse({"data_dir": tmp_path / "data", "device_id": "box-test", "port": free_port(),
                  "poll_seconds": 0.2})


@pytest.fixture
def box(settings):
    opened = open_box(settings)
    yield opened
    opened.close()


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS
