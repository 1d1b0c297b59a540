"""Cox proportional hazards, R ``coxph`` to its precision.

Newton-Raphson exactly as ``survival``'s ``coxfit6``/``agfit4``: start at 0, stop when
``|1 - loglik_old / loglik_new| <= eps`` (1e-9) without step-halving, halve the step when
the log-likelihood decreases, at most ``iter_max`` (20) iterations. Efron or Breslow ties
(Efron with case weights uses the mean weight of the tied deaths, as R), strata, case
weights, (start, stop] counting-process data (at risk at t when start < t <= stop).
Times closer than sqrt(machine eps) are merged first, as R's ``timefix=TRUE``.
Risk-set sums are reverse cumulative sums over (stratum, time) cells of per-row
bincounts (no loop over subjects or event times); the Efron correction is vectorized by
expanding each tie group to its deaths. The robust variance is R's: ``D'D`` with ``D`` the
weighted dfbeta residuals summed by cluster.

Estimability is decided here, once (:attr:`CoxPH.estimable`): a coefficient of a fit
that did not converge, that may be infinite (a monotone likelihood: an arm without events,
or every event of each stratum in one arm, so the HR runs to 0 or infinity; flagged by R's
rule when the fit converged, and by its vanished information when it ran out of
iterations), or whose SE is not finite has no HR, CI, log HR, SE or Wald p
(:meth:`CoxPH.stats` leaves them NaN); the score and likelihood-ratio tests stay, as R
gives them. numpy's
floating-point warnings are silenced inside the fit (a diverging coefficient overflows
``exp``); the flag says what happened.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from adam.stats._dist import chi2, norm

from adam.errors import ConvergenceError, StatError
from adam.stats._arrays import (as_event, as_float, check_lengths, factor, merge_near_ties,
                                strata_codes, unique_inverse)


#: the ``cox`` statistics of one coefficient (empty when it is not estimable)
WALD_STATS = ("hr", "hr_lcl", "hr_ucl", "log_hr", "se_log_hr", "p_value")
#: a fit that did not converge is running off to infinity in a coefficient whose
#: information has fallen below this fraction of its value at 0 (|log HR| ~ 14 and more)
COLLAPSED_INFORMATION = 1e-6


class _RiskSets:
    """Everything about the data that does not depend on the coefficients."""

    def __init__(self, stop, event, x, strata, weights, start, ties):
        n, p = x.shape
        self.x, self.w, self.p = x, weights, p
        times = stop if start is None else np.concatenate([stop, start])
        ranks = unique_inverse(times)[1]
        n_ranks = int(ranks.max()) + 2
        stop_key = strata * n_ranks + ranks[:n]
        start_key = None if start is None else strata * n_ranks + ranks[n:]
        # cells = distinct (stratum, time) keys; a row adds its risk score to its stop cell
        # and (counting process) removes it from its start cell, so that the reverse
        # cumulative sum over cells at a death time t is the sum over start < t <= stop
        all_keys = stop_key if start is None else np.concatenate([stop_key, start_key])
        cell_keys, cell = unique_inverse(all_keys)
        self.cell, self.n_cells = cell, len(cell_keys)
        self.counting = start is not None
        dead = np.flatnonzero(event > 0)
        death_keys, group = unique_inverse(stop_key[dead])
        self.dead, self.group, n_groups = dead, group, len(death_keys)
        stratum_end = (death_keys // n_ranks + 1) * n_ranks
        self.death_cell = np.searchsorted(cell_keys, death_keys, "left")
        self.end_cell = np.searchsorted(cell_keys, stratum_end, "left")
        n_dead = np.bincount(group, minlength=n_groups)
        dead_w = np.bincount(group, weights=weights[dead], minlength=n_groups)
        if ties == "efron":
            rep = np.repeat(np.arange(n_groups), n_dead)
            first = np.concatenate(([0], np.cumsum(n_dead)[:-1]))
            k = np.arange(len(rep)) - first[rep]
            self.term_group, self.term_frac = rep, k / n_dead[rep]
            self.term_w = (dead_w / n_dead)[rep]
        else:
            self.term_group = np.arange(n_groups)
            self.term_frac = np.zeros(n_groups)
            self.term_w = dead_w
        self.n_groups = n_groups
        self.iu = np.triu_indices(p)
        self.x_dead, self.w_dead = x[dead], weights[dead]
        self.wx_dead = self.w_dead @ self.x_dead          # score term; loglik term . beta
        # for score residuals: death groups inside each row's interval, keys in (lower, stop]
        self._window_keys = (death_keys, strata * n_ranks - 1 if start is None else start_key,
                             stop_key)
        self._units(x, weights)

    def _units(self, x, weights) -> None:
        """What the Newton-Raphson sums run over. Rows with the same covariates in the
        same (stratum, time) cell add the same risk score times their summed weights, so
        when few covariate patterns exist (a treatment, a few strata-free factors) the
        sums run over (cell, pattern) units instead of rows: a million subjects become
        a few thousand units. Tied deaths likewise by (death group, pattern). The number
        of deaths per group (the Efron fractions) is unchanged."""
        patterns, pattern = _patterns(x) if not self.counting else (None, None)
        n_units = None if patterns is None else len(patterns) * self.n_cells
        if patterns is None or n_units > len(x) // 2:
            self.unit_x, self.unit_w, self.unit_cell = x, weights, self.cell
            self.dead_x, self.dead_w, self.dead_group = self.x_dead, self.w_dead, self.group
            return
        k = len(patterns)                  # unit = cell * k + pattern (empty ones add 0)
        self.unit_x, self.unit_cell = np.tile(patterns, (self.n_cells, 1)), np.repeat(np.arange(self.n_cells), k)
        self.unit_w = np.bincount(self.cell * k + pattern, weights=weights, minlength=self.n_cells * k)
        self.dead_x, self.dead_group = np.tile(patterns, (self.n_groups, 1)), np.repeat(np.arange(self.n_groups), k)
        self.dead_w = np.bincount(self.group * k + pattern[self.dead], weights=self.w_dead,
                                  minlength=self.n_groups * k)

    @staticmethod
    def _with_products(x: np.ndarray, iu) -> np.ndarray:
        """Per row: 1, x and the products x_j x_k (j <= k), column-major so that each
        column is contiguous for the per-cell sums."""
        p = x.shape[1]
        base = np.empty((len(x), 1 + p + len(iu[0])), order="F")
        base[:, 0] = 1.0
        base[:, 1:1 + p] = x
        np.multiply(x[:, iu[0]], x[:, iu[1]], out=base[:, 1 + p:])
        return base

    def _base(self) -> tuple[np.ndarray, np.ndarray]:
        """:meth:`_with_products` of the units and of the dead units, made once per fit."""
        if not hasattr(self, "_base_cols"):
            self._base_cols = (self._with_products(self.unit_x, self.iu),
                               self._with_products(self.dead_x, self.iu))
        return self._base_cols

    def _risk_sums(self, cols, cell):
        """Sum of ``cols`` (rows placed in ``cell``) over the risk set of each death time."""
        if self.counting:
            cols = np.asfortranarray(np.concatenate([cols, -cols]))
        cells = np.stack([np.bincount(cell, weights=cols[:, j], minlength=self.n_cells)
                          for j in range(cols.shape[1])], axis=1)
        rev = np.zeros((self.n_cells + 1, cols.shape[1]))
        rev[:-1] = np.cumsum(cells[::-1], axis=0)[::-1]
        return rev[self.death_cell] - rev[self.end_cell]

    def _sums(self, cols, cell, dead_cols, dead_group):
        """Per Efron/Breslow term: risk-set sums less the tied deaths' share, from the
        weighted columns of rows or units (``cols``, placed in ``cell``) and of the dead
        ones (``dead_cols``, in ``dead_group``)."""
        risk = self._risk_sums(cols, cell)
        tied = np.stack([np.bincount(dead_group, weights=dead_cols[:, j], minlength=self.n_groups)
                         for j in range(cols.shape[1])], axis=1)
        return risk[self.term_group] - self.term_frac[:, None] * tied[self.term_group]

    def _terms(self, beta, p, columns):
        """Per term, for explicit per-row ``columns``: eta, sums, denominator, means."""
        eta = self.x @ beta
        r = self.w * np.exp(eta)
        cols = np.asfortranarray(columns) * r[:, None]
        sums = self._sums(cols, self.cell, np.asfortranarray(cols[self.dead]), self.group)
        den = sums[:, 0]
        return eta, sums, den, sums[:, 1:1 + p] / den[:, None]

    def moments(self, beta):
        """Per Efron/Breslow term at ``beta`` (weight :attr:`term_w`): the risk-set
        denominator, covariate means ``a`` and covariances (upper triangle, :attr:`iu`)."""
        p = len(beta)
        base, dead_base = self._base()
        cols = base * (self.unit_w * np.exp(self.unit_x @ beta))[:, None]
        dead_cols = dead_base * (self.dead_w * np.exp(self.dead_x @ beta))[:, None]
        sums = self._sums(cols, self.unit_cell, dead_cols, self.dead_group)
        den = sums[:, 0]
        a = sums[:, 1:1 + p] / den[:, None]
        second = sums[:, 1 + p:] / den[:, None] - a[:, self.iu[0]] * a[:, self.iu[1]]
        return den, a, second

    def symmetric(self, upper: np.ndarray) -> np.ndarray:
        """The p x p symmetric matrix of a packed upper triangle."""
        m = np.zeros((self.p, self.p))
        m[self.iu] = upper
        return m + m.T - np.diag(np.diag(m))

    def derivatives(self, beta):
        """Partial log-likelihood, score vector and information matrix at ``beta``."""
        den, a, second = self.moments(beta)
        wt = self.term_w
        loglik = float(self.wx_dead @ beta - wt @ np.log(den))
        score = self.wx_dead - wt @ a
        return loglik, score, self.symmetric(wt @ second)

    def score_residuals(self, beta):
        """R's ``residuals(fit, type='score')`` (unweighted), one row per record."""
        p = len(beta)
        eta, _, den, xbar = self._terms(beta, p, np.column_stack([np.ones(len(self.x)), self.x]))
        g, c = self.term_group, self.term_frac
        h = self.term_w / den  # hazard increment of each term

        def per_group(values):
            return np.stack([np.bincount(g, weights=values[:, j], minlength=self.n_groups)
                             for j in range(values.shape[1])], axis=1)
        full = per_group(np.column_stack([h, h[:, None] * xbar]))
        own = per_group(np.column_stack([(1 - c) * h, ((1 - c) * h)[:, None] * xbar]))
        mean_xbar = per_group(xbar) / np.bincount(g, minlength=self.n_groups)[:, None]
        cum = np.vstack([np.zeros((1, p + 1)), np.cumsum(full, axis=0)])
        death_keys, lower, upper = self._window_keys
        window = (cum[np.searchsorted(death_keys, upper, "right")]
                  - cum[np.searchsorted(death_keys, lower, "right")])
        window[self.dead] += own[self.group] - full[self.group]
        resid = -np.exp(eta)[:, None] * (self.x * window[:, :1] - window[:, 1:])
        resid[self.dead] += self.x[self.dead] - mean_xbar[self.group]
        return resid


