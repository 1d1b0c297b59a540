"""Log-rank test, unstratified and stratified, k groups: R ``survdiff`` (rho = 0)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from adam.stats._dist import chi2

from adam.stats._arrays import (as_event, as_float, check_lengths, factor, merge_near_ties,
                                strata_codes, unique_inverse)


@dataclass
class LogrankResult:
    chisq: float
    df: int
    p_value: float
    levels: list
    observed: np.ndarray
    expected: np.ndarray
    variance: np.ndarray = field(repr=False)
    n: np.ndarray = field(repr=False)

    def stats(self) -> dict:
        """ARD ``logrank`` statistics."""
        return {"chisq": self.chisq, "df": self.df, "p_value": self.p_value}

    @property
    def summary(self) -> pd.DataFrame:
        return pd.DataFrame({"n": self.n, "observed": self.observed,
                             "expected": self.expected}, index=pd.Index(self.levels, name="group"))


def risk_counts(time, event, group_codes, k, strata):
    """Per (stratum, distinct time) with at least one event: deaths d (T x k) and numbers
    at risk r (T x k), from counts per (stratum, time) cell and reverse cumulative sums."""
    ranks = unique_inverse(time)[1]
    n_ranks = int(ranks.max()) + 1 if len(ranks) else 1
    cell_keys, run_id = unique_inverse(strata * n_ranks + ranks)
    n_runs = len(cell_keys)
    cell = run_id * k + group_codes
    d = np.bincount(cell, weights=event, minlength=n_runs * k).reshape(n_runs, k)
    leaving = np.bincount(cell, minlength=n_runs * k).reshape(n_runs, k).astype(float)
    run_stratum = cell_keys // n_ranks
    # reverse cumulative sum within stratum: total from this cell to the stratum's end
    rev = np.cumsum(leaving[::-1], axis=0)[::-1]
    stratum_end = np.searchsorted(run_stratum, run_stratum, side="right")
    rev_pad = np.vstack([rev, np.zeros((1, k))])
    at_risk = rev - rev_pad[stratum_end]
    has_event = d.sum(axis=1) > 0
    return d[has_event], at_risk[has_event]


def logrank_test(time, event, group, strata=None) -> LogrankResult:
    """``survdiff(Surv(time, event) ~ group [+ strata(...)])``: chi-square on k - 1 df."""
    time, event = as_float(time, "time"), as_event(event)
    codes, levels = factor(group)
    n = check_lengths(time=time, event=event, group=codes)
    k = len(levels)
    s = strata_codes(strata, n)
    (time,) = merge_near_ties(time)
    d, r = risk_counts(time, event, codes, k, s)
    d_tot, r_tot = d.sum(axis=1), r.sum(axis=1)
    frac = r / r_tot[:, None]
    expected = (d_tot[:, None] * frac).sum(axis=0)
    observed = d.sum(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        w = np.where(r_tot > 1, d_tot * (r_tot - d_tot) / (r_tot - 1), 0.0)
    variance = np.diag((w[:, None] * frac).sum(axis=0)) - (frac * w[:, None]).T @ frac
    valid = expected > 0
    if valid.sum() < 2:
        chisq = 0.0
    else:
        diff = (observed - expected)[valid][1:]
        vv = variance[np.ix_(valid, valid)][1:, 1:]
        chisq = float(diff @ np.linalg.solve(vv, diff))
    df = int(valid.sum()) - 1
    return LogrankResult(chisq=chisq, df=df, p_value=float(chi2.sf(chisq, df)) if df > 0 else np.nan,
                         levels=list(levels), observed=observed, expected=expected,
                         variance=variance, n=np.bincount(codes, minlength=k))
