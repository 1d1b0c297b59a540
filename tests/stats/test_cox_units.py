"""Cox sums over (cell, covariate pattern) units equal the sums over rows: heavily tied
data with a treatment and a two-level factor, Efron and Breslow, strata and integer
weights, fitted both ways. (R agreement of the unit path: the lung ``months`` cases of
survival_reference.json, which compress 227 rows to 55 units.)"""

import numpy as np
import pytest

from adam.stats import cox


def tied_data(n=20_000, seed=4):
    rng = np.random.default_rng(seed)
    trt = rng.integers(0, 2, n)
    sex = rng.integers(0, 2, n)
    time = np.ceil(rng.exponential(60 * np.exp(0.3 * trt - 0.2 * sex)))
    cens = np.ceil(rng.uniform(20, 200, n))
    return (np.minimum(time, cens), (time <= cens).astype(int), np.column_stack([trt, sex]),
            rng.integers(0, 3, n), rng.integers(1, 4, n).astype(float))


@pytest.mark.parametrize("ties", ["efron", "breslow"])
@pytest.mark.parametrize("use_strata, use_weights", [(False, False), (True, False), (True, True)])
def test_units_equal_rows(monkeypatch, ties, use_strata, use_weights):
    time, event, x, strata, w = tied_data()
    kwargs = dict(strata=strata if use_strata else None, weights=w if use_weights else None)
    units = cox.CoxPH(ties=ties).fit(time, event, x, **kwargs)
    monkeypatch.setattr(cox, "_patterns", lambda x, most=64: (None, None))
    rows = cox.CoxPH(ties=ties).fit(time, event, x, **kwargs)
    np.testing.assert_allclose(units.coef, rows.coef, rtol=1e-10)
    np.testing.assert_allclose(units.var, rows.var, rtol=1e-10)
    np.testing.assert_allclose(units.loglik, rows.loglik, rtol=1e-12)
    assert units.iterations == rows.iterations and units.score_test == pytest.approx(rows.score_test, rel=1e-10)


def test_units_are_used_on_tied_data_and_not_on_continuous(monkeypatch):
    seen = []
    real = cox._RiskSets._units

    def spy(self, x, w):
        real(self, x, w)
        seen.append((len(x), len(self.unit_w)))

    monkeypatch.setattr(cox._RiskSets, "_units", spy)
    time, event, x, strata, _ = tied_data()
    cox.CoxPH().fit(time, event, x, strata=strata)
    cox.CoxPH().fit(time, event, np.random.default_rng(1).normal(size=len(time)))
    (rows, units), (rows2, units2) = seen
    assert units < rows / 5           # <= ~200 times x 3 strata x 4 patterns
    assert units2 == rows2            # a continuous covariate: rows


def test_unique_inverse_equals_numpy():
    from adam.stats._arrays import unique_inverse

    rng = np.random.default_rng(2)
    for values in (rng.integers(0, 50, 1000).astype(float), rng.normal(size=500), np.array([3, 1, 3, 2]),
                   np.array([2.0, np.nan, 1.0, np.nan]), np.array([], dtype=float)):
        want_u, want_i = np.unique(values, return_inverse=True)
        got_u, got_i = unique_inverse(values)
        np.testing.assert_array_equal(got_u, want_u)
        np.testing.assert_array_equal(got_i, want_i.reshape(-1))
