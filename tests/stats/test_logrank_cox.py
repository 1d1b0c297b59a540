"""Log-rank and Cox against R (tests/fixtures/r/make_fixtures.R: ``lr_case``, ``cox_case``).

R: ``survdiff(Surv(time, status) ~ sex + strata(ecog), lung2)``;
``coxph(Surv(time, status) ~ I(sex == 2) + strata(ecog), lung2, ties=)`` and the
counting-process ``coxph(Surv(start, stop, event) ~ transplant + age + surgery, heart)``."""

import numpy as np
import pytest

from adam.errors import StatError
from adam.stats.cox import CoxPH, cox_treatment
from adam.stats.logrank import logrank_test
from stats_reference import REFERENCE, assert_r_close, dataset, smoke_first

DATA = {"lung": dataset("lung"), "heart": dataset("heart")}
LUNG = DATA["lung"]


@pytest.mark.parametrize("case", smoke_first(REFERENCE["logrank"], 2), ids=[c["name"] for c in REFERENCE["logrank"]])
def test_logrank_matches_survdiff(case):
    strata = [LUNG[s] for s in case["strata"]] or None
    got = logrank_test(LUNG[case["time"]], LUNG["status"], LUNG[case["group"]], strata=strata)
    assert_r_close([got.chisq, got.p_value], [case["chisq"], case["p_value"]])
    assert got.df == case["df"]
    assert_r_close(got.observed, case["observed"])
    assert_r_close(got.expected, case["expected"])


def covariates(frame, names):
    cols = {"female": (frame.get("sex", 0) == 2) * 1.0,
            "arm3_1": (frame.get("arm3", -1) == 1) * 1.0,
            "arm3_2": (frame.get("arm3", -1) == 2) * 1.0}
    return np.column_stack([cols[n] if n in cols else frame[n] for n in names])


def case_weights(frame, spec):
    if spec is None:
        return None
    if spec == "wt":
        return frame["wt"]
    assert spec == "1 + (id %% 3) / 4"
    return 1 + (frame["id"] % 3) / 4


@pytest.mark.parametrize("case", smoke_first(REFERENCE["cox"], 3), ids=[f"{c['name']}-{c['ties']}" for c in REFERENCE["cox"]])
def test_cox_matches_coxph(case):
    frame = DATA[case["data"]]
    event = frame["status"] if "status" in frame else frame["event"]
    fit = CoxPH(ties=case["ties"]).fit(
        frame[case["time"]], event, covariates(frame, case["covariates"]),
        strata=[frame[s] for s in case["strata"]] or None,
        weights=case_weights(frame, case.get("weights")),
        start=frame[case["start"]] if "start" in case else None)
    assert fit.converged
    assert_r_close(fit.coef, case["coef"])
    assert_r_close(fit.se, case["se"])
    assert_r_close(fit.loglik, case["loglik"])
    assert_r_close(fit.score_test, case["score"])
    assert_r_close(fit.summary["p"], case["p_wald"])
    assert_r_close([fit.p_score, fit.p_lr], [case["p_score"], case["p_lr"]])
    assert_r_close(fit.summary["lower"], case["hr_lcl"])
    assert_r_close(fit.summary["upper"], case["hr_ucl"])
    assert fit.iterations == case["iter"]


def test_cox_treatment_labels_and_stats_keys():
    case = next(c for c in REFERENCE["cox"] if c["name"] == "sex_strata_ecog" and c["ties"] == "efron")
    group = np.where(LUNG["sex"] == 2, "Female", "Male")
    stats = cox_treatment(LUNG["time"], LUNG["status"], group, ref="Male", strata=LUNG["ecog"]).stats()
    assert set(stats) == {"hr", "hr_lcl", "hr_ucl", "log_hr", "se_log_hr", "p_value", "p_score", "p_lr"}
    assert_r_close([stats["log_hr"], stats["se_log_hr"]], [case["coef"][0], case["se"][0]])


def test_cox_without_events_is_an_error():
    with pytest.raises(StatError):
        CoxPH().fit([1, 2, 3], [0, 0, 0], [0, 1, 1])


