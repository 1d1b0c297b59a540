"""Kaplan-Meier estimator with R ``survival::survfit`` conventions.

* ``std_err`` in :attr:`KaplanMeier.table` is R's ``fit$std.err``: the Greenwood standard
  error of the cumulative hazard ``-log S`` (``sqrt(cumsum(d / (n (n - d))))``, ``inf`` once
  the risk set empties); ``surv_se`` from :meth:`KaplanMeier.survival_at` is R's
  ``summary(fit, times=)$std.err``, the standard error of ``S`` itself.
* Confidence limits follow ``survival:::survfit_confint`` (``log-log`` limits are NaN
  where S is 0 or 1, ``log`` where S is 0; ``plain`` is clipped to [0, 1]).
* :attr:`median` and its limits follow ``print.survfit`` (``survmean``'s ``minmin``: the
  first time S <= 0.5, the midpoint to the next drop when S sits at 0.5 within
  ``sqrt(.Machine$double.eps)``); :meth:`quantile` follows ``quantile.survfit`` (``findq``,
  which also takes the midpoint to the last time when the curve ends at the target).
  Both give NaN when not reached.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from adam.stats._dist import norm

from adam.errors import StatError
from adam.stats._arrays import as_event, as_float, check_lengths, first_of_runs, merge_near_ties

CONF_TYPES = ("log-log", "log", "plain")
TOL = np.sqrt(np.finfo(float).eps)


def survival_table(time: np.ndarray, event: np.ndarray) -> pd.DataFrame:
    """Per distinct time: n_risk, n_event, n_censor, surv and Greenwood log-scale SE."""
    order = np.argsort(time, kind="stable")
    t, e = time[order], event[order]
    starts = np.flatnonzero(first_of_runs(t))
    size = np.diff(np.append(starts, len(t)))
    n_event = np.add.reduceat(e, starts) if len(t) else np.array([])
    n_risk = len(t) - np.concatenate(([0], np.cumsum(size)[:-1]))
    with np.errstate(divide="ignore", invalid="ignore"):
        surv = np.cumprod(1.0 - n_event / n_risk)
        hazard_var = np.where(n_event > 0, n_event / (n_risk * (n_risk - n_event)), 0.0)
    return pd.DataFrame({"time": t[starts], "n_risk": n_risk.astype(float),
                         "n_event": n_event, "n_censor": size - n_event,
                         "surv": surv, "std_err": np.sqrt(np.cumsum(hazard_var))})


def confint(surv, se_log, conf_type: str, conf_level: float):
    """``survival:::survfit_confint`` with ``logse=TRUE``: (lower, upper)."""
    z = norm.ppf(1 - (1 - conf_level) / 2)
    surv = np.asarray(surv, dtype=float)
    se_log = np.asarray(se_log, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        if conf_type == "plain":
            half = se_log * surv * z
            return np.maximum(surv - half, 0.0), np.minimum(surv + half, 1.0)
        if conf_type == "log":
            xx = np.where(surv == 0, np.nan, surv)
            return np.exp(np.log(xx) - z * se_log), np.minimum(np.exp(np.log(xx) + z * se_log), 1.0)
        if conf_type == "log-log":
            xx = np.where((surv == 0) | (surv == 1), np.nan, surv)
            half = z * se_log / np.log(xx)
            loglog = np.log(-np.log(xx))
            return np.exp(-np.exp(loglog - half)), np.exp(-np.exp(loglog + half))
    raise StatError(f"conf_type must be one of {CONF_TYPES}, not {conf_type!r}")


def first_below_half(y: np.ndarray, x: np.ndarray) -> float:
    """``survmean``'s ``minmin``: the median rule of ``print.survfit``."""
    keep = ~np.isnan(y) & (y < 0.5 + TOL)
    if not keep.any():
        return np.nan
    xk, yk = x[keep], y[keep]
    if abs(yk[0] - 0.5) < TOL:
        lower = np.flatnonzero(yk < yk[0])
        if len(lower):
            return (xk[0] + xk[lower[0]]) / 2
    return float(xk[0])


def find_quantile(x: np.ndarray, y: np.ndarray, p: float) -> float:
    """``survival:::findq``: time where ``y = 1 - S`` reaches ``p``; ``x``/``y`` start at
    (start time, 0)."""
    if np.all(np.isnan(y)) or np.nanmax(y) < p:
        return np.nan
    xmax = x[-1]
    keep = ~pd.Series(y).duplicated().to_numpy()
    x, y = x[keep], y[keep]
    valid = np.flatnonzero(~np.isnan(y))
    yv = y[valid]

    def index(shift):
        grid = yv + shift
        if p < grid[0] or p > grid[-1]:
            return None
        return valid[np.searchsorted(grid, p, side="left")]

    i1, i2 = index(TOL), index(-TOL)
    if p == 0:
        return float(x[0])
    if not np.isnan(y[-1]) and abs(p - y[-1]) < TOL and i1 is not None:
        return (x[i1] + xmax) / 2
    if i1 is None or i2 is None:
        return np.nan
    return (x[i1] + x[i2]) / 2