def _patterns(x: np.ndarray, most: int = 64):
    """The distinct rows of ``x`` and each row's pattern number (by hashing, no sort),
    or ``(None, None)`` when there are more than ``most`` (continuous covariates:
    nothing to gain)."""
    pattern, count = np.zeros(len(x), dtype=np.int64), 1
    for j in range(x.shape[1]):
        codes, levels = pd.factorize(x[:, j])
        pattern, combined = pd.factorize(pattern * len(levels) + codes)
        count = len(combined)
        if count > most:
            return None, None
    first = np.empty(count, dtype=np.int64)
    first[pattern[::-1]] = np.arange(len(pattern))[::-1]   # the first row of each pattern
    return x[first], pattern.astype(np.int64)


def newton_raphson(risk: _RiskSets, p: int, eps: float, iter_max: int):
    """R's ``coxfit6`` iteration. Returns beta, info, final score vector, loglik (init,
    final), score test, iterations, converged, and the information at 0."""
    beta = np.zeros(p)
    loglik0, score, info = risk.derivatives(beta)
    info0 = info
    step = _solve(info, score)
    score_test = float(score @ step)
    new_beta = beta + step
    best = loglik0
    halving, converged = False, False
    for iteration in range(1, iter_max + 1):
        new_lk, score, info = risk.derivatives(new_beta)
        if abs(1 - best / new_lk) <= eps and not halving:
            converged = True
            break
        if iteration == iter_max:
            break
        if not np.isfinite(new_lk) or new_lk < best:
            halving = True
            new_beta = (new_beta + beta) / 2
        else:
            halving = False
            best = new_lk
            beta = new_beta
            new_beta = new_beta + _solve(info, score)
    return new_beta, info, score, (loglik0, new_lk), score_test, iteration, converged, info0


