"""``adam analyze`` / ``report`` end to end on the statistical contracts of issue 21,
against R (tests/fixtures/r/make_fixtures.R: ``past_last``, ``mono_case``, ``arms_case``,
``adhoc_sub``):

* 15: S(t) past an arm's last time is 0 where the curve has reached 0, empty where it
  ends censored;
* 16: a monotone likelihood leaves the HR, CI, log HR, SE and Wald p empty, keeps the score
  and LR p, warns (a finding on stdout, exit 0), prints NE in the tables, and nothing on stderr;
* 17: three arms: pairwise contrasts said in ``options`` and footnotes, ``--contrasts joint``
  (and the spec key) fits one model of all arms; ad hoc ``--subgroups``.
"""

import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from adam.ard import ard_value, parse_options, read_ard
from adam.io import write_dataset
from adam.metadata import Dataset

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "stats"))
from stats_reference import REFERENCE, assert_r_close, dataset  # noqa: E402

WALD = ("hr", "hr_lcl", "hr_ucl", "log_hr", "se_log_hr", "p_value")


def adam(*args):
    return subprocess.run([sys.executable, "-m", "adam.cli", *map(str, args)], capture_output=True,
                          text=True)


def write_adtte(folder: Path, time, status, arm, **more) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    n = len(time)
    frame = pd.DataFrame({"STUDYID": "R1", "USUBJID": [f"R1-{i:04d}" for i in range(n)], "PARAMCD": "OS",
                          "AVAL": np.asarray(time, dtype=float),
                          "CNSR": 1.0 - np.asarray(status, dtype=float), "TRT01P": list(arm),
                          **{k: list(v) for k, v in more.items()}})
    path = folder / "adtte.xpt"
    write_dataset(Dataset("ADTTE", frame, "Time-to-Event"), path)
    return path


def write_spec(path: Path, ref: str, extra: str = "") -> Path:
    path.write_text(f'''name = "r-contracts"
studyid = "R1"
[treatment]
var = "TRT01P"
ref = "{ref}"
[[analyses]]
id = "OS-PRIMARY"
type = "tte"
paramcd = "OS"
timepoints_months = [1, 2]
methods = ["km", "logrank", "cox"]
curve = true
{extra}
[[outputs]]
id = "table-os"
program = "efficacy"
analysis_ids = ["OS-PRIMARY"]
title = "Overall survival"
[[outputs]]
id = "figure-os"
program = "km"
analysis_id = "OS-PRIMARY"
title = "Kaplan-Meier plot of overall survival"
''')
    return path


def test_monotone_likelihood_end_to_end(tmp_path):
    """Arm Drug (= B of ``trt_no_events``) has no events: HR of Drug vs Placebo runs to 0."""
    case = next(c for c in REFERENCE["monotone"]
                if c["case"] == "trt_no_events" and c["ties"] == "efron")
    d = dataset("monotone").query("case == 'trt_no_events'")
    arm = np.where(d["arm"] == "A", "Placebo", "Drug")
    write_adtte(tmp_path / "adam", d["time"], d["status"], arm)
    spec = write_spec(tmp_path / "study.toml", "Placebo")
    res = adam("analyze", "--study", spec, "--adam", tmp_path / "adam", "--out", tmp_path / "ard")
    assert res.returncode == 0, res.stderr
    assert res.stderr == ""                              # no RuntimeWarning, no warning text
    assert "warning: HR-NOT-ESTIMABLE" in res.stdout and "Drug vs Placebo" in res.stdout
    ard = read_ard(tmp_path / "ard")
    cox = ard[(ard["method"] == "cox") & (ard["group"] == "Drug vs Placebo")].set_index("stat_name")
    assert cox.loc[list(WALD), "stat_value"].isna().all()
    assert_r_close(cox.loc[["p_score", "p_lr"], "stat_value"], [case["p_score"], case["p_lr"]])
    assert_r_close(ard_value(ard, "p_value", method="logrank", group="Drug vs Placebo"), case["logrank_p"])
    # item 15 in the ARD: Placebo's last observation (day 35) is a death, S = 0 at 2 months;
    # Drug ends censored at S = 1 (day 40): not estimable at 2 months
    two = 2 * 30.4375
    assert ard_value(ard, "surv", method="km", group="Placebo", timepoint=two) == 0
    assert np.isnan(ard_value(ard, "surv_lcl", method="km", group="Placebo", timepoint=two))
    assert np.isnan(ard_value(ard, "surv", method="km", group="Drug", timepoint=two))

    res = adam("report", "--study", spec, "--ard", tmp_path / "ard", "--out", tmp_path / "tlf",
               "--format", "html")
    assert res.returncode == 0 and res.stderr == "", res.stderr
    table = (tmp_path / "tlf" / "table-os.html").read_text()
    row = table[table.index("Cox HR, Drug vs Placebo"):]
    row = row[:row.index("</tr>")]
    assert row.count(">NE<") == 2, row                    # HR (95% CI) and p-value
    figure = (tmp_path / "tlf" / "figure-os.html").read_text()
    assert "Hazard ratio (95% CI) vs Placebo" in figure and ">NE<" in figure


