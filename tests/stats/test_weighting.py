"""IPCW and MSM against R on the simulated person-period frame of make_fixtures.R.

R (IPCW): ``glm(switched ~ trt + age + start [+ L], binomial)`` on the periods not yet
switched plus the first switched one; ``sw = ave((1 - p_num) / (1 - p_den), id, FUN=cumprod)``
on the kept periods; ``coxph(Surv(start, stop, event) ~ trt, weights=sw, cluster=id, ties=)``.
R (MSM): ``glm(switched ~ lagA + trt + age + start [+ L], binomial)`` on all periods;
``coxph(Surv(start, stop, event) ~ switched + trt, weights=sw, cluster=id)``."""

import numpy as np
import pytest

from adam.stats.weighting import cumulative_product_by, ipcw_cox, msm_cox
from stats_reference import REFERENCE, assert_r_close, dataset

LONG = dataset("long")


@pytest.mark.parametrize("case", REFERENCE["ipcw"], ids=[c["ties"] for c in REFERENCE["ipcw"]])
def test_ipcw_matches_r(case):
    res = ipcw_cox(LONG, id="id", start="start", stop="stop", event="event", treatment="trt",
                   switch="switched", baseline=["age", "start"], time_varying=["L"], ref=0,
                   ties=case["ties"])
    assert_r_close(res.frame["sw"], case["sw"])
    assert_r_close([res.cox.coef[0], res.cox.se[0], res.stats()["p_value"]],
                   [case["coef"], case["robust_se"], case["p_value"]])
    assert set(res.stats()) == {"hr", "hr_lcl", "hr_ucl", "p_value"}


def test_msm_matches_r():
    case = REFERENCE["msm"]
    res = msm_cox(LONG, id="id", start="start", stop="stop", event="event", exposure="switched",
                  baseline=["trt", "age", "start"], time_varying=["L"], adjust=["trt"])
    assert_r_close(res.frame["sw"], case["sw"])
    assert_r_close(res.cox.coef, case["coef"])
    assert_r_close(res.cox.se, case["robust_se"])
    assert_r_close(res.cox.summary["p"], case["p_value"])


def test_bootstrap_is_seeded_and_brackets_the_estimate():
    small = LONG[LONG["id"] <= 200]
    kwargs = dict(id="id", start="start", stop="stop", event="event", treatment="trt",
                  switch="switched", baseline=["age", "start"], time_varying=["L"], ref=0,
                  n_boot=20, seed=7)
    a, b = ipcw_cox(small, **kwargs), ipcw_cox(small, **kwargs)
    np.testing.assert_array_equal(a.boot_hr, b.boot_hr)
    lcl, ucl = a.confidence_interval()
    assert lcl < ucl and np.isfinite(a.boot_hr).sum() == 20
    assert not np.allclose(a.boot_hr, a.hr)


def test_cumulative_product_by_id():
    got = cumulative_product_by([2.0, 3.0, 0.5, 4.0, 1.5], ["a", "a", "b", "b", "b"])
    np.testing.assert_allclose(got, [2.0, 6.0, 0.5, 2.0, 3.0])
