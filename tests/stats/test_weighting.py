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


def test_memory_check_refuses_what_would_not_fit(monkeypatch):
    """A person-period fit larger than the memory available is refused up front with one
    message naming the analysis and the way out; it runs when it fits, or when the
    system does not say what it has."""
    from adam.errors import StatError
    from adam.stats import weighting

    weighting.check_memory(1000, 100, "analysis X", available=900_000)       # 0.9 MB needed
    with pytest.raises(StatError, match=r"analysis X: 1,000 person-period rows need about .* GB "
                                        r"and .* GB is available; give the analysis a longer period_months"):
        weighting.check_memory(1000, 100, "analysis X", available=899_999)
    weighting.check_memory(1000, 0, "analysis X", available=600_000)          # no bootstrap: less
    monkeypatch.setattr(weighting, "_available_memory", lambda: None)
    weighting.check_memory(10 ** 12, 100, "analysis X")
    monkeypatch.undo()
    assert weighting._available_memory() > 0                                  # Linux: MemAvailable


def test_switching_analysis_too_large_is_one_clear_error(monkeypatch):
    from adam.analysis import run_analyses
    from adam.errors import StatError
    from adam.stats import weighting
    from adam.study import load_study
    from adam.synth import synthesize
    from derivations.studies.tourmaline import derive

    spec = load_study("tourmaline-mm3")
    adam = derive(synthesize("tourmaline-mm3", n_subjects=120, seed=4), spec)
    assert len(run_analyses(adam, spec, only=["OS-MSM"]))                      # fits here
    monkeypatch.setattr(weighting, "_available_memory", lambda: 10 ** 5)
    with pytest.raises(StatError, match=r"^analysis OS-IPCW: [\d,]+ person-period rows need about"):
        run_analyses(adam, spec, only=["OS-IPCW"])