def _solve(info, score):
    try:
        return np.linalg.solve(info, score)
    except np.linalg.LinAlgError:
        return np.linalg.lstsq(info, score, rcond=None)[0]


class CoxPH:
    """``CoxPH(ties='efron').fit(time, event, covariates, strata=, weights=, start=)``.

    ``covariates``: 1-d vector, 2-d array or DataFrame (column names kept). The first
    covariate is the one reported by :meth:`stats` (put treatment first). After ``fit``:
    ``coef``, ``se``, ``var``, ``loglik`` (init, final), ``summary`` frame, ``p_score``,
    ``p_lr``, ``iterations``, ``converged``, ``infinite`` (per coefficient: a monotone
    likelihood, R's "coefficient may be infinite" or, not converged, the information
    below :data:`COLLAPSED_INFORMATION` of its value at 0), ``estimable`` (per
    coefficient) and :meth:`not_estimable` (why not, in words)."""

    def __init__(self, ties: str = "efron", conf_level: float = 0.95, eps: float = 1e-9,
                 iter_max: int = 20, strict: bool = False):
        if ties not in ("efron", "breslow"):
            raise StatError(f"ties must be 'efron' or 'breslow', not {ties!r}")
        self.ties, self.conf_level, self.eps, self.iter_max = ties, conf_level, eps, iter_max
        self.strict = strict

    def fit(self, time, event, covariates, strata=None, weights=None, start=None,
            cluster=None, robust=None) -> "CoxPH":
        """``robust=None`` follows R: sandwich variance when ``cluster`` is given or the
        weights are not integers (each record its own cluster unless ``cluster``)."""
        with np.errstate(over="ignore", under="ignore", divide="ignore", invalid="ignore"):
            return self._fit(time, event, covariates, strata, weights, start, cluster, robust)

    def _fit(self, time, event, covariates, strata, weights, start, cluster, robust) -> "CoxPH":
        stop = as_float(time, "time")
        event = as_event(event)
        x, names = _design(covariates)
        n = check_lengths(time=stop, event=event, covariates=x)
        w = np.ones(n) if weights is None else as_float(weights, "weights")
        if (w < 0).any():
            raise StatError("weights must be non-negative")
        start_arr = None if start is None else as_float(start, "start")
        if start_arr is not None and (start_arr >= stop).any():
            raise StatError("start must be < stop")
        if event.sum() == 0:
            raise StatError("no events: the Cox model is not estimable")
        s = strata_codes(strata, n)
        if start_arr is None:
            (stop,) = merge_near_ties(stop)
        else:
            stop, start_arr = merge_near_ties(stop, start_arr)
            if (start_arr >= stop).any():
                raise StatError("an interval has length 0 once near-tied times are merged")
        centered = x - (w @ x) / w.sum()
        risk = _RiskSets(stop, event, centered, s, w, start_arr, self.ties)
        beta, info, score, loglik, score_test, iters, converged, info0 = newton_raphson(
            risk, x.shape[1], self.eps, self.iter_max)
        if not converged and self.strict:
            raise ConvergenceError(f"Cox model did not converge in {self.iter_max} iterations")
        try:
            var = np.linalg.inv(info)
        except np.linalg.LinAlgError:
            var = np.full_like(info, np.nan)
        p = x.shape[1]
        if robust is None:
            robust = cluster is not None or bool((w != np.floor(w)).any())
        self.naive_var = var
        if robust:
            dfbeta = (w[:, None] * risk.score_residuals(beta)) @ var
            if cluster is not None:
                ids = factor(cluster)[0]
                dfbeta = np.stack([np.bincount(ids, weights=dfbeta[:, j]) for j in range(p)], axis=1)
            var = dfbeta.T @ dfbeta
        self.robust = robust
        # R's "Loglik converged before variable ...; coefficient may be infinite"; a fit
        # that ran out of iterations (R only says so) is diverging where the information
        # about the coefficient has all but vanished (< 1e-6 of its value at 0)
        drift = np.abs(score @ self.naive_var)
        if converged:
            self.infinite = (drift > self.eps) & (drift > np.sqrt(self.eps) * np.abs(beta))
        else:
            self.infinite = np.diag(info) < COLLAPSED_INFORMATION * np.diag(info0)
        self.names, self.coef, self.var = names, beta, var
        # what a test of the fitted model needs (adam.stats.zph): times as fitted, events
        self._risk, self._time, self._event = risk, stop, event
        self.se = np.sqrt(np.diag(var))
        self.estimable = converged & ~self.infinite & np.isfinite(self.se) & np.isfinite(beta)
        self.loglik, self.iterations, self.converged = loglik, iters, converged
        self.n, self.n_events = n, int(event.sum())
        self.score_test = score_test
        self.lr_test = 2 * (loglik[1] - loglik[0])
        self.p_score = float(chi2.sf(score_test, p))
        self.p_lr = float(chi2.sf(self.lr_test, p))
        return self

    @property
    def summary(self) -> pd.DataFrame:
        """R's coefficient table as fitted (``estimable`` says which rows mean anything)."""
        z = norm.ppf(1 - (1 - self.conf_level) / 2)
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            zval = self.coef / self.se
            return pd.DataFrame({
                "coef": self.coef, "exp_coef": np.exp(self.coef), "se": self.se, "z": zval,
                "p": 2 * norm.sf(np.abs(zval)),
                "lower": np.exp(self.coef - z * self.se), "upper": np.exp(self.coef + z * self.se),
                "estimable": self.estimable,
            }, index=pd.Index(self.names, name="covariate"))

    def _index(self, covariate) -> int:
        return covariate if isinstance(covariate, (int, np.integer)) else self.names.index(covariate)

    def not_estimable(self, covariate=0) -> str | None:
        """Why the coefficient of ``covariate`` has no estimate, or None when it has one."""
        i = self._index(covariate)
        if self.estimable[i]:
            return None
        if self.infinite[i]:
            r = (f"Loglik converged before variable {i + 1}; coefficient may be infinite"
                 if self.converged else "Ran out of iterations and did not converge")
            return f"monotone likelihood: the log hazard ratio grows without bound (R coxph: '{r}')"
        if not self.converged:
            return f"the Cox model did not converge in {self.iter_max} iterations"
        return "the information matrix is singular (no finite standard error)"

    def stats(self, covariate=0) -> dict:
        """ARD ``cox`` statistics of one covariate (default: the first, treatment); NaN
        (empty in the ARD) for the HR, CI, log HR, SE and Wald p when it is not
        :attr:`estimable`."""
        i = self._index(covariate)
        row = self.summary.iloc[i]
        wald = {"hr": row["exp_coef"], "hr_lcl": row["lower"], "hr_ucl": row["upper"],
                "log_hr": row["coef"], "se_log_hr": row["se"], "p_value": row["p"]}
        if not self.estimable[i]:
            wald = dict.fromkeys(WALD_STATS, np.nan)
        return {**wald, "p_score": self.p_score, "p_lr": self.p_lr}