class KaplanMeier:
    """``KaplanMeier(conf_type='log-log', conf_level=0.95).fit(time, event)``.

    After ``fit``: ``table`` (time, n_risk, n_event, n_censor, surv, std_err, lower,
    upper: R's ``survfit`` components), ``n``, ``n_events``, ``median`` (+ ``_lcl``,
    ``_ucl``), ``quantile(p)``, ``survival_at(times)``, ``n_risk_at(times)``, ``rmst(tau)``
    and ``stats()`` keyed by the ARD ``km`` vocabulary."""

    def __init__(self, conf_type: str = "log-log", conf_level: float = 0.95):
        if conf_type not in CONF_TYPES:
            raise StatError(f"conf_type must be one of {CONF_TYPES}, not {conf_type!r}")
        if not 0 < conf_level < 1:
            raise StatError(f"conf_level must be in (0, 1), not {conf_level}")
        self.conf_type = conf_type
        self.conf_level = conf_level

    def fit(self, time, event) -> "KaplanMeier":
        time = as_float(time, "time")
        event = as_event(event)
        check_lengths(time=time, event=event)
        if len(time) == 0:
            raise StatError("no observations to fit")
        (time,) = merge_near_ties(time)
        table = survival_table(time, event)
        table["lower"], table["upper"] = confint(table["surv"], table["std_err"],
                                                 self.conf_type, self.conf_level)
        self.table = table
        self.n = len(time)
        self.n_events = int(event.sum())
        self.start_time = min(0.0, float(table["time"].iloc[0]))
        t = table["time"].to_numpy()
        self.median = first_below_half(table["surv"].to_numpy(), t)
        self.median_lcl = first_below_half(table["lower"].to_numpy(), t)
        self.median_ucl = first_below_half(table["upper"].to_numpy(), t)
        return self

    @property
    def summary(self) -> pd.DataFrame:
        """The survfit table (lifelines-style name)."""
        return self.table

    # -- quantiles ---------------------------------------------------------------------
    def quantile(self, p: float) -> tuple[float, float, float]:
        """``quantile.survfit(fit, p)``: (time, lower, upper) at which S reaches 1 - p."""
        x = np.concatenate(([0.0], self.table["time"].to_numpy()))

        def at(curve):
            return find_quantile(x, np.concatenate(([0.0], 1 - self.table[curve].to_numpy())), p)

        return at("surv"), at("lower"), at("upper")

    # -- landmarks ---------------------------------------------------------------------
    def survival_at(self, times, extend: bool = False) -> pd.DataFrame:
        """``summary(fit, times=, extend=)``: time, n_risk, surv, surv_se, lower, upper.

        Past the last observed time (``n_risk`` 0) the values are R's ``extend=TRUE`` ones
        where they are determinate: a curve that has reached 0 (its last observation an
        event taking S to 0) stays 0, with R's limits there (NaN). A curve that ends
        censored above 0 is not estimable there (NaN; R drops the time) unless ``extend``."""
        times = np.atleast_1d(np.asarray(times, dtype=float))
        tab = self.table
        t0 = np.concatenate(([self.start_time], tab["time"].to_numpy()))
        row = np.maximum(np.searchsorted(t0, times, side="right") - 1, 0)

        def col(name, first):
            return np.concatenate(([first], tab[name].to_numpy()))[row]

        surv = col("surv", 1.0)
        with np.errstate(invalid="ignore"):
            out = pd.DataFrame({"time": times, "n_risk": self.n_risk_at(times), "surv": surv,
                                "surv_se": col("std_err", 0.0) * surv,
                                "lower": col("lower", 1.0), "upper": col("upper", 1.0)})
        if not extend and tab["surv"].iloc[-1] > 0:
            out.loc[times > t0[-1], ["surv", "surv_se", "lower", "upper"]] = np.nan
        return out

    def n_risk_at(self, times) -> np.ndarray:
        """Number at risk at each time (R: subjects whose time is >= t)."""
        times = np.atleast_1d(np.asarray(times, dtype=float))
        t = self.table["time"].to_numpy()
        n_risk = np.append(self.table["n_risk"].to_numpy(), 0.0)
        return n_risk[np.searchsorted(t, times, side="left")]

    # -- restricted mean ---------------------------------------------------------------
    def rmst(self, tau: float) -> dict:
        """Restricted mean survival time to ``tau`` and its SE, as R
        ``print(survfit, rmean=tau)`` (``survmean``; same formula as survRM2)."""
        tab = self.table
        keep = tab["time"].to_numpy() <= tau
        t = tab["time"].to_numpy()[keep]
        s = tab["surv"].to_numpy()[keep]
        d, n = tab["n_event"].to_numpy()[keep], tab["n_risk"].to_numpy()[keep]
        with np.errstate(divide="ignore", invalid="ignore"):
            hh = np.where(n - d == 0, 0.0, d / (n * (n - d)))
        grid = np.concatenate(([self.start_time], t, [tau]))
        rect = np.diff(grid) * np.concatenate(([1.0], s))
        area_after = np.cumsum(rect[::-1])[::-1][1:]  # area from t_k to tau
        return {"rmst": float(rect.sum() + self.start_time),
                "rmst_se": float(np.sqrt(np.sum(area_after ** 2 * hh)))}

    # -- ARD ---------------------------------------------------------------------------
    def stats(self) -> dict:
        """ARD ``km`` statistics of the whole curve."""
        return {"n": self.n, "n_events": self.n_events, "n_censored": self.n - self.n_events,
                "median": self.median, "median_lcl": self.median_lcl,
                "median_ucl": self.median_ucl,
                "q25": self.quantile(0.25)[0], "q75": self.quantile(0.75)[0]}

    def stats_at(self, time: float) -> dict:
        """ARD ``km`` statistics at one ``timepoint``."""
        row = self.survival_at([time]).iloc[0]
        return {"surv": row["surv"], "surv_lcl": row["lower"], "surv_ucl": row["upper"],
                "n_risk": row["n_risk"]}


def km_by_group(time, event, group, **options) -> dict:
    """One fitted :class:`KaplanMeier` per group level (sorted levels)."""
    time, event = np.asarray(time, dtype=float), np.asarray(event, dtype=float)
    labels = pd.Series(np.asarray(group)).reset_index(drop=True)
    codes, levels = pd.factorize(labels, sort=True)
    return {level: KaplanMeier(**options).fit(time[codes == i], event[codes == i])
            for i, level in enumerate(levels)}