@pytest.mark.smoke
@pytest.mark.parametrize("case", REFERENCE["subgroup"], ids=[c["ties"] for c in REFERENCE["subgroup"]])
def test_subgroup_interaction_matches_r(case):
    """R: ``anova`` LR and Wald of ``I(sex == 2):agegrp`` in
    ``coxph(Surv(time, status) ~ I(sex == 2) * agegrp + strata(ecog))``; per-level HRs from
    ``coxph(Surv(time, status) ~ I(sex == 2) + strata(ecog), subset = agegrp == level)``."""
    from adam.stats.subgroup import subgroup_analysis

    sex = np.where(LUNG["sex"] == 2, "female", "male")
    res = subgroup_analysis(LUNG["time"], LUNG["status"], sex, LUNG["agegrp"], ref="male",
                            strata=LUNG["ecog"], ties=case["ties"])
    assert_r_close([res.p_interaction, res.p_interaction_wald],
                   [case["p_interaction_lr"], case["p_interaction_wald"]])
    assert res.stats() == {"p_interaction": res.p_interaction} and res.df == 2
    for lv in case["levels"]:
        got = res.level_stats(lv["level"])
        assert_r_close([got["hr"], got["hr_lcl"], got["hr_ucl"]], [lv["hr"], lv["lcl"], lv["ucl"]])
        in_level = LUNG["agegrp"] == lv["level"]
        counts = res.arm_stats(lv["level"], "female")
        assert counts["n"] == (in_level & (LUNG["sex"] == 2)).sum()
        assert counts["n_events"] == LUNG.loc[in_level & (LUNG["sex"] == 2), "status"].sum()


def test_subgroup_level_without_events_in_an_arm_is_nan():
    from adam.stats.subgroup import subgroup_analysis

    time = np.arange(1.0, 13.0)
    event = np.array([1, 0, 1, 0, 0, 0, 1, 0, 1, 1, 0, 1.0])
    arm = np.array(["A", "B"] * 6)
    sub = np.array(["x"] * 6 + ["y"] * 6)  # level x: arm B has no events
    res = subgroup_analysis(time, event, arm, sub, ref="A")
    x = res.level_stats("x")
    assert np.isnan([x["hr"], x["hr_lcl"], x["hr_ucl"]]).all()
    assert res.arm_stats("x", "B") == {"n": 3, "n_events": 0}
    assert np.isfinite(res.level_stats("y")["hr"])


def test_near_tied_times_are_merged_as_r_timefix():
    """R ``timefix=TRUE``: 0.1 + 0.2 and 0.3 (and 0.7, 0.1 * 7) are one time."""
    from adam.stats.km import KaplanMeier

    case = REFERENCE["near_ties"]
    time = np.array([0.1 + 0.2, 0.3, 0.7, 0.1 * 7, 1.1, 2, 0.5, 0.9, 1.3, 1.7])
    status = np.array([1, 1, 0, 1, 1, 0, 1, 1, 1, 0])
    x = np.array([0, 1, 0, 1, 0, 1, 1, 0, 1, 0])
    km = KaplanMeier().fit(time, status)
    assert len(km.table) == len(case["time"])
    assert_r_close(km.table["surv"], case["surv"])
    assert_r_close(km.table["n_risk"], case["n_risk"])
    assert_r_close(logrank_test(time, status, x).chisq, case["chisq"])
    fit = CoxPH().fit(time, status, x)
    assert_r_close([fit.coef[0], fit.se[0]], [case["coef"], case["se"]])


def test_monotone_likelihood_is_flagged_as_r_does():
    """All arm-B deaths after the last arm-A subject: R ``coxph`` warns "Loglik converged
    before variable 1; coefficient may be infinite"; the subgroup HR is then NaN."""
    from adam.stats.subgroup import subgroup_analysis

    time = np.array([1, 2, 3, 4, 5, 6, 1.5, 2.5, 3.5, 4.5])
    event = np.ones(10)
    arm = np.array(["A", "A", "A", "B", "B", "B", "C", "D", "C", "D"])
    sub = np.array(["x"] * 6 + ["y"] * 4)
    fit = CoxPH().fit(time[:6], event[:6], (arm[:6] == "B") * 1.0)
    assert fit.converged and fit.infinite.all() and fit.coef[0] < -5
    fine = CoxPH().fit(LUNG["time"], LUNG["status"], LUNG["sex"])
    assert not fine.infinite.any()
    arm2 = np.where(np.isin(arm, ["A", "C"]), "A", "B")
    res = subgroup_analysis(time, event, arm2, sub, ref="A")
    assert np.isnan(res.level_stats("x")["hr"]) and np.isfinite(res.level_stats("y")["hr"])


def test_non_convergence_is_reported_or_raised():
    from adam.errors import ConvergenceError

    fit = CoxPH(iter_max=1).fit(LUNG["time"], LUNG["status"], LUNG["sex"])
    assert not fit.converged
    with pytest.raises(ConvergenceError):
        CoxPH(iter_max=1, strict=True).fit(LUNG["time"], LUNG["status"], LUNG["sex"])


