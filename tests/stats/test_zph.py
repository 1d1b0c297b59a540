"""Proportional-hazards test against R (tests/fixtures/r/make_fixtures.R: ``zph_case``).

R: ``cox.zph(coxph(Surv(time, status) ~ age + I(sex == 2) + strata(ecog), lung2, ties=),
transform=)`` (km, rank, identity, log), the weighted
``coxph(Surv(months, status) ~ I(sex == 2) + age + strata(agegrp), lung2, weights = wt)``,
``coxph(Surv(time, status) ~ trt + prior + factor(celltype), veteran)`` (many tied times;
celltype one 3-df term), ``factor(arm3) + strata(sex)`` (lung, one 2-df term) and
``coxph(Surv(time, status) ~ rx + resid, ovarian)``: the
``table`` (chisq, df, p per term and GLOBAL) to 1e-6."""

import numpy as np
import pandas as pd
import pytest

from adam.errors import StatError
from adam.stats.cox import CoxPH, cox_treatment
from adam.stats.zph import ph_test, time_transform
from stats_reference import REFERENCE, assert_r_close, dataset, smoke_first

DATA = {name: dataset(name) for name in ("lung", "veteran", "ovarian", "heart")}
CASES = REFERENCE["zph"]


def covariates(frame: pd.DataFrame, names: list[str]) -> pd.DataFrame:
    """The columns R's formula makes: ``female`` = I(sex == 2), ``celltype_<level>`` and
    ``arm3_<level>`` = the dummies of factor(celltype), factor(arm3), others as they are."""
    def column(name):
        if name == "female":
            return (frame["sex"] == 2) * 1.0
        if name.startswith(("celltype_", "arm3_")):
            var, level = name.split("_")
            return (frame[var].astype(str) == level) * 1.0
        return frame[name] * 1.0
    return pd.DataFrame({n: column(n) for n in names})


@pytest.mark.parametrize("case", smoke_first(CASES, 2),
                         ids=[f"{c['name']}-{c['ties']}-{c['transform']}" for c in CASES])
def test_ph_test_matches_cox_zph(case):
    frame = DATA[case["data"]]
    fit = CoxPH(ties=case["ties"]).fit(
        frame[case["time"]], frame["status"], covariates(frame, case["covariates"]),
        strata=[frame[s] for s in case["strata"]] or None,
        weights=frame[case["weights"]] if "weights" in case else None)
    got = ph_test(fit, transform=case["transform"], terms=case.get("term_columns"))
    assert len(got.summary) == len(case["terms"]) and got.summary.index[-1] == "GLOBAL"
    assert_r_close(got.summary["chisq"], case["chisq"])
    assert_r_close(got.summary["p"], case["p"])
    assert got.summary["df"].tolist() == case["df"]


def test_treatment_term_of_a_two_arm_model_is_global():
    """One covariate: the term's test is the global test; ``stats`` keys are the ARD's."""
    case = next(c for c in CASES if c["name"] == "months_sex" and c["ties"] == "efron"
                and c["transform"] == "km")
    lung = DATA["lung"]
    arm = np.where(lung["sex"] == 2, "Female", "Male")
    result = ph_test(cox_treatment(lung["months"], lung["status"], arm, ref="Male"))
    assert set(result.stats()) == {"chisq", "df", "p_value"}
    assert_r_close([result.stats()["chisq"], result.stats()["p_value"]], [case["chisq"][-1], case["p"][-1]])
    assert result.stats("Female") == result.stats()


def test_time_transforms_by_hand():
    """km: 1 - S(t-) of all records; rank: average ranks (R ``rank``)."""
    time, event = [1, 2, 2, 3, 5], [1, 1, 0, 1, 0]
    # S: 4/5 after t=1, 4/5 * 3/4 = 3/5 after t=2, 3/5 * 1/2 = 3/10 after t=3
    np.testing.assert_allclose(time_transform(time, event, "km"), [0, 0.2, 0.2, 0.4, 0.7])
    np.testing.assert_allclose(time_transform(time, event, "rank"), [1, 2.5, 2.5, 4, 5])
    np.testing.assert_allclose(time_transform(time, event, "log"), np.log(time))


def test_bad_requests_are_stat_errors():
    lung = DATA["lung"]
    fit = CoxPH().fit(lung["time"], lung["status"], covariates(lung, ["female"]))
    with pytest.raises(StatError, match="transform"):
        ph_test(fit, transform="loglog")
    with pytest.raises(StatError, match="term"):
        ph_test(fit, terms={"sex": ["male"]})
    heart = DATA["heart"]
    counting = CoxPH().fit(heart["stop"], heart["event"], heart["age"], start=heart["start"])
    with pytest.raises(StatError, match="start, stop"):
        ph_test(counting)
    with pytest.raises(StatError, match="fitted"):
        ph_test(CoxPH())
