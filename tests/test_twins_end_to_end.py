"""The synthetic twins through the whole pipeline (synth -> derive -> analyze) reproduce
the published report (shared/study/tourmaline.md): exact counts, Table 1 cell by cell,
every published HR inside its published 95% CI, medians within 10% (NR stays NR), median
follow-up within 2 months."""

import math

import pytest

from adam import pipeline
from adam.ard import ard_value
from adam.io import read_adam

DAYS_PER_MONTH = 30.4375
NR = None

PUBLISHED = {
    "tourmaline-mm3": {
        "itt": {"Ixazomib": 395, "Placebo": 261}, "saf": {"Ixazomib": 394, "Placebo": 259},
        "deaths": {"Ixazomib": 144, "Placebo": 93},
        "table1": {">=1 subsequent anti-cancer therapy": (288, 190), "Corticosteroids": (263, 169),
                   "IMiDs": (255, 161), "PIs": (182, 141), "Anti-CD38 antibodies": (138, 74),
                   "Alkylating agents": (105, 71)},
        "hr": {"OS-PRIMARY": (0.789, 1.332), "PFS": (0.58, 0.89), "TTNT": (0.704, 1.022),
               "PFS2": (0.795, 1.298), "OS-NEXTLINE-PI": (0.523, 1.206),
               "OS-NEXTLINE-NOPI": (0.901, 1.904)},
        "median": {"OS-PRIMARY": (NR, NR), "PFS": (26.5, 21.3), "TTNT": (33.1, 27.6),
                   "PFS2": (84.0, 80.4), "OS-NEXTLINE-PI": (NR, 94.2),
                   "OS-NEXTLINE-NOPI": (74.9, 90.3)},
        "followup": (94.4, 94.5),
        "switching": {"OS-IPCW": (0.252, 2.446), "OS-MSM": (0.261, 3.279)},
    },
    "tourmaline-mm4": {
        "itt": {"Ixazomib": 425, "Placebo": 281}, "saf": {"Ixazomib": 426, "Placebo": 276},
        "deaths": {"Ixazomib": 184, "Placebo": 115},
        "table1": {">=1 subsequent anti-cancer therapy": (308, 198), "Corticosteroids": (286, 184),
                   "IMiDs": (257, 168), "PIs": (143, 99), "Anti-CD38 antibodies": (109, 73),
                   "Alkylating agents": (99, 58)},
        "hr": {"OS-PRIMARY": (0.861, 1.381), "PFS": (0.54, 0.80), "TTNT": (0.734, 1.058),
               "PFS2": (0.777, 1.246), "OS-NEXTLINE-PI": (0.749, 1.849),
               "OS-NEXTLINE-NOPI": (0.672, 1.283)},
        "median": {"OS-PRIMARY": (64.8, 69.5), "PFS": (17.4, 9.4), "TTNT": (22.1, 16.5),
                   "PFS2": (51.3, 50.3), "OS-NEXTLINE-PI": (64.7, 60.1),
                   "OS-NEXTLINE-NOPI": (57.1, 55.1)},
        "followup": (57.2, 57.6),
        "switching": {"OS-IPCW": (0.579, 2.323), "OS-MSM": (0.897, 1.577)},
    },
}
ARMS = ("Ixazomib", "Placebo")


@pytest.fixture(scope="module", params=sorted(PUBLISHED))
def twin(request, tmp_path_factory):
    name = request.param
    out = tmp_path_factory.mktemp(name)
    pipeline.synth(name, out / "sdtm")
    pipeline.derive(name, out / "sdtm", out / "adam")
    ard = pipeline.analyze(name, out / "adam", out / "ard")
    return name, read_adam(out / "adam"), ard


def test_populations_and_deaths(twin):
    name, adam, _ = twin
    adsl, facts = adam["adsl"].frame, PUBLISHED[name]
    for arm in ARMS:
        assert ((adsl.TRT01P == arm) & (adsl.ITTFL == "Y")).sum() == facts["itt"][arm]
        assert ((adsl.TRT01A == arm) & (adsl.SAFFL == "Y")).sum() == facts["saf"][arm]
        assert ((adsl.TRT01P == arm) & (adsl.DTHFL == "Y")).sum() == facts["deaths"][arm]


