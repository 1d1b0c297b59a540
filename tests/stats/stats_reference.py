"""R reference fixtures (made by tests/fixtures/r/make_fixtures.R; R is not called here)."""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "r"
SPECIAL = {"NaN": np.nan, "Inf": np.inf, "-Inf": -np.inf, None: np.nan}


def as_array(values) -> np.ndarray:
    values = values if isinstance(values, list) else [values]
    return np.array([SPECIAL.get(v, v) if not isinstance(v, (int, float)) else v for v in values],
                    dtype=float)


def assert_r_close(actual, expected, rtol=1e-6, atol=1e-10):
    """Equal to R within ``rtol`` (relative), NaN where R has NA/NaN, inf where R has Inf."""
    np.testing.assert_allclose(np.asarray(actual, dtype=float), as_array(expected),
                               rtol=rtol, atol=atol, equal_nan=True)

REFERENCE = json.loads((FIXTURES / "survival_reference.json").read_text())


def dataset(name: str) -> pd.DataFrame:
    """``lung``, ``heart`` or ``small_curves`` as exported by make_fixtures.R."""
    return pd.read_csv(FIXTURES / f"{name}.csv")


def smoke_first(cases: list, n: int = 1) -> list:
    """``cases`` for ``parametrize``, the first ``n`` also in the smoke subset
    (``pytest -m smoke``, run on the oldest supported versions)."""
    return [pytest.param(c, marks=pytest.mark.smoke) if i < n else c for i, c in enumerate(cases)]
