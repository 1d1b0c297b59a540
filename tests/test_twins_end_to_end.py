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
