"""Shared fixtures: paths to the shared reference material."""

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
PILOT_SDTM = SHARED / "data" / "cdiscpilot01" / "sdtm"


@pytest.fixture(scope="session")
def pilot_sdtm_dir() -> Path:
    if not PILOT_SDTM.is_dir():
        pytest.fail(f"../shared is missing: {PILOT_SDTM}")
    return PILOT_SDTM
