"""Test of proportional hazards for a fitted Cox model: R ``survival`` (>= 3.0) ``cox.zph``.

Grambsch and Therneau's score test that ``beta(t) = beta + theta g(t)``, ``theta = 0``,
at the fitted ``beta``, exactly as ``cox.zph`` computes it (its C routine ``zph1``): the
model is extended by the covariates ``x g(t)``, with ``g`` the time transform of each
death time centred at its mean over the deaths (unweighted). With ``U`` the score of the
``2p`` covariates at ``(beta, 0)`` (its first ``p`` entries set to 0, as R) and ``I`` their
``2p x 2p`` information (Efron or Breslow as fitted, strata, case weights), a term with
columns ``J`` has ``chisq = U_K' I_KK^-1 U_K``, ``K`` = the ``p`` model columns and the
``g(t)`` columns of ``J``, on ``len(J)`` df; GLOBAL uses every column (``p`` df).

Transforms (of the times as fitted, near-ties merged as ``coxph`` does): ``km``
(``1 - S(t-)``, the Kaplan-Meier of all records, unweighted and ignoring strata; R's
default), ``rank`` (average ranks of all records' times), ``identity``, ``log``.

Cost: O(n log n) for the transform (sorting the distinct times) plus one pass of the
fitter's risk-set sums, O(n p^2) (no loop over records or event times); for 10^6 records
with one covariate about as long as one Newton-Raphson step of the fit.
Counting-process (start, stop] fits are not supported (R's ``zph2``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from adam.errors import StatError
from adam.stats._arrays import unique_inverse
from adam.stats._dist import chi2

#: R ``cox.zph`` transforms (``transform=`` names)
TRANSFORMS = ("km", "rank", "identity", "log")


def time_transform(time, event, transform: str = "km") -> np.ndarray:
    """``g(t)`` of each record before centring, as ``cox.zph``'s ``ttimes``."""
    time, event = np.asarray(time, dtype=float), np.asarray(event, dtype=float)
    if transform == "identity":
        return time.copy()
    if transform == "log":
        if (time <= 0).any():
            raise StatError("transform 'log' needs positive times")
        return np.log(time)
    if transform not in TRANSFORMS:
        raise StatError(f"transform must be one of {', '.join(TRANSFORMS)}, not {transform!r}")
    distinct, rank = unique_inverse(time)
    count = np.bincount(rank, minlength=len(distinct))
    if transform == "rank":                   # R rank(): ties get their average rank
        return (np.cumsum(count) - (count - 1) / 2.0)[rank]
    deaths = np.bincount(rank, weights=event, minlength=len(distinct))
    at_risk = np.cumsum(count[::-1])[::-1]
    surv = np.cumprod(1.0 - deaths / at_risk)
    before = np.concatenate(([1.0], surv[:-1]))    # S(t-): deaths strictly before t
    return 1.0 - before[rank]


class PHTest:
    """Result of :func:`ph_test`: ``summary`` (R's ``cox.zph(...)$table``: chisq, df, p
    per term and GLOBAL), ``transform``, ``u`` and ``imat`` (R's ``zph1`` score and
    information), :meth:`stats`."""

    def __init__(self, summary: pd.DataFrame, transform: str, u: np.ndarray, imat: np.ndarray):
        self.summary, self.transform, self.u, self.imat = summary, transform, u, imat

    def stats(self, term: str = "GLOBAL") -> dict:
        """ARD ``zph`` statistics of one term (default GLOBAL)."""
        row = self.summary.loc[term]
        return {"chisq": float(row["chisq"]), "df": float(row["df"]), "p_value": float(row["p"])}


def ph_test(fit, transform: str = "km", terms: dict[str, list[str]] | None = None,
            global_test: bool = True) -> PHTest:
    """R ``cox.zph(fit, transform=, terms=TRUE)`` for a fitted :class:`~adam.stats.cox.CoxPH`.

    ``terms`` maps a term name to its covariate columns (a factor's dummies are one term,
    as R's ``assign``); default one term per covariate."""
    risk = getattr(fit, "_risk", None)
    if risk is None:
        raise StatError("ph_test needs a fitted CoxPH")
    if risk.counting:
        raise StatError("ph_test: (start, stop] data are not supported")
    names, p = list(fit.names), len(fit.names)
    terms = terms if terms is not None else {n: [n] for n in names}
    for term, columns in terms.items():
        unknown = [c for c in columns if c not in names]
        if unknown or not columns:
            raise StatError(f"ph_test: term {term!r} names no covariate of the fit ({unknown})")
    with np.errstate(over="ignore", under="ignore", divide="ignore", invalid="ignore"):
        u, imat = _score_information(fit, risk, transform)
    table = {}
    for term, columns in terms.items():
        keep = np.r_[np.arange(p), [p + names.index(c) for c in columns]]
        table[term] = _chisq(u[keep], imat[np.ix_(keep, keep)]), len(columns)
    if global_test:
        table["GLOBAL"] = _chisq(u, imat), p
    summary = pd.DataFrame({"chisq": [v[0] for v in table.values()],
                            "df": [v[1] for v in table.values()]},
                           index=pd.Index(list(table), name="term"))
    summary["p"] = chi2.sf(summary["chisq"].to_numpy(), summary["df"].to_numpy())
    return PHTest(summary, transform, u, imat)


def _score_information(fit, risk, transform: str) -> tuple[np.ndarray, np.ndarray]:
    """``zph1``: the score of the ``2p`` covariates (first ``p`` set to 0) and their
    information at the fitted ``beta``, from the fitter's per-term risk-set moments."""
    p = risk.p
    g = time_transform(fit._time, fit._event, transform)
    g = g - g[risk.dead].mean()
    g_group = np.zeros(risk.n_groups)
    g_group[risk.group] = g[risk.dead]       # tied deaths share their time's g
    gt = g_group[risk.term_group]
    _, a, second = risk.moments(np.asarray(fit.coef, dtype=float))
    wt = risk.term_w
    u = np.zeros(2 * p)
    u[p:] = (risk.w_dead * g[risk.dead]) @ risk.x_dead - (wt * gt) @ a
    imat = np.empty((2 * p, 2 * p))
    imat[:p, :p] = risk.symmetric(wt @ second)
    imat[:p, p:] = imat[p:, :p] = risk.symmetric((wt * gt) @ second)
    imat[p:, p:] = risk.symmetric((wt * gt * gt) @ second)
    return u, imat


def _chisq(u: np.ndarray, imat: np.ndarray) -> float:
    try:
        return float(np.linalg.solve(imat, u) @ u)
    except np.linalg.LinAlgError:
        return float("nan")
