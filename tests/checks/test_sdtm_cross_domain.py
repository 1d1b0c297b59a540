"""Cross-domain SDTM consistency rules (issue 18), each on a small bad input, and the
twins pass them."""

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
                                            "SDTM-DM-RFENDTC-NOT-TREATED"}], (study, ids)
