"""derive_vars_merged and friends, filter_extreme: hand-built input/expected pairs
(the cases of admiral's derive_vars_merged help page, reduced)."""

import pandas as pd
import pytest

from adam.errors import UsageError
from adam.metadata import Dataset
from derivations.filters import filter_extreme
from derivations.merge import derive_var_merged_exist_flag, derive_vars_merged, derive_vars_merged_summary

T = pd.Timestamp


@pytest.fixture
def adsl():
    return pd.DataFrame({"STUDYID": "S", "USUBJID": ["S3", "S1", "S2"], "AGE": [70.0, 50.0, 60.0]},
                        index=[10, 11, 12])


@pytest.fixture
def ex():
    return pd.DataFrame({
        "STUDYID": "S", "USUBJID": ["S1", "S1", "S2", "S2", "S4"],
        "EXSTDT": pd.to_datetime(["2020-01-05", "2020-01-02", "2020-02-01", None, "2020-03-01"]),
        "EXDOSE": [3.0, 0.0, 4.0, 3.0, 3.0], "EXSEQ": [2, 1, 1, 2, 1]})


def test_first_record_by_order_keeps_rows_and_index(adsl, ex):
    out = derive_vars_merged(adsl, ex, ["STUDYID", "USUBJID"], order=["EXSTDT", "EXSEQ"],
                             new_vars={"TRTSDT": "EXSTDT"}, filter_add="EXDOSE > 0", mode="first")
    assert list(out.index) == [10, 11, 12] and list(out["USUBJID"]) == ["S3", "S1", "S2"]
    # S1: the zero dose of 01-02 is filtered out; S2: the missing date sorts last
    assert out["TRTSDT"].tolist()[1:] == [T("2020-01-05"), T("2020-02-01")]
    assert pd.isna(out["TRTSDT"].iloc[0])
    assert list(adsl.columns) == ["STUDYID", "USUBJID", "AGE"]


def test_last_record_descending_order_exist_flag_and_missing_values(adsl, ex):
    out = derive_vars_merged(adsl, ex, ["USUBJID"], order=["-EXSEQ"], new_vars=["EXDOSE"], mode="last",
                             exist_flag="EXFL", true_value="Y", false_value="N",
                             missing_values={"EXDOSE": 0.0})
    # descending EXSEQ then last = lowest EXSEQ: S1 -> EXSEQ 1 (0.0), S2 -> EXSEQ 1 (4.0)
    assert out["EXDOSE"].tolist() == [0.0, 0.0, 4.0]
    assert out["EXFL"].tolist() == ["N", "Y", "Y"]


def test_renamed_by_vars_and_duplicate_check(adsl, ex):
    dm = pd.DataFrame({"SUBJ": ["S1", "S2"], "SEX": ["F", "M"]})
    out = derive_vars_merged(adsl, dm, {"USUBJID": "SUBJ"}, new_vars=["SEX"])
    assert out["SEX"].tolist()[1:] == ["F", "M"] and pd.isna(out["SEX"].iloc[0])
    with pytest.raises(UsageError, match="not unique"):
        derive_vars_merged(adsl, ex, ["USUBJID"], new_vars=["EXDOSE"])
    with pytest.raises(UsageError, match="already in dataset"):
        derive_vars_merged(adsl, ex.assign(AGE=1.0), ["USUBJID"], new_vars=["AGE"], order=["EXSEQ"],
                           mode="first")
    with pytest.raises(UsageError, match="by_vars"):
        derive_vars_merged(adsl, ex, ["NOPE"], new_vars=["EXDOSE"])


def test_dataset_in_dataset_out(adsl, ex):
    ds = derive_vars_merged(Dataset("adsl", adsl), Dataset("ex", ex), ["USUBJID"], new_vars=["EXSTDT"],
                            order=["EXSTDT"], mode="first")
    assert isinstance(ds, Dataset) and ds["EXSTDT"].format == "DATE9."


def test_exist_flag_three_states(adsl, ex):
    out = derive_var_merged_exist_flag(adsl, ex, ["USUBJID"], "HIDOSFL", "EXDOSE >= 4",
                                       false_value="N", missing_value="U")
    assert out["HIDOSFL"].tolist() == ["U", "N", "Y"]


def test_merged_summary(adsl, ex):
    out = derive_vars_merged_summary(adsl, ex, ["USUBJID"],
                                     {"NDOSE": ("EXSEQ", "count"), "TOTDOSE": ("EXDOSE", "sum")},
                                     missing_values={"NDOSE": 0})
    assert out["NDOSE"].tolist() == [0, 2, 2] and out["TOTDOSE"].iloc[1:].tolist() == [3.0, 7.0]


def test_filter_extreme_first_last(ex):
    first = filter_extreme(ex, ["USUBJID"], ["EXSTDT"], "first")
    assert first["EXSEQ"].tolist() == [1, 1, 1]  # S1 01-02, S2 02-01 (NaT last), S4
    last = filter_extreme(ex, ["USUBJID"], ["EXSTDT"], "last")
    assert last["EXSEQ"].tolist() == [2, 2, 1]    # S2's missing date sorts last, so it is last
    with pytest.raises(UsageError, match="mode"):
        filter_extreme(ex, ["USUBJID"], ["EXSTDT"], "middle")


@pytest.mark.parametrize("query", [
    "AESEV == 'MILD'", "AESEQ > 1 and AESEV != 'SEVERE'", "AESEV in ['MILD', 'SEVERE']",
    "AESEV.isna()", "index >= 2", "`AE TERM` == 'HEADACHE'", "not (AESEQ == 2) or index == 0",
])
@pytest.mark.parametrize("namer", ["pandas", "public"])
def test_row_mask_reads_queries_as_dataframe_eval(query, namer, monkeypatch):
    """row_mask evaluates a query string over the columns (and the index, built only when
    named) exactly as DataFrame.eval would; also without pandas' (private) column namer."""
    from derivations import common
    from derivations.common import row_mask

    assert common.QUERY_NAMES
    if namer == "public":
        monkeypatch.setattr(common, "_clean_column_name", None)
    elif common._clean_column_name is None:
        pytest.skip(common.QUERY_NAMES)

    frame = pd.DataFrame({"AESEQ": [1.0, 2.0, 3.0, 4.0], "AESEV": ["MILD", None, "SEVERE", "MILD"],
                          "AE TERM": ["HEADACHE", "NAUSEA", "HEADACHE", None]})
    expected = frame.eval(query, engine="python").fillna(False).astype(bool).to_numpy()
    assert row_mask(frame, query).tolist() == expected.tolist()
    assert row_mask(frame.set_axis([10, 11, 12, 13]), query).tolist() == \
        frame.set_axis([10, 11, 12, 13]).eval(query, engine="python").fillna(False).astype(bool).tolist()
