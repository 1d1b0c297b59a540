"""Group-sequential efficacy boundaries from Lan-DeMets O'Brien-Fleming-type alpha spending.

Spending function (gsDesign ``sfLDOF``, rpact ``asOF``), one side with level ``a``:
``alpha(t) = 2 - 2 * Phi(Phi^-1(1 - a / 2) / sqrt(t))``. Boundaries solve, look by look,
``P(no earlier crossing, crossing at look k) = alpha(t_k) - alpha(t_{k-1})`` under H0 for the
canonical joint distribution (``Z_k = B(t_k) / sqrt(t_k)``, ``B`` a Brownian motion): the
sub-density of ``B`` on the continuation region is carried from look to look by numerical
integration (Simpson's rule, Jennison & Turnbull 2000, ch. 19). Two-sided designs are
symmetric: each side spends ``alpha / 2`` and crossing either side stops the trial.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from adam.stats._dist import norm

from adam.errors import StatError

GRID_POINTS = 101  # per unit of sd; odd, Simpson's rule
SPAN = 10.0        # continuation region truncated at -SPAN sd (one-sided)


def obf_spending(t, alpha: float = 0.025) -> np.ndarray:
    """Cumulative alpha spent at information fractions ``t`` (one side, level ``alpha``)."""
    t = np.asarray(t, dtype=float)
    with np.errstate(divide="ignore"):
        return np.where(t > 0, 2 - 2 * norm.cdf(norm.ppf(1 - alpha / 2) / np.sqrt(t)), 0.0)


def _simpson(lo: float, hi: float, n: int):
    grid = np.linspace(lo, hi, n)
    w = np.ones(n)
    w[1:-1:2], w[2:-1:2] = 4, 2
    return grid, w * (hi - lo) / (n - 1) / 3


def _bisect(f, lo: float, hi: float, tol: float = 1e-12) -> float:
    """Root of a decreasing ``f`` on [lo, hi] (the crossing probability falls as the
    boundary rises)."""
    while hi - lo > tol:
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if f(mid) > 0 else (lo, mid)
    return (lo + hi) / 2


def obf_boundaries(fractions, alpha: float = 0.025, sides: int = 1) -> pd.DataFrame:
    """Efficacy boundaries at the given information fractions (increasing, in (0, 1]).

    ``alpha`` is one-sided for ``sides=1`` and the total for ``sides=2``. Returns one row
    per look: info_fraction, alpha_cumulative, alpha_increment, z (boundary on the Z
    scale), p_nominal (one-sided p for ``sides=1``, two-sided for ``sides=2``)."""
    t = np.asarray(fractions, dtype=float)
    if t.ndim != 1 or len(t) == 0 or (t <= 0).any() or (t > 1).any() or (np.diff(t) <= 0).any():
        raise StatError("information fractions must be increasing values in (0, 1]")
    if sides not in (1, 2):
        raise StatError("sides must be 1 or 2")
    side_alpha = alpha if sides == 1 else alpha / 2
    spent = obf_spending(t, side_alpha) * sides
    increments = np.diff(np.concatenate(([0.0], spent)))
    z = np.empty(len(t))
    nodes = weights = density = None  # sub-density of B(t_{k-1}) on the continuation region
    for k, tk in enumerate(t):
        if k == 0:
            z[0] = norm.isf(increments[0] / sides)
        else:
            sd = np.sqrt(tk - t[k - 1])

            def cross(c):
                upper = norm.sf((c * np.sqrt(tk) - nodes) / sd)
                if sides == 2:
                    upper = upper + norm.cdf((-c * np.sqrt(tk) - nodes) / sd)
                return float(np.sum(weights * density * upper)) - increments[k]

            z[k] = _bisect(cross, 0.0, 40.0)
        # carry the sub-density of B(t_k) on its continuation region to the next look
        hi = z[k] * np.sqrt(tk)
        lo = -hi if sides == 2 else -SPAN * np.sqrt(tk)
        n = int(GRID_POINTS * (hi - lo) / np.sqrt(tk)) // 2 * 2 + 1
        new_nodes, new_weights = _simpson(lo, hi, n)
        if k == 0:
            new_density = norm.pdf(new_nodes, scale=np.sqrt(tk))
        else:
            kernel = norm.pdf((new_nodes[:, None] - nodes[None, :]) / sd) / sd
            new_density = kernel @ (weights * density)
        nodes, weights, density = new_nodes, new_weights, new_density
    p_nominal = norm.sf(z) * sides
    return pd.DataFrame({"info_fraction": t, "alpha_cumulative": spent,
                         "alpha_increment": increments, "z": z, "p_nominal": p_nominal})
