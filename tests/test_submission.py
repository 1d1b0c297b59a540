"""The submission package (issue 19): Define-XML 2.1 of the written ADaM (and the SDTM
read), the ARS v1.0 reporting event, the reviewer's bundle and its R script.

References independent of the code under test: the Define-XML 2.1 XSD that odmlib ships
(checked with xmlschema), the XPT files' own headers read with pyreadstat, the XML read
back with the standard library's ElementTree, and R (survival, foreign) recomputing the
ARD from the bundle's XPT files."""

from __future__ import annotations

import json
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pandas as pd
import pyreadstat
import pytest

from adam import pipeline
from adam.ard import COLUMNS, read_ard
from adam.ars import ars_reporting_event, read_ars
from adam.bundle import (NOT_RECOMPUTED, analyses_r, listed_statistics, parse_verification, recompute_script,
                         rscript, script_coverage, verify_bundle, write_bundle)
from adam.study import load_study
from adam.submission.define_xml import validate_define, write_defines

NS = {"odm": "http://www.cdisc.org/ns/odm/v1.3", "def": "http://www.cdisc.org/ns/def/v2.1"}
HAS_R = rscript() is not None
NO_R = "Rscript is not installed here: the bundle's R script cannot be run (its text is checked by " \
       "test_script_covers_every_ard_statistic)"