def lung_three_arms(tmp_path: Path) -> Path:
    d = dataset("lung")
    return write_adtte(tmp_path / "adam", d["time"], d["status"], [f"ECOG{a}" for a in d["arm3"]],
                       SEX=[f"S{s}" for s in d["sex"]])


@pytest.mark.parametrize("contrasts", [None, "joint"])
def test_three_arms_pairwise_or_joint_adhoc(tmp_path, contrasts):
    """lung, arms ECOG 0/1/2, reference ECOG0, strata sex: R ``coxph(Surv(time, status) ~
    arm + strata(sex))`` on each pair of arms (default) or on all arms (``--contrasts joint``)."""
    case = next(c for c in REFERENCE["three_arms"] if c["name"] == "lung" and c["ties"] == "efron")
    path = lung_three_arms(tmp_path)
    extra = ["--contrasts", contrasts] if contrasts else []
    res = adam("analyze", "--adtte", path, "--param", "OS", "--trt", "TRT01P", "--ref", "ECOG0",
               "--strata", "SEX", *extra, "--out", tmp_path / "ard")
    assert res.returncode == 0 and res.stderr == "", res.stderr
    ard = read_ard(tmp_path / "ard")
    for i, pair in enumerate(case["pairwise"]):
        group = f"ECOG{pair['level']} vs ECOG0"
        cox = ard[(ard["method"] == "cox") & (ard["group"] == group)]
        st = dict(zip(cox["stat_name"], cox["stat_value"]))
        assert parse_options(cox["options"].iloc[0])["contrasts"] == (contrasts or "pairwise")
        lr = ard[(ard["method"] == "logrank") & (ard["group"] == group)]
        assert parse_options(lr["options"].iloc[0])["contrasts"] == "pairwise"
        assert_r_close(lr.set_index("stat_name").loc["p_value", "stat_value"], pair["logrank_p"])
        if contrasts == "joint":
            assert_r_close([st["log_hr"], st["se_log_hr"], st["p_value"], st["hr_lcl"], st["hr_ucl"]],
                           [case[k][i] for k in ("coef", "se", "p_wald", "hr_lcl", "hr_ucl")])
            assert "p_score" not in st
        else:
            assert_r_close([st[k] for k in ("log_hr", "se_log_hr", "p_value", "hr_lcl", "hr_ucl", "p_score", "p_lr")],
                           [pair[k] for k in ("coef", "se", "p_wald", "hr_lcl", "hr_ucl", "p_score", "p_lr")])
    model = ard[(ard["method"] == "cox") & (ard["group"].str.count(" vs ") == 2)]
    if contrasts == "joint":                             # the joint model's tests of all arms
        st = dict(zip(model["stat_name"], model["stat_value"]))
        assert_r_close([st["p_score"], st["p_lr"]], [case["p_score"], case["p_lr"]])
    else:
        assert model.empty


