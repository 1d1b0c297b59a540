"""Survival statistics matching R ``survival`` (3.5) to 1e-6, vectorized for 10^6 rows.

Fitters and functions (each result has ``stats()`` keyed by the ARD ``stat_name``s):

* :class:`KaplanMeier` (``km``), :func:`km_by_group`
* :func:`logrank_test` (``logrank``): R ``survdiff``, strata, k groups
* :class:`CoxPH`, :func:`cox_treatment` (``cox``): R ``coxph``, Efron/Breslow, strata,
  weights, (start, stop], robust variance
* :func:`ph_test` (``zph``): R ``cox.zph`` (>= 3.0), Grambsch-Therneau test of
  proportional hazards of a fitted :class:`CoxPH` (km, rank, identity, log transforms)
* :func:`median_followup` (``revkm``), :func:`rmst` (``rmst``: R ``print(survfit, rmean=tau)``)
* :func:`subgroup_analysis` (``cox`` per level and ``p_interaction``: likelihood ratio)
* :func:`ipcw_cox`, :func:`msm_cox` (``ipcw``, ``msm``)
* :func:`obf_boundaries`, :func:`obf_spending`: Lan-DeMets O'Brien-Fleming spending

R conventions worth knowing (all reproduced here and tested against R fixtures in
``tests/fixtures/r``): ``survfit``'s ``std.err`` is on the cumulative-hazard scale;
``print.survfit`` and ``quantile.survfit`` apply different median rules when a curve ends
exactly at 0.5 (2 vs (2 + last time) / 2); ``summary(fit, times=)`` counts at risk those
with time >= t; ``coxph`` switches to the robust (sandwich) variance, and robust Wald p
and CI, as soon as case weights are not integers (score and LR tests stay model-based).

Where lifelines / statsmodels differ from R (each shown in
``tests/stats/test_third_party_differences.py`` on the R fixtures):

1. ``statsmodels.duration.survfunc.survdiff`` agrees with ``survdiff`` (to 1e-12:
   unstratified, stratified by one or two variables, 3 groups) and is fast, but returns
   only chi-square and p (no observed/expected/variance), so :func:`logrank_test` is our
   own vectorized version, as fast (0.25-0.4 s against 0.23-0.33 s for 10^6 rows with 3
   strata variables on the shared 2-core machine).
2. Medians: lifelines ``median_survival_time_`` takes the first S <= 0.5 and statsmodels
   ``SurvfuncRight.quantile`` the first S < 0.5; neither applies R's midpoint rule
   (curve at 0.5 on [5, 8): R 6.5, lifelines 5, statsmodels 8).
3. lifelines ``CoxPHFitter`` stops at its default tolerance: coefficients differ from
   ``coxph`` by more than 1e-6 relative (lung, months, sex + age, Efron: 3e-6).
4. lifelines robust standard errors with case weights and tied times differ from R's
   sandwich (lung months, non-integer weights: 0.1705 vs R 0.1721).
5. statsmodels ``PHReg`` agrees with ``coxph`` unweighted (Efron and Breslow), but with
   case weights and tied times its estimates differ (coef -0.534 vs R -0.549, Efron).
6. lifelines Kaplan-Meier limits are R's ``conf.type='log-log'`` (agree to 1e-12); R's
   default ``conf.type`` is ``'log'``, ours ``'log-log'``.
7. lifelines ``proportional_hazard_test`` is ``cox.zph`` as it was before survival 3.0
   (scaled Schoenfeld residuals, variance approximated by ``d * var(beta)``, per
   covariate only, no GLOBAL; ``km`` = 1 - S(t) instead of 1 - S(t-), ``rank`` counts
   deaths; default ``rank``, R's ``km``): lung, age + sex, km: p 0.709 / 0.131 vs R 0.636 / 0.118.
"""

from adam.stats.cox import CoxPH, cox_treatment, treatment_dummies
from adam.stats.followup import FollowUp, median_followup, rmst
from adam.stats.group_sequential import obf_boundaries, obf_spending
from adam.stats.km import KaplanMeier, km_by_group
from adam.stats.logrank import LogrankResult, logrank_test
from adam.stats.subgroup import SubgroupResult, subgroup_analysis
from adam.stats.weighting import (WeightedCoxResult, ipcw_cox, ipcw_weights, msm_cox,
                                  msm_weights)
from adam.stats.zph import PHTest, ph_test

__all__ = ["CoxPH", "FollowUp", "KaplanMeier", "LogrankResult", "PHTest", "SubgroupResult",
           "WeightedCoxResult", "cox_treatment", "ipcw_cox", "ipcw_weights", "km_by_group",
           "logrank_test", "median_followup", "msm_cox", "msm_weights", "obf_boundaries",
           "obf_spending", "ph_test", "rmst", "subgroup_analysis", "treatment_dummies"]