@pytest.fixture(scope="module")
def pilot(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("pilot")
    pipeline.run("cdiscpilot01", None, out, formats=("html",), expectations=False)
    return out


@pytest.fixture(scope="module")
def twin(tmp_path_factory) -> Path:
    """A small TOURMALINE-MM3 twin, run end to end."""
    root = tmp_path_factory.mktemp("mm3")
    pipeline.synth("tourmaline-mm3", root / "sdtm", n_subjects=120, seed=19)
    pipeline.run("tourmaline-mm3", root / "sdtm", root / "run", formats=("html",), expectations=False)
    return root


@pytest.fixture(scope="module")
def onco(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("onco")
    study = load_study("pharmaverse-onco")
    pipeline.derive(study, None, out / "adam")
    write_defines(study, out / "adam", sdtm=study.default_sdtm())
    return out / "adam"


def _items(path: Path):
    root = ET.parse(path).getroot()
    mdv = root.find("odm:Study/odm:MetaDataVersion", NS)
    items = {i.get("OID"): i for i in mdv.findall("odm:ItemDef", NS)}
    return mdv, items


def _label(el) -> str:
    return el.find("odm:Description/odm:TranslatedText", NS).text


def _check_define_matches_files(define: Path, folder: Path) -> int:
    """Every variable of every XPT file of ``folder`` is in ``define`` with the file's
    label, SAS type and length (pyreadstat reads the files); returns the count."""
    assert validate_define(define) == []
    mdv, items = _items(define)
    groups = {g.get("Name"): g for g in mdv.findall("odm:ItemGroupDef", NS)}
    checked = 0
    for path in sorted(folder.glob("*.xpt")):
        _, meta = pyreadstat.read_xport(str(path), metadataonly=True)
        group = groups[path.stem.upper()]
        assert _label(group) == meta.file_label
        assert group.find("def:leaf", NS).get("{http://www.w3.org/1999/xlink}href") == path.name
        refs = [items[r.get("ItemOID")] for r in group.findall("odm:ItemRef", NS)]
        assert [i.get("Name") for i in refs] == meta.column_names
        for item in refs:
            name = item.get("Name")
            assert _label(item) == meta.column_names_to_labels[name], name
            text = meta.readstat_variable_types[name] == "string"
            assert (item.get("DataType") == "text") == text, name
            assert int(item.get("Length")) == meta.variable_storage_width[name], name
            assert item.find("def:Origin", NS).get("Type") in ("Derived", "Assigned", "Predecessor")
            checked += 1
    return checked


def _check_adtte_value_level(define: Path, adtte: Path) -> None:
    """Each ADTTE parameter has value-level AVAL and CNSR items with a where clause on
    PARAMCD and a method naming the parameter's event and censoring descriptions."""
    mdv, items = _items(define)
    frame, _ = pyreadstat.read_xport(str(adtte))
    methods = {m.get("OID"): _label(m) for m in mdv.findall("odm:MethodDef", NS)}
    where = {w.get("OID"): [c.text for c in w.find("odm:RangeCheck", NS).findall("odm:CheckValue", NS)]
             for w in mdv.findall("def:WhereClauseDef", NS)}
    lists = {v.get("OID"): v for v in mdv.findall("def:ValueListDef", NS)}
    for var in ("AVAL", "CNSR"):
        vl = lists[f"VL.ADTTE.{var}"]
        assert items[f"IT.ADTTE.{var}"].find("def:ValueListRef", NS).get("ValueListOID") == vl.get("OID")
        by_param = {where[r.find("def:WhereClauseRef", NS).get("WhereClauseOID")][0]: r
                    for r in vl.findall("odm:ItemRef", NS)}
        assert sorted(by_param) == sorted(frame["PARAMCD"].unique())
        for param, ref in by_param.items():
            text = methods[ref.get("MethodOID")]
            rows = frame[frame["PARAMCD"] == param]
            for desc in rows["EVNTDESC"].unique():
                assert desc in text, (param, desc)
            assert "CNSR = 0" in text or (rows["CNSR"] != 0).all()


# ----------------------------------------------------------------------------- define
def test_pilot_define_validates_and_matches_the_files(pilot):
    adam = pilot / "adam"
    assert _check_define_matches_files(adam / "define.xml", adam) > 100
    _check_adtte_value_level(adam / "define.xml", adam / "adtte.xpt")
    assert validate_define(adam / "sdtm-define.xml") == []
    # the sponsor define's codelists and origins carry over: TRTP is the ARM codelist,
    # ADTTE.AGE a predecessor of ADSL.AGE
    mdv, items = _items(adam / "define.xml")
    assert items["IT.ADTTE.AGE"].find("def:Origin", NS).get("Type") == "Predecessor"
    assert _label(items["IT.ADTTE.AGE"].find("def:Origin", NS)) == "ADSL.AGE"
    cl = {c.get("OID"): c for c in mdv.findall("odm:CodeList", NS)}
    ref = items["IT.ADSL.SEX"].find("odm:CodeListRef", NS).get("CodeListOID")
    terms = {e.get("CodedValue") for e in cl[ref]}
    assert {"F", "M"} <= terms


def test_twin_define_validates_with_methods_and_origins(twin):
    adam = twin / "run" / "adam"
    assert _check_define_matches_files(adam / "define.xml", adam) > 70
    _check_adtte_value_level(adam / "define.xml", adam / "adtte.xpt")
    mdv, items = _items(adam / "define.xml")
    origin = items["IT.ADSL.AGE"].find("def:Origin", NS)
    assert (origin.get("Type"), _label(origin)) == ("Predecessor", "DM.AGE")
    assert items["IT.ADTTE.PARAMCD"].find("def:Origin", NS).get("Type") == "Assigned"
    methods = {m.get("OID"): _label(m) for m in mdv.findall("odm:MethodDef", NS)}
    # the program's docstring rule for RANDDT, the PFS sources with the program's filter
    assert "DS" in methods["MT.ADSL.RANDDT"] and "RANDOMIZED" in methods["MT.ADSL.RANDDT"]
    assert "PARAMCD == 'PD'" in methods["MT.ADTTE.AVAL.PFS"]
    # the SDTM define describes every SDTM file read
    sdtm_mdv, _ = _items(adam / "sdtm-define.xml")
    assert validate_define(adam / "sdtm-define.xml") == []
    assert {g.get("Name") for g in sdtm_mdv.findall("odm:ItemGroupDef", NS)} == \
        {p.stem.upper() for p in (twin / "sdtm").glob("*.xpt")}


def test_pharmaverse_define_validates(onco):
    assert _check_define_matches_files(onco / "define.xml", onco) > 50
    _check_adtte_value_level(onco / "define.xml", onco / "adtte.xpt")


def test_define_html_links_and_escapes(twin, tmp_path):
    html = (twin / "run" / "adam" / "define.html").read_text()
    for anchor in ('href="#IG.ADSL"', 'id="IG.ADTTE"', 'href="#VL.ADTTE.AVAL"', 'id="MT.ADTTE.AVAL.OS"',
                   'href="adsl.xpt"', 'id="codelists"'):
        assert anchor in html
    # a hostile label stays text
    from adam.submission.define_html import render_define_html
    from adam.submission.define_xml import define_content
    from adam.io import read_dataset

    ds = read_dataset(twin / "run" / "adam" / "adsl.xpt")
    ds.variables[0].label = "<script>alert(1)</script>"
    text = render_define_html(define_content(load_study("tourmaline-mm3"), {"adsl": ds}))
    assert "<script>alert" not in text and "&lt;script&gt;alert(1)" in text


def test_schema_validation_finds_an_error(twin, tmp_path):
    bad = tmp_path / "bad.xml"
    bad.write_text((twin / "run" / "adam" / "define.xml").read_text().replace('Type="Derived"', 'Type="Made up"', 1))
    errors = validate_define(bad)
    assert errors and "Made up" in errors[0]


# ----------------------------------------------------------------------------- ARS
@pytest.mark.parametrize("which", ["pilot", "twin"])
def test_ars_has_one_result_per_statistic_and_reads_back(which, request):
    root = request.getfixturevalue(which)
    folder = root / "ard" if which == "pilot" else root / "run" / "ard"
    ard = read_ard(folder)
    event = json.loads((folder / "ars.json").read_text())
    assert sum(len(a["results"]) for a in event["analyses"]) == len(ard)
    ops = {op["id"] for m in event["methods"] for op in m["operations"]}
    assert all(r["operationId"] in ops for a in event["analyses"] for r in a["results"])
    back = read_ars(folder / "ars.json")
    keys = [c for c in COLUMNS if c != "stat_value"]
    a = ard.sort_values(keys).reset_index(drop=True)
    b = back.sort_values(keys).reset_index(drop=True)
    for col in COLUMNS:
        if col in ("stat_value", "timepoint"):
            assert np.array_equal(a[col].to_numpy(float), b[col].to_numpy(float), equal_nan=True), col
        else:
            assert a[col].astype(str).tolist() == b[col].astype(str).tolist(), col
    # each TLF of the study points at analyses of the event
    study = load_study("cdiscpilot01" if which == "pilot" else "tourmaline-mm3")
    assert len(event["outputs"]) == len(study.outputs)
    analysis_ids = {x["id"] for x in event["analyses"]}
    for item in event["mainListOfContents"]["contentsList"]["listItems"]:
        assert item["sublist"]["listItems"] and all(s["analysisId"] in analysis_ids
                                                    for s in item["sublist"]["listItems"])


def test_ars_of_an_adhoc_ard(pilot, tmp_path):
    ard = pipeline.analyze_adtte(pilot / "adam" / "adtte.xpt", tmp_path, param="TTDE", trt="TRTP",
                                 timepoints=[30, 60], rmst_tau=90, subgroups=["SEX"])
    back = read_ars(tmp_path / "ars.json")
    assert len(back) == len(ard)
    assert set(back["analysis_id"]) == {"TTDE-ADHOC", "TTDE-ADHOC-SUBGROUP"}


# ----------------------------------------------------------------------------- bundle
def test_script_covers_every_ard_statistic(pilot, twin):
    """Without R: the script's text has code for every method and statistic of both ARDs
    (and of an ad-hoc ARD with RMST and subgroups), and names a reason for each kind it
    does not recompute."""
    script = recompute_script("ANALYSES <- list()\n")
    for folder in (pilot / "ard", twin / "run" / "ard"):
        assert script_coverage(script, read_ard(folder)) == {}
    for method in NOT_RECOMPUTED:
        assert f"{method} = paste(" in script
    for needle in ("survfit(", "conf.type = ct", "survdiff(", "strata(sg)", "coxph(", "ties = ties",
                   "rmean", "1 - a$EVENT", "p_interaction", "read.xport", "quit(status",
                   "glm.fit(", "epsilon = 1e-12", "FUN = cumprod", "cluster = ID", "weights = sw"):
        assert needle in script
    assert "library(survival)" in script and "library(foreign)" in script
    assert "library(" not in script.replace("library(survival)", "").replace("library(foreign)", "")


def test_bundle_contents_and_analyses_text(twin, tmp_path):
    run = twin / "run"
    study = load_study("tourmaline-mm3")
    written = write_bundle(study, run / "adam", run / "ard", run / "tlf", tmp_path / "b", sdtm=twin / "sdtm")
    for rel in ("adam/adsl.xpt", "adam/adtte.xpt", "adam/define.xml", "adam/define.html",
                "adam/sdtm-define.xml", "ard/ard.csv", "ard/ars.json", "tlf/index.html", "recompute.R",
                "README.txt"):
        assert (tmp_path / "b" / rel).exists(), rel
        assert tmp_path / "b" / rel in written
    text = (tmp_path / "b" / "recompute.R").read_text()
    r = analyses_r(study, read_ard(run / "ard"))
    assert r in text
    for spec in study.analyses:
        assert f'id = "{spec["id"]}"' in r
    assert 'where = list("NLPIFL" = "Y")' in r
    # the person-period recipe of the IPCW / MSM analyses (adam.analysis._switch_frame)
    assert ('switch_date = "NACTDT", covariates = c("STRAT1R", "STRAT2R", "STRAT3R"), '
            'time_varying = c("PFS"), days_per_month = 30.4375') in r


def test_verification_summary_is_parsed():
    out = ("x | adamant 1 | R 1 | agrees\nSUMMARY: 10 statistics; 8 recomputed, 8 agree to 1e-06, 0 differ; "
           "2 not recomputed (listed with the reason); 0 not recomputed without a reason\n")
    v = parse_verification(out, 0)
    assert (v.total, v.agree, v.differ, v.listed, v.unexplained, v.ok) == (10, 8, 0, 2, 0, True)


@pytest.mark.skipif(not HAS_R, reason=NO_R)
@pytest.mark.parametrize("which", ["pilot", "twin"])
def test_r_recomputes_every_statistic(which, request, tmp_path):
    root = request.getfixturevalue(which)
    run = root if which == "pilot" else root / "run"
    study = load_study("cdiscpilot01" if which == "pilot" else "tourmaline-mm3")
    write_bundle(study, run / "adam", run / "ard", None, tmp_path / "b")
    ard = read_ard(run / "ard")
    result = verify_bundle(tmp_path / "b")
    listed = int(listed_statistics(ard).sum())
    assert result.ok, [line for line in result.output.splitlines() if "DIFFERS" in line or "NOT RECOMPUTED" in line][:10]
    assert (result.total, result.agree, result.listed) == (len(ard), len(ard) - listed, listed)
    if which == "twin":
        # IPCW (bootstrap CI) and MSM (robust Wald CI) refitted in R: 6 of their 8 agree, the
        # IPCW's bootstrap percentile limits listed with the reason
        lines = result.output.splitlines()
        for aid, stats in (("OS-IPCW", ("hr", "p_value")), ("OS-MSM", ("hr", "hr_lcl", "hr_ucl", "p_value"))):
            for stat in stats:
                assert any(line.startswith(aid) and f" {stat} | " in line and line.endswith("| agrees")
                           for line in lines), (aid, stat)
        assert listed == 2
        assert ("not recomputed: 2 statistic(s) (OS-IPCW ipcw hr_lcl, OS-IPCW ipcw hr_ucl): bootstrap "
                "percentile limits depend on numpy's random stream; R's own bootstrap differs") in result.output
    # a number changed in the bundle's ARD is caught: exit 1, the statistic named
    broken = _verify_with_changed_hr(tmp_path / "b", "cox")
    assert not broken.ok and broken.returncode == 1 and broken.differ == 1


def _verify_with_changed_hr(bundle, method: str):
    """``verify_bundle`` after the first ``method`` HR of the bundle's ARD is made 1e-5 larger."""
    csv = bundle / "ard" / "ard.csv"
    frame = pd.read_csv(csv, dtype=str, keep_default_na=False)
    row = frame.index[(frame["method"] == method) & (frame["stat_name"] == "hr")][0]
    frame.loc[row, "stat_value"] = repr(float(frame.loc[row, "stat_value"]) * (1 + 1e-5))
    frame.to_csv(csv, index=False)
    return verify_bundle(bundle)


@pytest.mark.skipif(not HAS_R, reason=NO_R)
def test_r_catches_a_changed_ipcw_hr(twin, tmp_path):
    """The IPCW HR is recomputed, not listed: 1e-5 off in the bundle's ARD, the script
    names it and exits 1."""
    run = twin / "run"
    write_bundle(load_study("tourmaline-mm3"), run / "adam", run / "ard", None, tmp_path / "b")
    broken = _verify_with_changed_hr(tmp_path / "b", "ipcw")
    assert not broken.ok and broken.returncode == 1 and broken.differ == 1
    assert [line.split(" | ")[0] for line in broken.output.splitlines() if line.endswith("| DIFFERS")] == \
        ["OS-IPCW ipcw Ixazomib vs Placebo   hr"]


def test_listed_statistics_are_the_bootstrap_limits():
    ard = pd.DataFrame({"method": ["ipcw"] * 4 + ["msm"] * 2 + ["cox"],
                        "stat_name": ["hr", "hr_lcl", "hr_ucl", "p_value", "hr_lcl", "hr_ucl", "hr_lcl"],
                        "options": ["n_boot=100;ties=efron"] * 4 + ["n_boot=0;ties=efron"] * 2 + ["n_boot=5"]})
    assert listed_statistics(ard).tolist() == [False, True, True, False, False, False, False]


@pytest.mark.skipif(not HAS_R, reason=NO_R)
def test_cli_bundle_verify(pilot, tmp_path):
    from adam.cli import main

    assert main(["bundle", "--study", "cdiscpilot01", "--from", str(pilot), "--out", str(tmp_path / "b"),
                 "--verify"]) == 0
    assert main(["bundle", "--verify", "--out", str(tmp_path / "b")]) == 0


def test_cli_define(twin, tmp_path, capsys):
    from adam.cli import main

    out = tmp_path / "d" / "mm3-define.xml"
    assert main(["define", "--study", "tourmaline-mm3", "--adam", str(twin / "run" / "adam"),
                 "--out", str(out)]) == 0
    assert validate_define(out) == [] and out.with_suffix(".html").exists()
    assert main(["define", "--study", "tourmaline-mm3", "--adam", str(twin / "run" / "adam"),
                 "--out", str(tmp_path / "x.html")]) == 2
