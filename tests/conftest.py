"""Shared test fixtures: the real run folders beside the project, and fixture trees."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parents[1]
REALDATA = Path(os.environ.get("RUNBOARD_REALDATA", PROJECT.parent / "shared" / "realdata")).resolve()


def realdata_path() -> Path:
    """``../shared/realdata``; skipped only when absent outside CI."""
    if not REALDATA.is_dir():
        if os.environ.get("CI"):
            pytest.fail(f"{REALDATA} is missing, and CI must have it")
        pytest.skip(f"{REALDATA} not present (tests that need it run in CI)")
    return REALDATA


@pytest.fixture
def realdata() -> Path:
    return realdata_path()
