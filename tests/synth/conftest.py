"""Session-scoped synthetic studies shared by the synth tests (generated once)."""

import pytest

from adam.synth import synthesize


@pytest.fixture(scope="session")
def mm3():
    return synthesize("tourmaline-mm3")


@pytest.fixture(scope="session")
def mm4():
    return synthesize("tourmaline-mm4")


@pytest.fixture(scope="session")
def twins(mm3, mm4):
    return {"tourmaline-mm3": mm3, "tourmaline-mm4": mm4}