def test_table1_every_cell(twin):
    name, _, ard = twin
    for label, counts in PUBLISHED[name]["table1"].items():
        for arm, n in zip(ARMS, counts):
            assert ard_value(ard, "n", analysis_id="SUBSEQ-THERAPY", group=arm, subgroup=label) == n, (label, arm)


def test_switching_adjusted_hazard_ratios_inside_published_ci(twin):
    """IPCW and MSM OS HRs (sensitivity analyses for subsequent therapy) inside the
    published CIs: the twin's deaths before any next line are balanced by arm."""
    name, _, ard = twin
    for analysis, (lcl, ucl) in PUBLISHED[name]["switching"].items():
        hr = ard_value(ard, "hr", analysis_id=analysis)
        assert lcl <= hr <= ucl, (analysis, hr, lcl, ucl)


def test_hazard_ratios_inside_published_ci(twin):
    name, _, ard = twin
    for analysis, (lcl, ucl) in PUBLISHED[name]["hr"].items():
        hr = ard_value(ard, "hr", analysis_id=analysis, method="cox", group="Ixazomib vs Placebo")
        assert lcl <= hr <= ucl, (analysis, hr, lcl, ucl)


def test_medians_within_ten_percent(twin):
    name, _, ard = twin
    for analysis, published in PUBLISHED[name]["median"].items():
        for arm, target in zip(ARMS, published):
            got = ard_value(ard, "median", analysis_id=analysis, method="km", group=arm)
            if target is NR:
                assert math.isnan(got), (analysis, arm, got / DAYS_PER_MONTH)
            else:
                assert abs(got / DAYS_PER_MONTH - target) <= 0.10 * target, (analysis, arm, got / DAYS_PER_MONTH, target)


def test_median_follow_up_within_two_months(twin):
    name, _, ard = twin
    for arm, target in zip(ARMS, PUBLISHED[name]["followup"]):
        got = ard_value(ard, "median_fu", analysis_id="OS-PRIMARY", method="revkm", group=arm) / DAYS_PER_MONTH
        assert abs(got - target) <= 2, (arm, got, target)


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


# ------------------------------------------------------------ secondary conclusions (issue 18)
# typed from shared/study/tourmaline.md: (HR, lower, upper, p or None)
SECONDARY = {
    "tourmaline-mm3": {
        "OS-MSM": (0.925, 0.261, 3.279, 0.904), "OS-IPCW": (0.784, 0.252, 2.446, 0.676),
        "OS-NEXTLINE-PI": (0.794, 0.523, 1.206, None), "OS-NEXTLINE-NOPI": (1.310, 0.901, 1.904, None),
    },
    "tourmaline-mm4": {
        "OS-MSM": (1.190, 0.897, 1.577, 0.227), "OS-IPCW": (1.160, 0.579, 2.323, 0.676),
        "OS-NEXTLINE-PI": (1.177, 0.749, 1.849, None), "OS-NEXTLINE-NOPI": (0.928, 0.672, 1.283, None),
    },
}
# MM3 subgroup HRs the report quotes: (subgroup variable, level) -> (HR, lower, upper)
SUBGROUPS_QUOTED = {("INDPIGR1", "PI-naive"): (0.746, 0.322, 1.731),
                    ("MRDGR1", "Negative"): (0.700, 0.414, 1.184)}
FIVE_YEAR_OS = {"tourmaline-mm3": (0.74, 0.73), "tourmaline-mm4": (0.55, 0.56)}   # ixazomib, placebo


def _contrast(ard, analysis):
    rows = ard[(ard.analysis_id == analysis) & ard.method.isin(["cox", "ipcw", "msm"])
               & (ard.group == "Ixazomib vs Placebo")]
    return {k: float(v) for k, v in zip(rows.stat_name, rows.stat_value)}


