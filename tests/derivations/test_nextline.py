"""Next-line therapy on hand-built subjects (expected values worked out in comments)."""

import numpy as np
import pandas as pd
import pytest

from adam.errors import UsageError
from derivations.nextline import derive_vars_nextline

T = pd.Timestamp


@pytest.fixture
def adsl():
    return pd.DataFrame({"STUDYID": "S", "USUBJID": ["S1", "S2", "S3", "S4", "S5", "S6"],
                         "RANDDT": pd.to_datetime(["2020-01-01"] * 6)})


@pytest.fixture
def cm():
    rows = [
        # S1: induction before randomization, then lenalidomide + dex on 06-01 (no PI)
        ("S1", "BORTEZOMIB", "2019-06-01", "ANTI-MYELOMA", 1),
        ("S1", "LENALIDOMIDE", "2020-06-01", "ANTI-MYELOMA", 2),
        ("S1", "DEXAMETHASONE", "2020-06-01", "ANTI-MYELOMA", 2),
        ("S1", "CARFILZOMIB", "2020-09-01", "ANTI-MYELOMA", 3),
        # S2: carfilzomib line starting 03-01; dexamethasone of the same line added 03-05
        ("S2", "DEXAMETHASONE", "2020-03-05", "ANTI-MYELOMA", 1),
        ("S2", "Carfilzomib", "2020-03-01", "ANTI-MYELOMA", 1),
        ("S2", "PARACETAMOL", "2020-02-01", "OTHER", 9),
        # S3: therapy on the randomization day is not after it; next is daratumumab
        ("S3", "BORTEZOMIB", "2020-01-01", "ANTI-MYELOMA", 1),
        ("S3", "DARATUMUMAB", "2020-04-01", "ANTI-MYELOMA", 2),
        # S4: only a therapy without a start date
        ("S4", "POMALIDOMIDE", None, "ANTI-MYELOMA", 1),
        # S5: nothing
        # S6: line 2's start, imputed from "2020-04", falls before line 1's
        ("S6", "LENALIDOMIDE", "2020-05-01", "ANTI-MYELOMA", 1),
        ("S6", "CARFILZOMIB", "2020-04-01", "ANTI-MYELOMA", 2),
    ]
    cm = pd.DataFrame(rows, columns=["USUBJID", "CMDECOD", "CMSTDT", "CMCAT", "LINE"])
    cm.insert(0, "STUDYID", "S")
    cm["CMSTDT"] = pd.to_datetime(cm["CMSTDT"])
    return cm


def test_next_line_by_start_date(adsl, cm):
    out = derive_vars_nextline(adsl, cm, filter_add="CMCAT == 'ANTI-MYELOMA'")
    assert out["NACTDT"].tolist()[:3] == [T("2020-06-01"), T("2020-03-01"), T("2020-04-01")]
    assert out["NACTDT"].iloc[3:5].isna().all()
    # without a line id only drugs starting on NACTDT count: S2's dexamethasone (03-05) does not
    assert out["NACTTRT"].tolist()[:3] == ["DEXAMETHASONE + LENALIDOMIDE", "Carfilzomib", "DARATUMUMAB"]
    assert out["NLPIFL"].tolist()[:3] == ["N", "Y", "N"]  # PI names compare case-insensitively
    assert out["NLPIFL"].iloc[3:5].isna().all() and out["NACTTRT"].iloc[3:5].isna().all()
    # S6 by date: the earliest start wins
    assert (out.loc[5, "NACTDT"], out.loc[5, "NACTTRT"], out.loc[5, "NLPIFL"]) == \
        (T("2020-04-01"), "CARFILZOMIB", "Y")


def test_next_line_by_line_id_and_custom_pi_condition(adsl, cm):
    out = derive_vars_nextline(adsl, cm, filter_add="CMCAT == 'ANTI-MYELOMA'", line="LINE",
                               is_pi=lambda f: f["CMDECOD"].str.upper() == "DEXAMETHASONE",
                               new_vars=("NXDT", "NXTRT", "NXFL"))
    assert out["NXDT"].tolist()[:3] == [T("2020-06-01"), T("2020-03-01"), T("2020-04-01")]
    assert out["NXTRT"].tolist()[:3] == ["DEXAMETHASONE + LENALIDOMIDE", "Carfilzomib + DEXAMETHASONE",
                                         "DARATUMUMAB"]
    assert out["NXFL"].tolist()[:3] == ["Y", "Y", "N"]
    # S6 by line: line 1 is the next line although line 2's start is earlier
    assert (out.loc[5, "NXDT"], out.loc[5, "NXTRT"], out.loc[5, "NXFL"]) == \
        (T("2020-05-01"), "LENALIDOMIDE", "N")


def test_unfiltered_includes_other_therapies_and_arguments_are_checked(adsl, cm):
    out = derive_vars_nextline(adsl, cm)
    assert out.loc[1, "NACTDT"] == T("2020-02-01") and out.loc[1, "NLPIFL"] == "N"
    with pytest.raises(UsageError, match="dataset_add"):
        derive_vars_nextline(adsl, cm, drug="NOPE")
    with pytest.raises(UsageError, match="new_vars"):
        derive_vars_nextline(adsl, cm, new_vars=("A", "B"))


def test_many_subjects(adsl):
    n = 100_000
    rng = np.random.default_rng(3)
    subj = np.repeat([f"S{i}" for i in range(n)], 3)
    adsl = pd.DataFrame({"STUDYID": "S", "USUBJID": [f"S{i}" for i in range(n)],
                         "RANDDT": T("2020-01-01")})
    cm = pd.DataFrame({"STUDYID": "S", "USUBJID": subj,
                       "CMDECOD": rng.choice(["BORTEZOMIB", "LENALIDOMIDE", "DEXAMETHASONE"], 3 * n),
                       "CMSTDT": T("2020-01-01") + pd.to_timedelta(rng.integers(1, 4, 3 * n), unit="D")})
    out = derive_vars_nextline(adsl, cm)
    first = cm.groupby("USUBJID")["CMSTDT"].min()
    assert (out.set_index("USUBJID")["NACTDT"] == first.reindex(out["USUBJID"]).to_numpy()).all()
    assert out["NLPIFL"].isin(["Y", "N"]).all()


def test_no_therapy_records_at_all(adsl, cm):
    out = derive_vars_nextline(adsl, cm.iloc[:0])
    assert out["NACTDT"].isna().all() and out["NLPIFL"].isna().all() and len(out) == len(adsl)
