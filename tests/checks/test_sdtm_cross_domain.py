"""Cross-domain SDTM consistency rules (issue 18), each on a small hand-built input that
fires it and one that does not, and the twins pass them."""

import numpy as np
import pandas as pd

from adam.metadata import Dataset
from checks.sdtm import check_sdtm


def _ids(findings):
    return [f.rule_id for f in findings]


def _dm(**cols):
    base = {"STUDYID": ["S"] * 2, "DOMAIN": ["DM"] * 2, "USUBJID": ["S-1", "S-2"],
            "RFSTDTC": ["2020-01-05", np.nan], "RFENDTC": ["2021-01-01", np.nan],
            "RFPENDTC": ["2021-01-01", "2020-06-01"]}
    base.update(cols)
    return Dataset("DM", pd.DataFrame(base))


def test_status_date_after_end_of_participation():
    ss = Dataset("SS", pd.DataFrame({"STUDYID": ["S", "S"], "DOMAIN": ["SS", "SS"], "USUBJID": ["S-1", "S-2"],
                                     "SSSEQ": [1.0, 1.0], "SSTESTCD": ["SURVSTAT"] * 2,
                                     "SSTEST": ["Survival Status"] * 2, "SSORRES": ["DEAD", "ALIVE"],
                                     "SSDTC": ["2021-01-20", "2020-06"]}))
    found = [f for f in check_sdtm({"dm": _dm(), "ss": ss}) if f.rule_id == "SDTM-SS-AFTER-RFPENDTC"]
    assert [(f.usubjid, f.value) for f in found] == [("S-1", "2021-01-20")]   # 2020-06 vs 2020-06-01: same month


def test_epoch_on_protocol_milestone():
    ds = Dataset("DS", pd.DataFrame({"STUDYID": ["S", "S"], "DOMAIN": ["DS", "DS"], "USUBJID": ["S-1", "S-1"],
                                     "DSSEQ": [1.0, 2.0], "DSTERM": ["RANDOMIZED", "COMPLETED"],
                                     "DSDECOD": ["RANDOMIZED", "COMPLETED"],
                                     "DSCAT": ["PROTOCOL MILESTONE", "DISPOSITION EVENT"],
                                     "EPOCH": ["SCREENING", "TREATMENT"],
                                     "DSSTDTC": ["2020-01-01", "2021-01-01"]}))
    found = [f for f in check_sdtm({"dm": _dm(), "ds": ds}) if f.rule_id == "SDTM-DS-MILESTONE-EPOCH"]
    assert [f.record for f in found] == [1]


def test_rfendtc_of_a_subject_never_treated():
    dm = _dm(RFENDTC=["2021-01-01", "2020-06-01"])
    found = [f for f in check_sdtm({"dm": dm}) if f.rule_id == "SDTM-DM-RFENDTC-NOT-TREATED"]
    assert [f.usubjid for f in found] == ["S-2"]


def test_twins_pass_the_cross_domain_rules():
    from adam.synth import synthesize

    for study in ("tourmaline-mm3", "tourmaline-mm4"):
        ids = _ids(check_sdtm(synthesize(study)))
        assert not [i for i in ids if i in {"SDTM-SS-AFTER-RFPENDTC", "SDTM-DS-MILESTONE-EPOCH",
                                            "SDTM-DM-RFENDTC-NOT-TREATED", "SDTM-SD0080", "SDTM-SD1255",
                                            "SDTM-AE-FATAL-DTHDTC", "SDTM-DM-DTHFL-NO-FATAL-AE"}], (study, ids)


def _ae(usubjid, aestdtc, aeout, aesdth=None):
    n = len(usubjid)
    return Dataset("AE", pd.DataFrame({
        "STUDYID": ["S"] * n, "DOMAIN": ["AE"] * n, "USUBJID": usubjid, "AESEQ": np.arange(1.0, n + 1),
        "AETERM": ["PNEUMONIA"] * n, "AEDECOD": ["PNEUMONIA"] * n, "AEOUT": aeout,
        "AESDTH": aesdth or [("Y" if o == "FATAL" else "N") for o in aeout], "AESTDTC": aestdtc}))


def _ds(usubjid, dsstdtc, decod):
    n = len(usubjid)
    return Dataset("DS", pd.DataFrame({
        "STUDYID": ["S"] * n, "DOMAIN": ["DS"] * n, "USUBJID": usubjid, "DSSEQ": np.arange(1.0, n + 1),
        "DSTERM": decod, "DSDECOD": decod, "DSCAT": ["DISPOSITION EVENT"] * n, "DSSTDTC": dsstdtc}))


def _rule(findings, rule_id):
    return [f for f in findings if f.rule_id == rule_id]


