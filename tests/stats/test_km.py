"""Kaplan-Meier against R ``survfit`` (tests/fixtures/r/make_fixtures.R: ``km_case``).

R: ``fit <- survfit(Surv(time, status) ~ 1, conf.type=, conf.int=)``; ``fit$std.err``,
``summary(fit)$table`` (median and limits), ``quantile(fit, c(.25, .5, .75))``,
``summary(fit, times=, extend=TRUE)``, ``summary(fit, rmean=tau)$table``."""

import numpy as np
import pytest

from adam.stats.km import KaplanMeier, km_by_group
from stats_reference import REFERENCE, as_array, assert_r_close, dataset, smoke_first

LUNG = dataset("lung")
SMALL = dataset("small_curves")


def case_data(name: str):
    if name.startswith("small_"):
        d = SMALL[SMALL["curve"] == name[len("small_"):]]
        return d["time"], d["status"]
    sex = int(name[-1])
    d = LUNG[LUNG["sex"] == sex]
    if name.startswith("lung_months"):
        return d["months"], d["status"]
    if name.startswith("lung_revkm"):
        return d["time"], 1 - d["status"]
    return d["time"], d["status"]


CASES = REFERENCE["km"]
IDS = [f"{c['name']}-{c['conf_type']}-{c['conf_level']}" for c in CASES]


def fitted(case):
    time, status = case_data(case["name"])
    return KaplanMeier(case["conf_type"], case["conf_level"]).fit(time, status)


@pytest.mark.parametrize("case", smoke_first(CASES), ids=IDS)
def test_survfit_table(case):
    table = fitted(case).table
    for col in ("time", "n_risk", "n_event", "n_censor", "surv", "std_err", "lower", "upper"):
        assert_r_close(table[col], case["table"][col])


@pytest.mark.parametrize("case", smoke_first(CASES), ids=IDS)
def test_median_and_quantiles(case):
    fit = fitted(case)
    assert_r_close([fit.median, fit.median_lcl, fit.median_ucl],
                   [case["median"], case["median_lcl"], case["median_ucl"]])
    for i, p in enumerate(case["quantile"]["p"]):
        q = [case["quantile"][k][i] for k in ("q", "lower", "upper")]
        assert_r_close(fit.quantile(p), q)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_landmarks(case):
    """``summary(fit, times=, extend=TRUE)``."""
    lm = case["landmarks"]
    got = fitted(case).survival_at(lm["time"], extend=True)
    assert_r_close(got["n_risk"], lm["n_risk"])
    assert_r_close(got["surv"], lm["surv"])
    assert_r_close(got["surv_se"], lm["std_err"])
    assert_r_close(got["lower"], lm["lower"])
    assert_r_close(got["upper"], lm["upper"])


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_rmst(case):
    got = fitted(case).rmst(case["tau"])
    assert_r_close([got["rmst"], got["rmst_se"]], [case["rmean"], case["rmean_se"]])


def test_midpoint_rule_by_hand():
    """S = 0.5 on [5, 8): median (5 + 8) / 2; a curve ending at 0.5 (last time 4):
    print.survfit gives 2, quantile.survfit gives (2 + 4) / 2."""
    d = SMALL[SMALL["curve"] == "midpoint"]
    assert KaplanMeier().fit(d["time"], d["status"]).median == 6.5
    d = SMALL[SMALL["curve"] == "ends_at_half"]
    fit = KaplanMeier().fit(d["time"], d["status"])
    assert fit.median == 2 and fit.quantile(0.5)[0] == 3


def test_not_reached_is_nan_and_stats_keys():
    d = SMALL[SMALL["curve"] == "not_reached"]
    stats = KaplanMeier().fit(d["time"], d["status"]).stats()
    assert set(stats) == {"n", "n_events", "n_censored", "median", "median_lcl", "median_ucl",
                          "q25", "q75"}
    assert np.isnan(stats["median"]) and (stats["n"], stats["n_events"]) == (10, 3)


def test_landmark_beyond_follow_up_without_extend():
    d = SMALL[SMALL["curve"] == "midpoint"]
    got = KaplanMeier().fit(d["time"], d["status"]).survival_at([11, 13])
    assert got["surv"].notna().tolist() == [True, False]
    assert got["n_risk"].tolist() == [1, 0]


def test_km_by_group_matches_subsets():
    fits = km_by_group(LUNG["time"], LUNG["status"], LUNG["sex"])
    case = next(c for c in CASES if c["name"] == "lung_sex2" and c["conf_type"] == "log-log")
    assert_r_close(fits[2].table["surv"], case["table"]["surv"])
    assert as_array(case["median"])[0] == fits[2].median


def test_median_followup_and_rmst_functions():
    """R: ``survfit(Surv(time, 1 - status) ~ 1)`` on lung, sex 1 (reverse KM)."""
    from adam.stats.followup import median_followup, rmst

    case = next(c for c in CASES if c["name"] == "lung_revkm_sex1")
    d = LUNG[LUNG["sex"] == 1]
    got = median_followup(d["time"], d["status"]).stats()
    assert_r_close([got["median_fu"], got["median_fu_lcl"], got["median_fu_ucl"]],
                   [case["median"], case["median_lcl"], case["median_ucl"]])
    case = next(c for c in CASES if c["name"] == "lung_sex1" and c["conf_level"] == 0.95)
    got = rmst(d["time"], d["status"], case["tau"])
    assert_r_close([got["rmst"], got["rmst_se"]], [case["rmean"], case["rmean_se"]])


PAST_LAST = REFERENCE["past_last"]


@pytest.mark.parametrize("case", PAST_LAST, ids=[f"{c['name']}-{c['level']}-{c['conf_type']}" for c in PAST_LAST])
def test_survival_past_the_last_time(case):
    """Issue 21 item 15. R ``summary(fit, times=, extend=TRUE)`` per arm of ``veteran`` (both
    curves end with a death: S = 0 past the last time, limits NA) and ``ovarian`` (curves end
    censored above 0: R drops those times without ``extend``; not estimable here)."""
    d = dataset(case["data"])
    d = d[d[case["group"]] == case["level"]]
    fit = KaplanMeier(case["conf_type"]).fit(d["time"], d["status"])
    got = fit.survival_at(case["time"])
    expected = {k: as_array(case[k]) for k in ("n_risk", "surv", "lower", "upper")}
    past = as_array(case["time"]) > case["last_time"]
    if case["last_surv"] > 0:           # not determinate past the end: empty
        for k in ("surv", "lower", "upper"):
            expected[k][past] = np.nan
        assert np.isfinite(got["surv"]).sum() == len(as_array(case["kept"]))  # R keeps these
    else:
        assert past.any() and (expected["surv"][past] == 0).all()
    for k, v in expected.items():
        assert_r_close(got[k], v.tolist())
    stats = fit.stats_at(float(case["time"][-1]))
    assert_r_close([stats["surv"], stats["surv_lcl"], stats["surv_ucl"], stats["n_risk"]],
                   [expected[k][-1] for k in ("surv", "lower", "upper", "n_risk")])