def test_three_arm_footnotes_and_spec_key(tmp_path):
    """The study key ``contrasts = "joint"`` and the footnotes of the efficacy table and
    the KM figure; ``--contrasts pairwise`` overrides the spec."""
    lung_three_arms(tmp_path)
    spec = write_spec(tmp_path / "study.toml", "ECOG0", 'strata = ["SEX"]\ncontrasts = "joint"')
    case = next(c for c in REFERENCE["three_arms"] if c["name"] == "lung" and c["ties"] == "efron")
    res = adam("analyze", "--study", spec, "--adam", tmp_path / "adam", "--out", tmp_path / "ard")
    assert res.returncode == 0 and res.stderr == "", res.stderr
    ard = read_ard(tmp_path / "ard")
    assert_r_close(ard_value(ard, "log_hr", method="cox", group="ECOG2 vs ECOG0"), case["coef"][1])
    res = adam("report", "--study", spec, "--ard", tmp_path / "ard", "--out", tmp_path / "tlf",
               "--format", "html")
    assert res.returncode == 0, res.stderr
    for name in ("table-os", "figure-os"):
        html = (tmp_path / "tlf" / f"{name}.html").read_text()
        assert "one Cox model of all arms" in html
    table = (tmp_path / "tlf" / "table-os.html").read_text()
    assert "Cox HR, ECOG1 vs ECOG0" in table and "Cox HR, ECOG2 vs ECOG0" in table
    assert "Cox HR, ECOG1 vs ECOG2 vs ECOG0" not in table           # the model's tests: no HR row

    res = adam("analyze", "--study", spec, "--adam", tmp_path / "adam", "--out", tmp_path / "ard2",
               "--contrasts", "pairwise")
    assert res.returncode == 0, res.stderr
    ard = read_ard(tmp_path / "ard2")
    assert_r_close(ard_value(ard, "log_hr", method="cox", group="ECOG2 vs ECOG0"),
                   case["pairwise"][1]["coef"])
    res = adam("report", "--study", spec, "--ard", tmp_path / "ard2", "--out", tmp_path / "tlf2",
               "--format", "html")
    assert res.returncode == 0, res.stderr
    for name in ("table-os", "figure-os"):
        assert "patients of its two arms only (pairwise)" in (tmp_path / "tlf2" / f"{name}.html").read_text()


def test_adhoc_subgroups(tmp_path):
    """veteran, trt 2 vs 1: per-level HR within celltype and prior and the likelihood-ratio
    interaction test, as R (``adhoc_sub``)."""
    d = dataset("veteran")
    path = write_adtte(tmp_path / "adam", d["time"], d["status"], [f"T{t}" for t in d["trt"]],
                       CELLTYPE=d["celltype"], PRIOR=[str(p) for p in d["prior"]])
    res = adam("analyze", "--adtte", path, "--param", "OS", "--trt", "TRT01P", "--ref", "T1",
               "--subgroups", "CELLTYPE,PRIOR", "--out", tmp_path / "ard")
    assert res.returncode == 0 and res.stderr == "", res.stderr
    ard = read_ard(tmp_path / "ard")
    sub = ard[ard["analysis_id"] == "OS-ADHOC-SUBGROUP"]
    for case, var in zip(REFERENCE["adhoc_subgroups"], ("CELLTYPE", "PRIOR")):
        rows = sub[sub["subgroup_var"] == var]
        assert_r_close(ard_value(rows, "p_interaction", method="cox", subgroup=""), case["p_interaction"])
        for lv in case["levels"]:
            keys = dict(subgroup=lv["level"])
            assert_r_close([ard_value(rows, s, method="cox", group="T2 vs T1", **keys)
                            for s in ("hr", "hr_lcl", "hr_ucl")], [lv["hr"], lv["lcl"], lv["ucl"]])
            for t in (1, 2):
                assert ard_value(rows, "n", method="km", group=f"T{t}", **keys) == lv[f"n_{t}"]
                assert ard_value(rows, "n_events", method="km", group=f"T{t}", **keys) == lv[f"events_{t}"]
    res = adam("analyze", "--adtte", path, "--param", "OS", "--trt", "TRT01P", "--subgroups", "NOPE",
               "--out", tmp_path / "ard2")
    assert res.returncode == 2 and "NOPE" in res.stderr and len(res.stderr.strip().splitlines()) == 1