def test_ae_start_after_the_end_of_participation():
    """S-1 ended the study 2021-01-01 (DS and RFPENDTC); S-2 is in follow-up: its last DS
    record is the end of treatment (2020-03-01) but it was last seen 2020-06-01 (RFPENDTC)."""
    ds = _ds(["S-1", "S-2"], ["2021-01-01", "2020-03-01"], ["DEATH", "PROGRESSIVE DISEASE"])
    ae = _ae(["S-1", "S-1", "S-1", "S-2", "S-2", "S-2"],
             ["2020-12-31", "2021-01-01", "2021-01-02", "2020-05-20", "2020-06", "2020-06-02"],
             ["RECOVERED/RESOLVED"] * 6)
    found = _rule(check_sdtm({"dm": _dm(), "ds": ds, "ae": ae}), "SDTM-SD0080")
    # the same day is not after; "2020-06" is compared to the month of 2020-06-01
    assert [(f.usubjid, f.value, f.record) for f in found] == [("S-1", "2021-01-02", 3), ("S-2", "2020-06-02", 6)]
    assert found[0].severity == "warning" and "2021-01-01" in found[0].message
    # without RFPENDTC the latest DS date alone ends participation (Pinnacle 21 SD0080)
    dm = Dataset("DM", _dm().frame.drop(columns="RFPENDTC"))
    found = _rule(check_sdtm({"dm": dm, "ds": ds, "ae": ae}), "SDTM-SD0080")
    assert [f.record for f in found] == [3, 4, 5, 6]


def _dm_deaths():
    return Dataset("DM", pd.DataFrame({
        "STUDYID": ["S"] * 4, "DOMAIN": ["DM"] * 4, "USUBJID": ["S-1", "S-2", "S-3", "S-4"],
        "RFSTDTC": ["2020-01-05"] * 4, "RFENDTC": ["2020-06-01"] * 4,
        "RFXSTDTC": ["2020-01-05"] * 4, "RFXENDTC": ["2020-05-01"] * 4,
        "RFPENDTC": ["2020-06-01", "2020-06-01", "2020-06-01", "2022-01-01"],
        # S-1 died on treatment, S-2 30 days after the last dose, S-3 31 days after it,
        # S-4 in follow-up long after; S-2 died in a month known only
        "DTHDTC": ["2020-04-20", "2020-05-31", "2020-06-01", "2021-12-01"],
        "DTHFL": ["Y"] * 4}))


def test_death_in_the_ae_window_needs_a_fatal_ae():
    dm = _dm_deaths()
    ae = _ae(["S-1"], ["2020-04-15"], ["FATAL"])
    found = _rule(check_sdtm({"dm": dm, "ae": ae}), "SDTM-DM-DTHFL-NO-FATAL-AE")
    assert [(f.usubjid, f.dataset, f.value) for f in found] == [("S-2", "DM", "2020-05-31")]
    # a study whose AE dataset records no fatal outcome at all is not judged
    ae = _ae(["S-1"], ["2020-04-15"], ["RECOVERED/RESOLVED"])
    assert not _rule(check_sdtm({"dm": dm, "ae": ae}), "SDTM-DM-DTHFL-NO-FATAL-AE")
    # a death known to the month only is not placed in the window
    frame = dm.frame.assign(DTHDTC=["2020-04-20", "2020-05", "2020-06-01", "2021-12-01"])
    assert not _rule(check_sdtm({"dm": Dataset("DM", frame), "ae": _ae(["S-1"], ["2020-04-15"], ["FATAL"])}),
                     "SDTM-DM-DTHFL-NO-FATAL-AE")


def test_fatal_ae_needs_dthfl_and_a_death_on_or_after_its_start():
    frame = _dm_deaths().frame.assign(DTHFL=["Y", "Y", np.nan, "Y"],
                                      DTHDTC=["2020-04-20", np.nan, np.nan, "2021-12-01"])
    ae = _ae(["S-1", "S-1", "S-2", "S-3", "S-4", "S-4"],
             ["2020-04-15", "2020-04-21", "2020-05-01", "2020-05-01", "2021-12-01", "2021-11-01"],
             ["FATAL", "FATAL", "FATAL", "NOT RECOVERED/NOT RESOLVED", "FATAL", "RECOVERED/RESOLVED"],
             aesdth=["Y", "Y", "Y", "Y", "N", "N"])
    found = check_sdtm({"dm": Dataset("DM", frame), "ae": ae})
    # S-3: AESDTH "Y" (Pinnacle 21 SD1255) with AEOUT not fatal, DTHFL missing
    assert [(f.usubjid, f.record) for f in _rule(found, "SDTM-SD1255")] == [("S-3", 4)]
    # S-1 record 2 starts after the death; S-2 died with no DTHDTC; S-4 starts the day it died
    assert [(f.usubjid, f.record) for f in _rule(found, "SDTM-AE-FATAL-DTHDTC")] == [("S-1", 2), ("S-2", 3)]
