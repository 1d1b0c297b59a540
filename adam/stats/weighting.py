"""Inverse-probability weighting on a long person-period frame: IPCW for treatment
switching and marginal structural Cox models. Generic: every column name is an argument.

Frame: one row per subject and period ``(start, stop]``, sorted or not, with the outcome
``event`` at ``stop``. Probabilities come from pooled logistic regressions (maximum
likelihood by IRLS, as R ``glm(family=binomial)``); stabilized weights are cumulative
products over each subject's periods; the outcome model is a weighted Cox model on the
counting-process rows with the robust (sandwich) variance clustered by subject, as R
``coxph(Surv(start, stop, event) ~ ..., weights=sw, cluster=id)``. A subject bootstrap
(seeded) refits the weight models and the Cox model; its percentile interval is the CI
reported when ``n_boot > 0`` (else the robust Wald interval).

* IPCW: ``switch`` is 1 on the periods at and after the switch to subsequent therapy. The
  first switched period is the censoring event of the switch models (fit on the periods
  not yet switched plus that one); follow-up is censored there (switched periods
  dropped). Weight of a kept period k: prod_{j<=k} (1 - p_num_j) / (1 - p_den_j), the
  numerator model on treatment + ``baseline``, the denominator adding ``time_varying``.
* MSM: ``exposure`` is a time-varying 0/1 treatment. Exposure models on all periods with
  the previous period's exposure (0 at the first) + ``baseline`` (numerator) and
  + ``time_varying`` (denominator); weight prod_{j<=k} f_num(A_j) / f_den(A_j).
Include a function of time (e.g. the period ``start``) in ``baseline`` when the switching
or exposure hazard changes with time.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from adam.stats._dist import norm

from adam.errors import ConvergenceError, StatError
from adam.stats.cox import CoxPH, treatment_dummies


#: memory the weighted fits hold per person-period row, measured (resident peak over the
#: frame's own, TOURMALINE twin of 100,000 subjects, 2.6M rows, 3 covariates + one
#: time-varying): the fit ~600 bytes (copies of the frame, design matrices, risk sets),
#: with bootstrap refits ~900
BYTES_PER_PERIOD, BYTES_PER_PERIOD_BOOTSTRAP = 600, 900


def check_memory(n_periods: int, n_boot: int, what: str, available: int | None = None) -> None:
    """A :class:`StatError` naming ``what`` when fitting on ``n_periods`` person-period
    rows (with ``n_boot`` bootstrap refits) would need more memory than the system has
    available (``MemAvailable``; no check where that is unknown): one clear message
    instead of the process being killed part way."""
    available = _available_memory() if available is None else available
    need = n_periods * (BYTES_PER_PERIOD_BOOTSTRAP if n_boot else BYTES_PER_PERIOD)
    if available is not None and need > available:
        raise StatError(f"{what}: {n_periods:,} person-period rows need about {need / 2**30:.1f} GB "
                        f"and {available / 2**30:.1f} GB is available; give the analysis a longer "
                        f"period_months, or run it on fewer subjects")


def _available_memory() -> int | None:
    """Bytes the system can still give (Linux ``MemAvailable``), else ``None``."""
    try:
        with open("/proc/meminfo") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return None


def logistic_probabilities(y, x, weights=None, tol: float = 1e-12, iter_max: int = 50):
    """Fitted P(y = 1) and coefficients of a logistic regression with intercept (IRLS)."""
    y = np.asarray(y, dtype=float)
    design = np.column_stack([np.ones(len(y)), np.asarray(x, dtype=float).reshape(len(y), -1)])
    w = np.ones(len(y)) if weights is None else np.asarray(weights, dtype=float)
    beta = np.zeros(design.shape[1])
    deviance = np.inf
    for _ in range(iter_max):
        eta = design @ beta
        p = 1 / (1 + np.exp(-eta))
        var = np.maximum(p * (1 - p), 1e-300)
        z = eta + (y - p) / var
        wd = design * (w * var)[:, None]
        beta = np.linalg.solve(design.T @ wd, wd.T @ z)
        p = 1 / (1 + np.exp(-(design @ beta)))
        with np.errstate(divide="ignore", invalid="ignore"):
            new_dev = -2 * np.sum(w * np.where(y == 1, np.log(p), np.log1p(-p)))
        if abs(new_dev - deviance) <= tol * (abs(new_dev) + 0.1):
            return p, beta
        deviance = new_dev
    raise ConvergenceError("logistic regression for the weights did not converge")


def cumulative_product_by(values, ids) -> np.ndarray:
    """Running product of ``values`` within each id, in row order (rows of an id in time
    order)."""
    logs = np.log(np.asarray(values, dtype=float))
    codes = pd.factorize(pd.Series(ids))[0]
    return np.exp(pd.Series(logs).groupby(codes).cumsum().to_numpy())


def _sorted(data: pd.DataFrame, id: str, start: str) -> pd.DataFrame:
    return data.sort_values([id, start], kind="stable").reset_index(drop=True)


def _columns(frame, names):
    names = list(names)
    return frame[names].to_numpy(dtype=float) if names else np.empty((len(frame), 0))


def ipcw_weights(data: pd.DataFrame, *, id: str, start: str, switch: str, treatment: str,
                 baseline=(), time_varying=()) -> pd.DataFrame:
    """The periods kept (not yet switched), sorted by id and start, with column ``sw``."""
    frame = _sorted(data, id, start)
    switched = frame[switch].to_numpy(dtype=float)
    previous = frame.groupby(id, sort=False)[switch].shift(1, fill_value=0).to_numpy(dtype=float)
    modelled = (switched == 0) | (previous == 0)
    rows = frame[modelled]
    trt = rows[[treatment]].to_numpy(dtype=float)
    y = rows[switch].to_numpy(dtype=float)
    p_num = logistic_probabilities(y, np.column_stack([trt, _columns(rows, baseline)]))[0]
    p_den = logistic_probabilities(y, np.column_stack([trt, _columns(rows, baseline),
                                                       _columns(rows, time_varying)]))[0]
    kept = (y == 0)
    out = rows[kept].reset_index(drop=True)
    out["sw"] = cumulative_product_by((1 - p_num[kept]) / (1 - p_den[kept]), out[id])
    return out


def msm_weights(data: pd.DataFrame, *, id: str, start: str, exposure: str, baseline=(),
                time_varying=()) -> pd.DataFrame:
    """All periods, sorted by id and start, with column ``sw``."""
    frame = _sorted(data, id, start)
    a = frame[exposure].to_numpy(dtype=float)
    lag = frame.groupby(id, sort=False)[exposure].shift(1, fill_value=0).to_numpy(dtype=float)
    p_num = logistic_probabilities(a, np.column_stack([lag, _columns(frame, baseline)]))[0]
    p_den = logistic_probabilities(a, np.column_stack([lag, _columns(frame, baseline),
                                                       _columns(frame, time_varying)]))[0]
    ratio = np.where(a == 1, p_num / p_den, (1 - p_num) / (1 - p_den))
    out = frame.copy()
    out["sw"] = cumulative_product_by(ratio, out[id])
    return out


@dataclass
class WeightedCoxResult:
    cox: CoxPH
    frame: pd.DataFrame = field(repr=False)  # analysis rows with the weights ``sw``
    conf_level: float = 0.95
    boot_hr: np.ndarray | None = field(default=None, repr=False)
    covariate: int = 0  # index of the coefficient reported

    @property
    def hr(self) -> float:
        return float(np.exp(self.cox.coef[self.covariate]))

    def confidence_interval(self) -> tuple[float, float]:
        if self.boot_hr is not None:
            ok = self.boot_hr[np.isfinite(self.boot_hr)]
            a = (1 - self.conf_level) / 2
            return tuple(np.quantile(ok, [a, 1 - a]))
        z = norm.ppf(1 - (1 - self.conf_level) / 2)
        b, se = self.cox.coef[self.covariate], self.cox.se[self.covariate]
        return float(np.exp(b - z * se)), float(np.exp(b + z * se))

    def stats(self) -> dict:
        """ARD ``ipcw``/``msm`` statistics: hr, CI (bootstrap percentile when bootstrapped,
        else robust Wald), robust Wald p; all NaN when the coefficient is not
        :attr:`~adam.stats.cox.CoxPH.estimable`."""
        if not self.cox.estimable[self.covariate]:
            return dict.fromkeys(("hr", "hr_lcl", "hr_ucl", "p_value"), np.nan)
        lcl, ucl = self.confidence_interval()
        return {"hr": self.hr, "hr_lcl": lcl, "hr_ucl": ucl,
                "p_value": float(self.cox.summary["p"].iloc[self.covariate])}


def _weighted_cox(frame, id, start, stop, event, x, strata, ties, robust=True):
    strata_cols = None if not strata else [frame[s] for s in strata]
    return CoxPH(ties=ties).fit(frame[stop], frame[event], x, strata=strata_cols,
                                weights=frame["sw"], start=frame[start],
                                cluster=frame[id] if robust else None, robust=robust)


def _bootstrap(data, id, n_boot, seed, refit, covariate: int = 0) -> np.ndarray:
    """HR of ``refit(resampled frame)`` over ``n_boot`` subject resamples."""
    frame = data.sort_values(id, kind="stable").reset_index(drop=True)
    codes = pd.factorize(frame[id])[0]
    counts = np.bincount(codes)
    offsets = np.concatenate(([0], np.cumsum(counts)[:-1]))
    rng = np.random.default_rng(seed)
    hrs = np.full(n_boot, np.nan)
    for b in range(n_boot):  # one Cox fit per draw; rows gathered without a subject loop
        pick = rng.integers(0, len(counts), len(counts))
        size = counts[pick]
        within = np.arange(size.sum()) - np.repeat(np.cumsum(size) - size, size)
        sample = frame.iloc[np.repeat(offsets[pick], size) + within].copy()
        sample[id] = np.repeat(np.arange(len(pick)), size)
        try:
            fit = refit(sample)
        except (StatError, np.linalg.LinAlgError):
            continue
        if fit.estimable[covariate]:  # e.g. a monotone likelihood has no HR
            hrs[b] = np.exp(fit.coef[covariate])
    return hrs


def ipcw_cox(data: pd.DataFrame, *, id: str, start: str, stop: str, event: str, treatment: str,
             switch: str, baseline=(), time_varying=(), ref=None, strata=(), ties: str = "efron",
             n_boot: int = 0, seed: int | None = None, conf_level: float = 0.95) -> WeightedCoxResult:
    """IPCW Cox hazard ratio of ``treatment`` with follow-up censored at switching."""
    frame = data.copy()
    dummies = treatment_dummies(frame[treatment], ref)
    frame["_trt"] = dummies.iloc[:, 0].to_numpy()

    def fit(d, robust=True):
        w = ipcw_weights(d, id=id, start=start, switch=switch, treatment="_trt",
                         baseline=baseline, time_varying=time_varying)
        return w, _weighted_cox(w, id, start, stop, event, w[["_trt"]], strata, ties, robust)

    weighted, cox = fit(frame)
    boot = _bootstrap(frame, id, n_boot, seed, lambda d: fit(d, robust=False)[1]) if n_boot else None
    return WeightedCoxResult(cox, weighted.drop(columns="_trt"), conf_level, boot)


def msm_cox(data: pd.DataFrame, *, id: str, start: str, stop: str, event: str, exposure: str,
            baseline=(), time_varying=(), adjust=(), strata=(), ties: str = "efron",
            n_boot: int = 0, seed: int | None = None, conf_level: float = 0.95,
            report: str | None = None) -> WeightedCoxResult:
    """Marginal structural Cox model of the time-varying 0/1 ``exposure`` and the baseline
    ``adjust`` columns; the HR reported is that of ``report`` (default: ``exposure``),
    e.g. the randomized arm when the weights only correct for subsequent therapy."""
    names = [exposure, *adjust]
    if report is not None and report not in names:
        raise StatError(f"report={report!r} is neither the exposure nor an adjust column")
    index = names.index(report) if report is not None else 0

    def fit(d, robust=True):
        w = msm_weights(d, id=id, start=start, exposure=exposure, baseline=baseline,
                        time_varying=time_varying)
        return w, _weighted_cox(w, id, start, stop, event, w[[exposure, *adjust]], strata,
                                ties, robust)

    weighted, cox = fit(data)
    boot = (_bootstrap(data, id, n_boot, seed, lambda d: fit(d, robust=False)[1], index)
            if n_boot else None)
    return WeightedCoxResult(cox, weighted, conf_level, boot, index)
