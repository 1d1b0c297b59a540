"""Shared fixtures: the reference data shipped with adamant (``adam/examples``).

The suite needs nothing beside the checkout: the CDISC pilot SDTM and the sponsor's ADaM
define are package data, decompressed once into the user cache."""

from pathlib import Path

import pytest

from adam.examples import example_folder, example_source

REPO = Path(__file__).resolve().parents[1]
PILOT_DEFINE = example_source("cdiscpilot01/adam-define.xml")


@pytest.fixture(scope="session")
def pilot_sdtm_dir() -> Path:
    """The CDISC pilot SDTM as plain ``.xpt`` files."""
    return example_folder("cdiscpilot01/sdtm")
