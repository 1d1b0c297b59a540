"""Subgroup analysis: per-level counts and hazard ratios, treatment-by-subgroup interaction.

Per level: n and events per arm, and the Cox HR of treatment within the level (stratified
as the main model); NaN when not estimable (an arm without subjects or events, a fit that
fails or does not converge, or a coefficient R would flag as possibly infinite).
Interaction: likelihood-ratio test of the treatment x subgroup terms, comparing
``treatment + subgroup (+ strata)`` with ``treatment * subgroup (+ strata)`` (R:
``anova(fit0, fit1)``); the Wald test of the same terms is also given.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from adam.stats._dist import chi2

from adam.errors import StatError
from adam.stats._arrays import factor
from adam.stats.cox import WALD_STATS, CoxPH, treatment_dummies

HR_COLUMNS = list(WALD_STATS)


@dataclass
class SubgroupResult:
    levels: pd.DataFrame  # one row per level: level, n_<arm>, events_<arm>, hr, hr_lcl, ...
    arms: list
    p_interaction: float  # likelihood-ratio
    p_interaction_wald: float
    df: int

    def stats(self) -> dict:
        """ARD ``cox`` interaction row (``subgroup`` empty)."""
        return {"p_interaction": self.p_interaction}

    def level_stats(self, level) -> dict:
        """ARD ``cox`` statistics of the treatment contrast within one level."""
        row = self.levels.set_index("level").loc[level]
        return {k: row[k] for k in ("hr", "hr_lcl", "hr_ucl")}

    def arm_stats(self, level, arm) -> dict:
        """ARD ``km`` n and n_events of one arm within one level."""
        row = self.levels.set_index("level").loc[level]
        return {"n": row[f"n_{arm}"], "n_events": row[f"events_{arm}"]}


def _safe_cox(time, event, x, strata, ties):
    """The fit when every coefficient is :attr:`CoxPH.estimable`, else None."""
    try:
        fit = CoxPH(ties=ties).fit(time, event, x, strata=strata)
    except (StatError, np.linalg.LinAlgError, FloatingPointError):
        return None
    return fit if fit.estimable.all() else None


def subgroup_analysis(time, event, group, subgroup, ref=None, strata=None,
                      ties: str = "efron") -> SubgroupResult:
    """Counts, HRs and the interaction test for one subgroup variable (two arms or more;
    ``stats`` of each level is the first non-reference arm vs ``ref``). Rows with a
    missing subgroup value are left out."""
    time, event = np.asarray(time, dtype=float), np.asarray(event, dtype=float)
    sub = pd.Series(np.asarray(subgroup, dtype=object))
    keep = sub.notna().to_numpy()
    strata_cols = None if strata is None else _strata_columns(strata)
    time, event, sub = time[keep], event[keep], sub[keep].reset_index(drop=True)
    group = pd.Series(np.asarray(group)[keep])
    strata_cols = None if strata_cols is None else [c[keep] for c in strata_cols]
    trt = treatment_dummies(group, ref)
    arm_codes, arms = factor(group)
    sub_codes, sub_levels = factor(sub)
    rows = []
    for i, level in enumerate(sub_levels):
        m = sub_codes == i
        row = {"level": level}
        n_arm = np.bincount(arm_codes[m], minlength=len(arms))
        ev_arm = np.bincount(arm_codes[m], weights=event[m], minlength=len(arms))
        for a, arm in enumerate(arms):
            row[f"n_{arm}"], row[f"events_{arm}"] = int(n_arm[a]), int(ev_arm[a])
        fit = None
        if (ev_arm > 0).all():
            fit = _safe_cox(time[m], event[m], trt[m], None if strata_cols is None
                            else [c[m] for c in strata_cols], ties)
        stats = fit.stats() if fit is not None else {}
        row.update({k: stats.get(k, np.nan) for k in HR_COLUMNS})
        rows.append(row)
    p_lr, p_wald, df = _interaction_test(time, event, trt, sub_codes, len(sub_levels), strata_cols, ties)
    return SubgroupResult(pd.DataFrame(rows), list(arms), p_lr, p_wald, df)


def _strata_columns(strata):
    if isinstance(strata, pd.DataFrame):
        return [strata[c].to_numpy() for c in strata.columns]
    if isinstance(strata, (list, tuple)) and len(strata) and np.ndim(strata[0]) == 1:
        return [np.asarray(c) for c in strata]
    return [np.asarray(strata)]


def _interaction_test(time, event, trt, sub_codes, n_levels, strata, ties):
    sub_dummies = (sub_codes[:, None] == np.arange(1, n_levels)[None, :]).astype(float)
    inter = np.concatenate([trt.to_numpy()[:, [j]] * sub_dummies for j in range(trt.shape[1])], axis=1)
    main = np.column_stack([trt.to_numpy(), sub_dummies])
    reduced = _safe_cox(time, event, main, strata, ties)
    full = _safe_cox(time, event, np.column_stack([main, inter]), strata, ties)
    df = inter.shape[1]
    if reduced is None or full is None or df == 0:
        return np.nan, np.nan, df
    p_lr = float(chi2.sf(2 * (full.loglik[1] - reduced.loglik[1]), df))
    idx = np.arange(main.shape[1], main.shape[1] + df)
    b, v = full.coef[idx], full.var[np.ix_(idx, idx)]
    p_wald = float(chi2.sf(b @ np.linalg.solve(v, b), df))
    return p_lr, p_wald, df
