"""derive_var_extreme_dt on hand-built subjects."""

import pandas as pd
import pytest

from adam.errors import UsageError
from derivations.extreme import DateSource, derive_var_extreme_dt

T = pd.Timestamp


@pytest.fixture
def data():
    adsl = pd.DataFrame({"STUDYID": "S", "USUBJID": ["S1", "S2", "S3"],
                         "TRTEDT": pd.to_datetime(["2020-05-01", "2020-02-01", None]),
                         "DTHDT": pd.to_datetime([None, "2020-03-01", None])})
    ss = pd.DataFrame({"STUDYID": "S", "USUBJID": ["S1", "S1", "S2", "S9"],
                       "SSSTRESC": ["ALIVE", "ALIVE", "ALIVE", "ALIVE"],
                       "SSDT": pd.to_datetime(["2020-06-01", "2020-04-01", "2020-01-15", "2021-01-01"])})
    return adsl, ss


def test_last_and_first_over_sources(data):
    adsl, ss = data
    sources = [DateSource("ss", "SSDT", "SSSTRESC == 'ALIVE'"), DateSource("adsl", "TRTEDT"),
               DateSource("adsl", "DTHDT")]
    out = derive_var_extreme_dt(adsl, "LSTALVDT", sources, {"adsl": adsl, "ss": ss})
    # S1: max(06-01, 04-01, 05-01); S2: death 03-01 is the latest; S3: nothing; S9 is not in ADSL
    assert out["LSTALVDT"].tolist()[:2] == [T("2020-06-01"), T("2020-03-01")]
    assert pd.isna(out["LSTALVDT"].iloc[2])
    first = derive_var_extreme_dt(adsl, "FIRSTDT", sources, {"adsl": adsl, "ss": ss}, mode="first")
    assert first["FIRSTDT"].tolist()[:2] == [T("2020-04-01"), T("2020-01-15")]


def test_arguments_checked(data):
    adsl, ss = data
    with pytest.raises(UsageError, match="source_datasets"):
        derive_var_extreme_dt(adsl, "X", [DateSource("ae", "AESTDT")], {"adsl": adsl})
    with pytest.raises(UsageError, match="not a date"):
        derive_var_extreme_dt(adsl, "X", [DateSource("ss", "SSSTRESC")], {"ss": ss})
