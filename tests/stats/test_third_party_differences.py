"""The differences from R listed in ``adam/stats/__init__.py``, shown on the R fixtures.

If one of these starts failing, the library changed: update the list in the docstring."""

import warnings

import numpy as np
import pandas as pd
import pytest

from stats_reference import REFERENCE, as_array, dataset

LUNG = dataset("lung")
SMALL = dataset("small_curves")
KM = {(c["name"], c["conf_type"], c["conf_level"]): c for c in REFERENCE["km"]}
COX = {(c["name"], c["ties"]): c for c in REFERENCE["cox"]}


def rel(a, b):
    return float(np.max(np.abs(np.asarray(a, dtype=float) / as_array(b) - 1)))


def test_statsmodels_survdiff_agrees_with_r():
    from statsmodels.duration.survfunc import survdiff

    for case in REFERENCE["logrank"]:
        strata = None
        if case["strata"]:
            strata = LUNG[case["strata"]].astype(str).agg("|".join, axis=1)
        chisq, _ = survdiff(LUNG[case["time"]], LUNG["status"], LUNG[case["group"]], strata=strata)
        assert rel(chisq, case["chisq"]) < 1e-12


def test_median_without_r_midpoint_rule():
    """R: 6.5 (S = 0.5 on [5, 8)); lifelines takes the first S <= 0.5 (5), statsmodels the
    first S < 0.5 (8)."""
    from lifelines import KaplanMeierFitter
    from statsmodels.duration.survfunc import SurvfuncRight

    d = SMALL[SMALL["curve"] == "midpoint"]
    assert KM[("small_midpoint", "log-log", 0.95)]["median"] == 6.5
    assert KaplanMeierFitter().fit(d["time"], d["status"]).median_survival_time_ == 5
    assert SurvfuncRight(d["time"], d["status"]).quantile(0.5) == 8


def test_lifelines_cox_default_tolerance_is_not_r_precision():
    from lifelines import CoxPHFitter

    case = COX[("months_sex_age", "efron")]
    frame = pd.DataFrame({"t": LUNG["months"], "e": LUNG["status"],
                          "female": (LUNG["sex"] == 2) * 1.0, "age": LUNG["age"]})
    fit = CoxPHFitter().fit(frame, "t", "e")
    assert rel(fit.params_.to_numpy(), case["coef"]) > 1e-6


def test_lifelines_robust_se_with_ties_and_weights_differs():
    from lifelines import CoxPHFitter

    case = COX[("weighted_months_sex", "efron")]
    frame = pd.DataFrame({"t": LUNG["months"], "e": LUNG["status"],
                          "female": (LUNG["sex"] == 2) * 1.0, "w": LUNG["wt"]})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = CoxPHFitter().fit(frame, "t", "e", weights_col="w", robust=True)
    assert rel(fit.standard_errors_.to_numpy(), case["se"]) > 1e-3


@pytest.mark.parametrize("ties", ["efron", "breslow"])
def test_statsmodels_phreg_weighted_ties_differ(ties):
    """Unweighted PHReg agrees with coxph; with case weights and tied times it does not."""
    from statsmodels.duration.hazard_regression import PHReg

    female = ((LUNG["sex"] == 2) * 1.0).to_frame()
    weighted = PHReg(LUNG["months"], female, status=LUNG["status"], ties=ties,
                     weights=LUNG["wt"].to_numpy()).fit()
    assert rel(weighted.params, COX[("weighted_months_sex", ties)]["coef"]) > 1e-2
    case = COX[("months_sex_age", ties)]
    both = PHReg(LUNG["months"], pd.DataFrame({"f": female.iloc[:, 0], "age": LUNG["age"]}),
                 status=LUNG["status"], ties=ties).fit()
    assert rel(both.params, case["coef"]) < 1e-6


def test_lifelines_km_log_log_limits_agree_with_r():
    from lifelines import KaplanMeierFitter

    case = KM[("lung_sex1", "log-log", 0.95)]
    d = LUNG[LUNG["sex"] == 1]
    ci = KaplanMeierFitter().fit(d["time"], d["status"]).confidence_interval_.iloc[1:]
    assert rel(ci.iloc[:, 0], case["table"]["lower"]) < 1e-12
    assert rel(ci.iloc[:, 1], case["table"]["upper"]) < 1e-12


@pytest.mark.parametrize("transform", ["km", "rank", "identity"])
def test_lifelines_ph_test_is_the_older_approximation(transform):
    """lifelines ``proportional_hazard_test`` is cox.zph before survival 3.0: per covariate
    only (no GLOBAL, no multi-column terms), from scaled Schoenfeld residuals with their
    variance approximated by ``d * var(beta)`` (d deaths), and other transforms (``km`` =
    1 - S(t) where R takes 1 - S(t-); ``rank`` counts deaths instead of R's average ranks
    of all times). lung, age + female, km: p 0.709 and 0.131 against R's 0.636 and 0.118."""
    from lifelines import CoxPHFitter
    from lifelines.statistics import proportional_hazard_test

    case = next(c for c in REFERENCE["zph"] if c["name"] == "lung_age_sex"
                and c["ties"] == "efron" and c["transform"] == transform)
    frame = pd.DataFrame({"t": LUNG["time"], "e": LUNG["status"], "age": LUNG["age"],
                          "female": (LUNG["sex"] == 2) * 1.0})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = proportional_hazard_test(CoxPHFitter().fit(frame, "t", "e"), frame,
                                          time_transform=transform)
    assert len(result.test_statistic) == 2 == len(case["chisq"]) - 1   # R adds GLOBAL
    assert rel(result.p_value, case["p"][:2]) > 1e-2
    assert rel(result.test_statistic, case["chisq"][:2]) > 1e-2