MONOTONE = REFERENCE["monotone"]


@pytest.mark.parametrize("case", MONOTONE, ids=[f"{c['case']}-{'strata' if c['stratified'] else 'none'}-{c['ties']}"
                                                for c in MONOTONE])
def test_monotone_likelihood_not_estimable_with_r_tests(case, recwarn):
    """Issue 21 item 16 (tests/fixtures/r/monotone.csv). Where R ``coxph`` warns that the
    coefficient may be infinite (or, ``ran_out``, runs out of iterations as it runs off),
    the HR, CI, log HR, SE and Wald p are NaN (not estimable) and the score and
    likelihood-ratio p are R's; no numpy warning escapes the fit. The ``strata`` data
    fitted without strata is finite and equal to R."""
    d = dataset("monotone")
    d = d[d["case"] == case["case"]]
    fit = cox_treatment(d["time"], d["status"], d["arm"], ref="A",
                        strata=d["stratum"] if case["stratified"] else None, ties=case["ties"])
    stats = fit.stats()
    assert_r_close(fit.loglik, case["loglik"])
    assert_r_close([stats["p_score"], stats["p_lr"], fit.score_test],
                   [case["p_score"], case["p_lr"], case["score"]])
    assert fit.converged == case["converged"]
    if fit.converged:
        assert fit.iterations == case["iter"]
    monotone = case["infinite"] or not case["converged"]   # R: may be infinite / ran out
    assert bool(fit.infinite[0]) == monotone == (not fit.estimable[0])
    if monotone:
        assert all(np.isnan(stats[k]) for k in ("hr", "hr_lcl", "hr_ucl", "log_hr", "se_log_hr", "p_value"))
        assert "monotone likelihood" in fit.not_estimable()
        assert fit.summary["estimable"].tolist() == [False]
    else:
        assert fit.not_estimable() is None
        assert_r_close([stats["log_hr"], stats["se_log_hr"], stats["p_value"]],
                       [case["coef"], case["se"], case["p_wald"]])
    lr = logrank_test(d["time"], d["status"], d["arm"], strata=d["stratum"] if case["stratified"] else None)
    assert_r_close([lr.chisq, lr.p_value], [case["logrank_chisq"], case["logrank_p"]])
    assert not [w for w in recwarn if issubclass(w.category, RuntimeWarning)]


THREE_ARMS = REFERENCE["three_arms"]


@pytest.mark.parametrize("case", THREE_ARMS, ids=[f"{c['name']}-{c['ties']}" for c in THREE_ARMS])
def test_joint_and_pairwise_contrasts_match_r(case):
    """Issue 21 item 17. R ``coxph(Surv(time, status) ~ arm + strata(s))`` with all arms
    (one model, treatment dummies against the reference) and on each pair of arms."""
    d = dataset(case["name"])
    arm = d[case["arm"]].astype(str).to_numpy()
    strata = [d[s] for s in case["strata"]]
    joint = cox_treatment(d["time"], d["status"], arm, ref=case["ref"], strata=strata, ties=case["ties"])
    assert joint.names == case["levels"]
    assert_r_close(joint.coef, case["coef"])
    assert_r_close(joint.se, case["se"])
    assert_r_close(joint.summary["p"], case["p_wald"])
    assert_r_close(joint.summary["lower"], case["hr_lcl"])
    assert_r_close(joint.summary["upper"], case["hr_ucl"])
    assert_r_close([joint.p_score, joint.p_lr], [case["p_score"], case["p_lr"]])
    for i, level in enumerate(case["levels"]):
        assert_r_close(joint.stats(level)["log_hr"], case["coef"][i])
    for pair in case["pairwise"]:
        sel = np.isin(arm, [case["ref"], pair["level"]])
        fit = cox_treatment(d["time"][sel], d["status"][sel], arm[sel], ref=case["ref"],
                            strata=[s[sel] for s in strata], ties=case["ties"])
        st = fit.stats()
        assert_r_close([st["log_hr"], st["se_log_hr"], st["p_value"], st["hr_lcl"], st["hr_ucl"],
                        st["p_score"], st["p_lr"]],
                       [pair[k] for k in ("coef", "se", "p_wald", "hr_lcl", "hr_ucl", "p_score", "p_lr")])
        joint_coef = case["coef"][case["levels"].index(pair["level"])]
        assert abs(st["log_hr"] - joint_coef) > 1e-3          # the two models differ
