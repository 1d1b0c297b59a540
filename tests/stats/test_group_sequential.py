"""Lan-DeMets O'Brien-Fleming-type boundaries.

Checked two independent ways: the classic gsDesign/rpact boundaries for equally spaced
looks (one-sided 0.025; K=2: 2.9626, 1.9686; K=3: 3.7103, 2.5114, 1.9930; K=5: 4.8769,
3.3570, 2.6803, 2.2898, 2.0310), and the crossing probabilities recomputed from the
multivariate normal distribution of (Z_1..Z_K), corr sqrt(t_i / t_j), with scipy's Genz
integration (not the recursive integration the module uses)."""

import numpy as np
import pytest
from scipy.stats import multivariate_normal, norm

from adam.errors import StatError
from adam.stats.group_sequential import obf_boundaries, obf_spending


def test_spending_function_closed_form():
    # alpha(1) = alpha; alpha(0.5) = 2 - 2 Phi(2.241403 / sqrt(0.5))
    assert obf_spending(1.0, 0.025) == pytest.approx(0.025, rel=1e-12)
    assert obf_spending(0.5, 0.025) == pytest.approx(2 * norm.sf(norm.isf(0.0125) * np.sqrt(2)), rel=1e-12)


@pytest.mark.parametrize("k, published", [
    (2, [2.9626, 1.9686]),
    (3, [3.7103, 2.5114, 1.9930]),
    (5, [4.8769, 3.3570, 2.6803, 2.2898, 2.0310]),
])
def test_published_equally_spaced(k, published):
    got = obf_boundaries(np.arange(1, k + 1) / k, alpha=0.025)
    np.testing.assert_allclose(got["z"], published, atol=5e-5)
    assert got["alpha_cumulative"].iloc[-1] == pytest.approx(0.025, rel=1e-12)


def corr(t):
    t = np.asarray(t)
    return np.sqrt(np.minimum.outer(t, t) / np.maximum.outer(t, t))


@pytest.mark.parametrize("fractions, sides, alpha", [
    ([0.25, 0.6, 1.0], 1, 0.025), ([0.3, 0.55, 0.8, 1.0], 2, 0.05), ([0.5, 0.9], 1, 0.01)])
def test_crossing_probabilities_by_multivariate_normal(fractions, sides, alpha):
    got = obf_boundaries(fractions, alpha=alpha, sides=sides)
    z, t = got["z"].to_numpy(), np.asarray(fractions)
    for k in range(1, len(t) + 1):
        mvn = multivariate_normal(mean=np.zeros(k), cov=corr(t[:k]), abseps=1e-9, releps=1e-9,
                                  maxpts=2_000_000)
        lower = -z[:k] if sides == 2 else np.full(k, -np.inf)
        no_crossing = mvn.cdf(z[:k], lower_limit=lower)
        assert 1 - no_crossing == pytest.approx(got["alpha_cumulative"].iloc[k - 1], abs=2e-7)
    np.testing.assert_allclose(got["p_nominal"], sides * norm.sf(z), rtol=1e-12)


def test_bad_fractions_rejected():
    with pytest.raises(StatError):
        obf_boundaries([0.5, 0.4])
