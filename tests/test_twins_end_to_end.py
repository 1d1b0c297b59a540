"""The synthetic twins through the whole pipeline (synth -> derive -> analyze) keep every
published conclusion of the report (shared/study/tourmaline.md), as
:func:`adam.synth.calibration.conclusions` lists them against its ``PUBLISHED`` facts:
exact counts, Table 1 cell by cell, every quoted HR inside its published 95% CI, medians
within 10% (NR stays NR), median follow-up within 2 months, no conclusion flipped (PFS
significant, nothing else; no subgroup or interaction significant), the MM3 quoted
subgroups, the OS curves' shape and PFS censoring, OS proportional hazards (the
Grambsch-Therneau test of OS-PRIMARY not rejecting). Each test fails naming its checks."""

import pytest

from adam import pipeline
from adam.ard import ard_value
from adam.io import read_adam
from adam.synth.calibration import PUBLISHED, conclusions, failed

ARMS = ("Ixazomib", "Placebo")


@pytest.fixture(scope="module", params=sorted(PUBLISHED))
def twin(request, tmp_path_factory):
    name = request.param
    out = tmp_path_factory.mktemp(name)
    pipeline.synth(name, out / "sdtm")
    pipeline.derive(name, out / "sdtm", out / "adam")
    ard = pipeline.analyze(name, out / "adam", out / "ard")
    return name, read_adam(out / "adam"), ard


@pytest.fixture(scope="module")
def checks(twin):
    name, adam, ard = twin
    return conclusions(name, ard, adam["adsl"].frame)


def test_every_published_fact_is_checked(twin, checks):
    """The list covers each published fact (a check that is missing cannot fail)."""
    name, _, _ = twin
    facts = PUBLISHED[name]
    keys = {c.key for c in checks}
    assert {f"hr in published CI: {a}" for a in facts.results} <= keys
    assert {f"significance: {a}" for a in facts.results} <= keys
    assert {f"table1: {label} {arm}" for label in facts.table1 for arm in ARMS} <= keys
    assert {f"quoted subgroup HR in published CI: {v}={lv}" for v, lv in facts.subgroups} <= keys
    assert sum(c.group == "median" for c in checks) == 2 * sum(r.median is not None for r in facts.results.values())
    assert sum(c.group == "subgroup CI includes 1" for c in checks) >= 12
    assert sum(c.group == "interaction p >= 0.05" for c in checks) >= 7
    assert "proportional hazards: OS-PRIMARY" in keys


def test_populations_deaths_discontinuations_and_table1(checks):
    assert not failed(checks, "count", "table1")


def test_hazard_ratios_inside_published_ci(checks):
    """OS, PFS, TTNT, PFS2, OS by next-line PI / no PI, and the IPCW and MSM OS HRs
    (sensitivity analyses for subsequent therapy)."""
    assert not failed(checks, "hr in published CI")


def test_medians_and_follow_up(checks):
    assert not failed(checks, "median", "follow-up")


def test_secondary_hazard_ratios_keep_the_published_conclusions(checks):
    """p < 0.05 only for PFS; MSM, IPCW and OS by next-line PI with a CI covering the
    published HR, next-line HRs on the published side of 1 where that is not near 1, no
    runaway IPCW bootstrap limit."""
    assert not failed(checks, "significance", "CI covers published HR", "direction", "IPCW CI bounded")


def test_no_subgroup_or_interaction_significant_and_quoted_subgroups(checks):
    assert not failed(checks, "subgroup CI includes 1", "interaction p >= 0.05",
                      "quoted subgroup HR in published CI")


def test_os_curves_and_pfs_censoring(checks):
    """5-year OS within 5 points of the published, no arm at 100% at 12 months; a few
    percent of each arm censored for PFS."""
    assert not failed(checks, "OS shape", "PFS censoring")


def test_os_proportional_hazards_not_rejected(checks):
    """The OS curves follow proportional hazards, as the report's (one Cox HR): the
    OS-PRIMARY ``zph`` p (R ``cox.zph``, km transform) is 0.05 or more."""
    assert not failed(checks, "proportional hazards")


