"""Partial-date imputation against hand-computed cases and the documented examples of
R {admiral} (``impute_dtc_dt``, ``derive_vars_dt``, ``derive_vars_dtm`` help pages and
admiral's test-derive_date_vars.R inputs)."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings, strategies as st

from adam.errors import UsageError
from adam.metadata import Dataset
from derivations.dates import (
    checked_dtc_to_dt, compute_dtf, compute_tmf, convert_dtc_to_dt, convert_dtc_to_dtm, derive_vars_dt,
    derive_vars_dtm, find_invalid_dtc, impute_dtc_dt, impute_dtc_dtm, parse_dtc,
)

T = pd.Timestamp
NA = np.nan
ADMIRAL_INPUT = ["2019-07-18", "2019-02", "2019", "2019---07"]


def values(series):
    return [None if pd.isna(v) else v for v in series]


@pytest.mark.parametrize("highest, imputation, expected", [
    # admiral test-derive_date_vars.R, impute_dtc_dt tests 1-4
    ("n", "first", ["2019-07-18", None, None, None]),
    ("M", "first", ["2019-07-18", "2019-02-01", "2019-01-01", "2019-01-01"]),
    ("M", "mid", ["2019-07-18", "2019-02-15", "2019-06-30", "2019-06-30"]),
    ("M", "last", ["2019-07-18", "2019-02-28", "2019-12-31", "2019-12-31"]),
    ("M", "04-06", ["2019-07-18", "2019-02-06", "2019-04-06", "2019-04-06"]),
    # day level: a missing month is above the highest imputation level
    ("D", "first", ["2019-07-18", "2019-02-01", None, None]),
    ("D", "mid", ["2019-07-18", "2019-02-15", None, None]),
    ("D", "last", ["2019-07-18", "2019-02-28", None, None]),
])
def test_impute_dtc_dt_levels_and_options(highest, imputation, expected):
    assert values(impute_dtc_dt(ADMIRAL_INPUT, highest, imputation)) == expected


def test_last_day_knows_leap_years_and_preserve_keeps_the_day():
    assert values(impute_dtc_dt(["2020-02", "1900-02", "2000-02"], "D", "last")) == \
        ["2020-02-29", "1900-02-28", "2000-02-29"]
    # admiral help: "2019---07" -> "2019-06-07" with preserve=TRUE and mid
    assert values(impute_dtc_dt(["2019---07"], "M", "mid", preserve=True)) == ["2019-06-07"]


def test_missing_month_written_with_two_hyphens_is_a_valid_partial():
    parsed = parse_dtc(["2019--01"])
    assert parsed.loc[0, "problem"] is np.nan or pd.isna(parsed.loc[0, "problem"])
    assert parsed.loc[0, "year"] == 2019 and pd.isna(parsed.loc[0, "month"]) and parsed.loc[0, "day"] == 1
    assert values(impute_dtc_dt(["2019--01"], "M", "first")) == ["2019-01-01"]
    assert values(compute_dtf(["2019--01"], [T("2019-01-01")])) == ["M"]


def test_min_dates_only_count_inside_the_possible_range():
    # admiral help: impute_dtc_dt("2020-12", min_dates = list(ymd("2020-12-06"), ymd("2020-11-11")))
    assert values(impute_dtc_dt(["2020-12"], "M", min_dates=[T("2020-12-06"), T("2020-11-11")])) == \
        ["2020-12-06"]
    # derive_vars_dt help: AESTDTC 2020-11 with TRTSDTM 2020-12-06 is not bounded
    adae = pd.DataFrame({"AESTDTC": ["2020-12", "2020-11"],
                         "TRTSDTM": [T("2020-12-06 12:12:12")] * 2})
    out = derive_vars_dt(adae, "AST", "AESTDTC", highest_imputation="M", min_dates=["TRTSDTM"])
    assert values(out["ASTDT"]) == [T("2020-12-06"), T("2020-11-01")]
    assert values(out["ASTDTF"]) == ["D", "D"]


def test_max_dates_bound_last_imputation_by_death_and_cutoff():
    frame = pd.DataFrame({
        "DTC": ["2021-03", "2021-03", "2021", "2021-03-20"],
        "DTHDT": pd.to_datetime(["2021-03-10", "2021-04-02", "2021-05-01", "2021-03-10"]),
        "DCUTDT": pd.to_datetime(["2021-12-31", "2021-03-25", "2021-12-31", "2021-03-15"]),
    })
    out = derive_vars_dt(frame, "A", "DTC", "M", "last", max_dates=["DTHDT", "DCUTDT"])
    # row 1: death inside March -> 03-10; row 2: death in April is outside, cutoff 03-25
    # is inside; row 3: death 05-01 inside 2021; row 4: complete date never changes
    assert values(out["ADT"]) == [T("2021-03-10"), T("2021-03-25"), T("2021-05-01"), T("2021-03-20")]
    assert values(out["ADTF"]) == ["D", "D", "M", None]


def test_year_imputation_needs_bounds_and_uses_them():
    # admiral help: impute_dtc_dt(c("2020-12", NA), min_dates = list(ymd("2020-12-06",
    # "2020-01-01"), ymd("2020-11-11", NA)), highest_imputation = "Y")
    mins = [pd.Series([T("2020-12-06"), T("2020-01-01")]), pd.Series([T("2020-11-11"), pd.NaT])]
    assert values(impute_dtc_dt(["2020-12", None], "Y", min_dates=mins)) == ["2020-12-06", "2020-01-01"]
    with pytest.raises(UsageError, match="min_dates"):
        impute_dtc_dt(["2020"], "Y", "first")
    with pytest.raises(UsageError, match="max_dates"):
        impute_dtc_dt(["2020"], "Y", "last", min_dates=[T("2020-01-01")])
    # without a bound inside the range the year stays 0000 and the date is missing
    assert values(convert_dtc_to_dt(["", "2020"], "Y", min_dates=[T("2019-05-01")])) == \
        [T("2019-05-01"), T("2020-01-01")]
    frame = pd.DataFrame({"DTC": [None], "RANDDT": [T("2019-05-01")]})
    out = derive_vars_dt(frame, "A", "DTC", "Y", "first", min_dates=["RANDDT"])
    assert values(out["ADTF"]) == ["Y"]


def test_invalid_values_are_missing_and_reported():
    frame = pd.DataFrame({"USUBJID": ["S1", "S2", "S3", "S4", "S5", "S6", "S7"],
                          "XXDTC": ["2019-13-45", "abc", "2019-02-30", "2019-07-18T25:00",
                                    "1500-01-01", "2019--01", None]})
    out = derive_vars_dt(frame, "A", "XXDTC", highest_imputation="M")
    assert out["ADT"].isna().tolist() == [True, True, True, True, True, False, True]
    findings = find_invalid_dtc(frame, "XXDTC", "xx")
    assert [(f.usubjid, f.rule_id, f.record) for f in findings] == [
        ("S1", "DTC-CALENDAR", 1), ("S2", "DTC-ISO8601", 2), ("S3", "DTC-CALENDAR", 3),
        ("S4", "DTC-CALENDAR", 4), ("S5", "DTC-RANGE", 5)]
    assert all(f.dataset == "XX" and f.variable == "XXDTC" and f.severity == "warning" for f in findings)


def test_checked_conversion_gives_the_dates_and_the_findings_of_one_parse():
    frame = pd.DataFrame({"USUBJID": ["S1", "S2", "S3", "S4"],
                          "XXDTC": ["2019-13-45", " 2019-02 ", "2019-02", None]})
    findings = []
    dates = checked_dtc_to_dt(frame, "XXDTC", "xx", findings, highest_imputation="M",
                              date_imputation="last")
    assert dates.tolist()[1:3] == [T("2019-02-28"), T("2019-02-28")]
    assert dates.isna().tolist() == [True, False, False, True]
    assert [(f.usubjid, f.rule_id, f.record) for f in findings] == [("S1", "DTC-CALENDAR", 1)]
    assert findings == find_invalid_dtc(frame, "XXDTC", "xx")


def test_dates_far_from_today_convert():
    assert values(convert_dtc_to_dt(["1899-12-31", "1700-03", "2150-07-04", "2261-12-31"], "D")) == \
        [T("1899-12-31"), T("1700-03-01"), T("2150-07-04"), T("2261-12-31")]


def test_compute_dtf_follows_the_dtc_layout():
    # admiral compute_dtf help examples
    dtc = ["2019-07", "2019", "--06-01T00:00", "2022-06--T00:00", "2022---01T00:00", "2022----T00:00",
           "2019-07-18", "2019-07"]
    dt = [T("2019-07-18"), T("2019-07-18")] + [T("2022-06-01")] * 4 + [T("2019-07-18"), pd.NaT]
    assert values(compute_dtf(dtc, dt)) == ["D", "M", "Y", "D", "M", "M", None, None]


def test_derive_vars_dtm_time_imputation_and_flags():
    # derive_vars_dtm help example 1 (highest_imputation = "h")
    mhdt = pd.DataFrame({"MHSTDTC": ["2019-07-18T15:25", "2019-07-18", "2019-02", "2019", "2019---07", ""]})
    out = derive_vars_dtm(mhdt, "AST", "MHSTDTC")
    assert values(out["ASTDTM"]) == [T("2019-07-18 15:25"), T("2019-07-18"), None, None, None, None]
    assert values(out["ASTTMF"]) == [None, "H", None, None, None, None]
    assert "ASTDTF" not in out.columns
    # example 2: highest M, last/last
    out = derive_vars_dtm(mhdt, "AST", "MHSTDTC", "M", "last", "last")
    assert values(out["ASTDTM"]) == [T("2019-07-18 15:25:59"), T("2019-07-18 23:59:59"),
                                     T("2019-02-28 23:59:59"), T("2019-12-31 23:59:59"),
                                     T("2019-12-31 23:59:59"), None]
    assert values(out["ASTDTF"]) == [None, None, "D", "M", "M", None]
    assert values(out["ASTTMF"]) == [None, "H", "H", "H", "H", None]
    out = derive_vars_dtm(mhdt, "AST", "MHSTDTC", "M", ignore_seconds_flag=False)
    assert values(out["ASTTMF"]) == ["S", "H", "H", "H", "H", None]


def test_datetime_bounds_dates_count_as_whole_days():
    # derive_vars_dtm help: max_dates = exprs(DTHDT, DCUTDT), highest Y, last/last
    adae = pd.DataFrame({
        "AEENDTC": ["2020-12", "2020-11", "", "2020-12-20"],
        "DTHDT": pd.to_datetime(["2020-12-26", "2020-12-06", "2020-12-06", "2020-12-06"]),
        "DCUTDT": pd.to_datetime(["2020-12-24"] * 4)})
    out = derive_vars_dtm(adae, "AEN", "AEENDTC", "Y", "last", "last", max_dates=["DTHDT", "DCUTDT"])
    assert values(out["AENDTM"]) == [T("2020-12-24 23:59:59"), T("2020-11-30 23:59:59"),
                                     T("2020-12-06 23:59:59"), T("2020-12-20 23:59:59")]
    assert values(out["AENDTF"]) == ["D", "D", "Y", None]
    assert values(out["AENTMF"]) == ["H", "H", "H", "H"]
    # impute_dtc_dtm help: "2020-11" with min 2020-12-06T12:12:12 (outside) and 2020-11-11T11:11:11
    got = impute_dtc_dtm(["2020-11"], "M", min_dates=[T("2020-12-06 12:12:12"), T("2020-11-11 11:11:11")])
    assert values(got) == ["2020-11-11T11:11:11"]


def test_compute_tmf_flags_changed_time_and_refuses_seconds_when_ignored():
    # admiral compute_tmf help examples
    dtc = ["2019-07-18T15:25", "2019-07-18T15", "2019-07-18", "2022-05--T00:00", "2022-05--T23:00"]
    dtm = [T("2019-07-18 15:25"), T("2019-07-18 15:25"), T("2019-07-18"),
           T("2022-05-15 23:59"), T("2022-05-15 23:59")]
    assert values(compute_tmf(dtc, dtm)) == [None, "M", "H", "H", "M"]
    assert values(compute_tmf(["2022-05--T23:59:00"], [T("2022-05-15 23:59:59")],
                              ignore_seconds_flag=False)) == ["S"]
    with pytest.raises(UsageError, match="ignore_seconds_flag"):
        compute_tmf(["2019-07-18T15:25:40"], [T("2019-07-18 15:25:40")])


def test_arguments_are_checked_and_dataset_kind_is_kept():
    frame = pd.DataFrame({"USUBJID": ["S1"], "DTC": ["2020-01"]})
    with pytest.raises(UsageError, match="highest_imputation"):
        derive_vars_dt(frame, "A", "DTC", highest_imputation="X")
    with pytest.raises(UsageError, match="date_imputation"):
        derive_vars_dt(frame, "A", "DTC", highest_imputation="D", date_imputation="06-15")
    with pytest.raises(UsageError, match="dtc"):
        derive_vars_dt(frame, "A", "NOPE")
    ds = derive_vars_dt(Dataset("xx", frame), "A", "DTC", "D")
    assert isinstance(ds, Dataset) and ds["ADT"].format == "DATE9." and ds["ADTF"].type == "Char"
    assert list(frame.columns) == ["USUBJID", "DTC"]  # input untouched


def test_whole_frame_is_vectorized_over_many_rows():
    dtc = pd.Series(["2019-07", "2019", "2019-07-18T10:00", "bad"] * 50_000)
    got = convert_dtc_to_dtm(dtc, "M")
    assert got.iloc[:4].tolist()[:3] == [T("2019-07-01"), T("2019-01-01"), T("2019-07-18 10:00")]
    assert got.isna().sum() == 50_000


def test_preserve_keeps_lower_parts_of_datetimes():
    # derive_vars_dtm help, "preserve" example: "2019---18T15:-:05" -> 2019-06-18 15:59:05
    mhdt = pd.DataFrame({"MHSTDTC": ["2019-07-18T15:25", "2019---18T15:-:05", "2019-02", "2019---07"]})
    out = derive_vars_dtm(mhdt, "AST", "MHSTDTC", "M", "mid", "last", preserve=True,
                          ignore_seconds_flag=False)
    assert values(out["ASTDTM"]) == [T("2019-07-18 15:25:59"), T("2019-06-18 15:59:05"),
                                     T("2019-02-15 23:59:59"), T("2019-06-07 23:59:59")]
    assert values(out["ASTDTF"]) == [None, "M", "D", "M"]
    assert values(out["ASTTMF"]) == ["S", "M", "H", "H"]


@settings(max_examples=60, deadline=None)
@given(day=st.dates(min_value=pd.Timestamp("1900-01-01").date(), max_value=pd.Timestamp("2100-12-31").date()),
       precision=st.sampled_from([4, 7, 10]), shift=st.integers(-400, 400),
       imputation=st.sampled_from(["first", "mid", "last"]))
def test_imputed_dates_keep_known_parts_and_respect_bounds_in_range(day, precision, shift, imputation):
    dtc = day.isoformat()[:precision]
    bound = pd.Timestamp(day) + pd.Timedelta(days=shift)
    plain = convert_dtc_to_dt([dtc], "M", imputation).iloc[0]
    low = convert_dtc_to_dt([dtc], "M", "first").iloc[0]
    high = convert_dtc_to_dt([dtc], "M", "last").iloc[0]
    assert plain.strftime("%Y-%m-%d").startswith(dtc) and low <= plain <= high
    bounded_min = convert_dtc_to_dt([dtc], "M", imputation, min_dates=[bound]).iloc[0]
    bounded_max = convert_dtc_to_dt([dtc], "M", imputation, max_dates=[bound]).iloc[0]
    inside = low <= bound <= high
    assert bounded_min == (max(plain, bound) if inside else plain)
    assert bounded_max == (min(plain, bound) if inside else plain)