def test_secondary_hazard_ratios_keep_the_published_conclusions(twin):
    """MSM, IPCW and OS by next-line PI: the twin's HR inside the published CI, its CI
    covering the published HR, not significant (the report calls none of them so); OS by
    next-line PI on the published side of 1 where the report's HR is not near 1."""
    name, _, ard = twin
    for analysis, (hr, lcl, ucl, _) in SECONDARY[name].items():
        got = _contrast(ard, analysis)
        assert lcl <= got["hr"] <= ucl, (analysis, got["hr"], lcl, ucl)
        assert got["hr_lcl"] <= hr <= got["hr_ucl"], (analysis, got, hr)
        assert got["p_value"] >= 0.05, (analysis, got["p_value"])
        if analysis.startswith("OS-NEXTLINE") and abs(math.log(hr)) > math.log(1.15):
            assert (got["hr"] - 1) * (hr - 1) >= 0, (analysis, got["hr"], hr)
    ipcw = _contrast(ard, "OS-IPCW")
    assert ipcw["hr_ucl"] < 3.5 * SECONDARY[name]["OS-IPCW"][2], ipcw   # no runaway bootstrap limit


def test_no_subgroup_or_interaction_significant(twin):
    """'none significant': every Figure 3 subgroup CI includes 1, every interaction p >= 0.05."""
    _, _, ard = twin
    sub = ard[(ard.analysis_id == "OS-SUBGROUP") & (ard.method == "cox")]
    for (var, level), rows in sub[sub.subgroup.fillna("") != ""].groupby(["subgroup_var", "subgroup"]):
        d = {k: float(v) for k, v in zip(rows.stat_name, rows.stat_value)}
        if not math.isnan(d.get("hr", math.nan)):
            assert d["hr_lcl"] <= 1 <= d["hr_ucl"], (var, level, d)
    inter = sub[sub.stat_name == "p_interaction"]
    assert len(inter) >= 6
    for var, p in zip(inter.subgroup_var, inter.stat_value.astype(float)):
        assert p >= 0.05, (var, p)


@pytest.mark.parametrize("twin", ["tourmaline-mm3"], indirect=True)   # the report quotes MM3's
def test_quoted_subgroups_mm3(twin):
    name, _, ard = twin
    for (var, level), (hr, lcl, ucl) in SUBGROUPS_QUOTED.items():
        got = {k: ard_value(ard, k, analysis_id="OS-SUBGROUP", method="cox", subgroup_var=var, subgroup=level)
               for k in ("hr", "hr_lcl", "hr_ucl")}
        assert lcl <= got["hr"] <= ucl, (var, level, got)
        assert got["hr_lcl"] <= hr <= got["hr_ucl"], (var, level, got)


def test_os_curves_and_pfs_censoring(twin):
    """OS curves as the report's: 5-year OS within 5 points of the published, no arm at
    100% at 12 months; PFS significant with a few percent censored in each arm."""
    name, _, ard = twin
    for arm, target in zip(ARMS, FIVE_YEAR_OS[name]):
        s60 = ard_value(ard, "surv", analysis_id="OS-PRIMARY", method="km", group=arm,
                        timepoint=60 * DAYS_PER_MONTH)
        s12 = ard_value(ard, "surv", analysis_id="OS-PRIMARY", method="km", group=arm,
                        timepoint=12 * DAYS_PER_MONTH)
        assert abs(s60 - target) <= 0.05, (arm, s60, target)
        assert s12 < 1, (arm, s12)
        n = ard_value(ard, "n", analysis_id="PFS", method="km", group=arm)
        cens = ard_value(ard, "n_censored", analysis_id="PFS", method="km", group=arm)
        assert cens >= 0.03 * n, (arm, cens, n)
    assert _contrast(ard, "PFS")["p_value"] < 0.05


DISCONTINUED = {"tourmaline-mm3": (194, 151), "tourmaline-mm4": (307, 226)}


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
    for arm, n in zip(ARMS, DISCONTINUED[name]):
        assert ard_value(ard, "n", analysis_id="DISPOSITION", group=arm, subgroup="Discontinued treatment") == n
        assert (ard_value(ard, "n", analysis_id="DISPOSITION", group=arm, subgroup="Status at end of study")
                == ard_value(ard, "n", analysis_id="DISPOSITION", group=arm, subgroup="Treated"))
    spec = next(o for o in load_study(name).outputs if o["id"] == "figure1")
    notes = " ".join(consort.build(ard, load_study(name), spec).footnotes)
    saf = PUBLISHED[name]["saf"]
    assert f"Ixazomib N = {saf['Ixazomib']}, Placebo N = {saf['Placebo']}" in notes
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