def test_a_wrong_twin_fails_the_named_checks(twin):
    """Each kind of departure from the report fails the check naming it."""
    name, adam, ard = twin
    adsl = adam["adsl"].frame

    def failing(ard=ard, adsl=adsl):
        return {c.key for c in conclusions(name, ard, adsl) if not c.passed}

    assert not failing()
    hr = (ard.analysis_id == "OS-PRIMARY") & (ard.method == "cox") & (ard.stat_name == "hr")
    assert failing(ard.assign(stat_value=ard.stat_value.where(~hr, 1.6))) == {"hr in published CI: OS-PRIMARY"}
    p = (ard.analysis_id == "TTNT") & (ard.method == "logrank") & (ard.stat_name == "p_value")
    assert failing(ard.assign(stat_value=ard.stat_value.where(~p, 0.01))) == {"significance: TTNT"}
    level = ((ard.analysis_id == "OS-SUBGROUP") & (ard.method == "cox") & (ard.subgroup_var == "AGEGR1")
             & (ard.subgroup == "<60") & (ard.stat_name == "hr_lcl"))
    assert failing(ard.assign(stat_value=ard.stat_value.where(~level, 1.01))) == {
        "subgroup CI includes 1: AGEGR1=<60"}
    alive = adsl.index[(adsl.TRT01P == "Placebo") & (adsl.DTHFL != "Y")][:1]
    assert failing(adsl=adsl.assign(DTHFL=adsl.DTHFL.where(~adsl.index.isin(alive), "Y"))) == {
        "count: deaths Placebo"}
    zph = (ard.analysis_id == "OS-PRIMARY") & (ard.method == "zph") & (ard.stat_name == "p_value")
    assert failing(ard.assign(stat_value=ard.stat_value.where(~zph, 0.01))) == {
        "proportional hazards: OS-PRIMARY"}
    assert failing(ard[~zph]) == {"proportional hazards: OS-PRIMARY"}      # no zph row: fails
    no_msm = ard[ard.analysis_id != "OS-MSM"]
    assert {"hr in published CI: OS-MSM", "significance: OS-MSM"} <= failing(no_msm)


def test_analyze_reads_only_the_variables_its_analyses_use(twin, tmp_path):
    """`analyze` decodes only the variables of analysis_variables(): fewer than the files
    hold, and every analysis (switching ones included) gives the ARD it gives on the
    whole datasets."""
    import pandas as pd

    from adam.analysis import analysis_variables, run_analyses
    from adam.study import load_study

    name, adam, ard = twin
    spec = load_study(name)
    used = analysis_variables(spec)
    assert set(adam["adsl"].frame.columns) - used          # something is left unread
    assert set(adam["adtte"].frame.columns) - used
    assert {"ITTFL", "TRT01P", "STRAT1R", "AGEGR1"} <= used  # population, arm, strata, subgroup
    whole = run_analyses(adam, spec)
    pd.testing.assert_frame_equal(ard.reset_index(drop=True), whole.reset_index(drop=True))


def test_disposition_flow_sums_and_reconciles_the_safety_population(twin):
    """Figure 1 (issue 18): every box of the disposition flow is the sum of its children in
    the ARD (both twins), no analyze warning says otherwise, the end-of-study status is that
    of all treated patients, and the footnote reconciles treated (randomized arm) with the
    safety N (actual treatment) from the ARD."""
    from adam.analysis import run_analyses
    from adam.study import load_study
    from reports.programs import consort
    from tests.reports.test_programs import assert_tree_sums

    name, adam, ard = twin
    rows = ard[(ard.analysis_id == "DISPOSITION") & (ard.stat_name == "n")]
    assert_tree_sums(rows)
    findings = []
    run_analyses(adam, load_study(name), only=["DISPOSITION"], findings=findings)
    assert not [f for f in findings if f.rule_id == "COUNT-TREE-SUM"]
    for arm in ARMS:      # the discontinued counts: test_populations_deaths_discontinuations_and_table1
        assert (ard_value(ard, "n", analysis_id="DISPOSITION", group=arm, subgroup="Status at end of study")
                == ard_value(ard, "n", analysis_id="DISPOSITION", group=arm, subgroup="Treated"))
    spec = next(o for o in load_study(name).outputs if o["id"] == "figure1")
    notes = " ".join(consort.build(ard, load_study(name), spec).footnotes)
    saf = PUBLISHED[name].safety
    assert f"Ixazomib N = {saf[0]}, Placebo N = {saf[1]}" in notes
    crossed = int(ard_value(ard, "n", analysis_id="DISPOSITION", group="Placebo",
                            subgroup="Treated: received Ixazomib"))
    assert crossed > 0 and f"{crossed} patient{'s' if crossed > 1 else ''} randomized to Placebo received Ixazomib" in notes


def test_disposition_tree_mismatch_is_a_warning(twin):
    """A box that is not the sum of its children is a COUNT-TREE-SUM warning from analyze."""
    from adam.analysis import run_analyses
    from adam.study import load_study

    name, adam, _ = twin
    study = load_study(name)
    spec = next(a for a in study.analyses if a["id"] == "DISPOSITION")
    broken = dict(spec, rows=[r for r in spec["rows"] if r["label"] != "Discontinued treatment: Other"])
    study.analyses = [broken]
    findings = []
    run_analyses(adam, study, findings=findings)
    assert [f.rule_id for f in findings] == ["COUNT-TREE-SUM"] * 2
    assert "'Discontinued treatment'" in findings[0].message


def test_switching_analyses_record_their_bootstrap_seed(twin):
    """Issue 18: the IPCW CI's bootstrap is reproducible from the ARD (replicates and seed
    in ``options``, as the footnote then says); the MSM uses no bootstrap (robust SE)."""
    name, _, ard = twin
    ipcw = set(ard.loc[ard.analysis_id == "OS-IPCW", "options"])
    msm = set(ard.loc[ard.analysis_id == "OS-MSM", "options"])
    assert len(ipcw) == 1 and "n_boot=100" in ipcw.pop() and all("seed=" not in o for o in msm)
    assert all("seed=202400" in o for o in ard.loc[ard.analysis_id == "OS-IPCW", "options"])