def _design(covariates) -> tuple[np.ndarray, list]:
    if isinstance(covariates, pd.DataFrame):
        return covariates.to_numpy(dtype=float), list(covariates.columns)
    if isinstance(covariates, pd.Series):
        return covariates.to_numpy(dtype=float)[:, None], [covariates.name or "x"]
    x = np.asarray(covariates, dtype=float)
    if x.ndim == 1:
        x = x[:, None]
    if np.isnan(x).any():
        raise StatError("covariates have missing values")
    return x, [f"x{i}" for i in range(x.shape[1])]


def treatment_dummies(group, ref=None) -> pd.DataFrame:
    """0/1 columns for every level of ``group`` except the reference (R's treatment
    contrasts: ``factor(group, levels=c(ref, ...))``)."""
    codes, levels = factor(group)
    levels = list(levels)
    if ref is None:
        ref = levels[0]
    if ref not in levels:
        raise StatError(f"reference level {ref!r} not among {levels}")
    others = [lv for lv in levels if lv != ref]
    return pd.DataFrame({str(lv): (codes == levels.index(lv)).astype(float) for lv in others})


def cox_treatment(time, event, group, ref=None, strata=None, ties="efron", **fit_options) -> CoxPH:
    """Cox model of ``group`` (treatment contrasts against ``ref``), optionally stratified."""
    x = treatment_dummies(group, ref)
    return CoxPH(ties=ties).fit(time, event, x, strata=strata, **fit_options)
