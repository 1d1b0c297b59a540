"""Building blocks of derivations.events and derivations.flags, on admiral's own
documentation examples (the reference pages of derive_extreme_event,
derive_var_relative_flag, derive_var_obs_number, derive_vars_duration) and hand-made
cases; every expected value is worked out in the comments."""

import numpy as np
import pandas as pd
import pytest

from adam.errors import UsageError
from derivations.common import Col
from derivations.durations import derive_vars_duration, derive_vars_dtm_to_dt
from derivations.events import (
    derive_extreme_event, derive_extreme_records, derive_param_exist_flag, derive_vars_extreme_event,
    event, event_joined, filter_joined,
)
from derivations.flags import derive_var_extreme_flag, derive_var_obs_number, derive_var_relative_flag

KEYS = ["STUDYID", "USUBJID"]
D28 = pd.Timedelta(days=28)


def test_worst_sleeping_problem_admiral_example():
    """admiral derive_extreme_event reference, first example (adqs1)."""
    adqs = pd.DataFrame([("1", "NO SLEEP", "N", 1), ("1", "WAKE UP 3X", "N", 2), ("2", "NO SLEEP", "N", 1),
                         ("2", "WAKE UP 3X", "Y", 2), ("2", "WAKE UP 3X", "Y", 3), ("3", "NO SLEEP", np.nan, 1)],
                        columns=["USUBJID", "PARAMCD", "AVALC", "ADY"]).assign(STUDYID="AB42")
    out = derive_extreme_event(adqs, KEYS, [
        event(condition="PARAMCD == 'NO SLEEP' and AVALC == 'Y'", set_values_to={"AVALC": "No sleep", "AVAL": 1}),
        event(condition="PARAMCD == 'WAKE UP 3X' and AVALC == 'Y'",
              set_values_to={"AVALC": "Waking up three times", "AVAL": 2}),
        event(condition=lambda g: g.all(g["AVALC"] == "N"),
              set_values_to={"AVALC": "No sleeping problems", "AVAL": 3}),
        event(condition=None, set_values_to={"AVALC": "Missing", "AVAL": 99})],
        order=["event_nr", "-ADY"], mode="first", tmp_event_nr_var="event_nr",
        set_values_to={"PARAMCD": "WSP", "PARAM": "Worst Sleeping Problem"})
    new = out[out["PARAMCD"] == "WSP"].set_index("USUBJID")
    assert len(out) == 9 and "event_nr" not in out.columns
    # subject 1: all N -> event 3 at the latest day; 2: WAKE UP 3X Y, latest ADY 3;
    # 3: AVALC missing, so all(AVALC == "N") is not true -> the catch-all
    assert new["AVALC"].to_dict() == {"1": "No sleeping problems", "2": "Waking up three times", "3": "Missing"}
    assert new["ADY"].to_dict() == {"1": 2, "2": 3, "3": 1}
    assert new["AVAL"].to_dict() == {"1": 3, "2": 2, "3": 99}


def cbor_data():
    """admiral derive_extreme_event reference, the CBOR example."""
    adsl = pd.DataFrame({"USUBJID": list("12345678"), "TRTSDT": pd.to_datetime(
        ["2020-01-01", "2019-12-12", "2019-11-11", "2019-12-30", "2020-01-01", "2020-02-02", "2020-02-02",
         "2020-02-01"])}).assign(STUDYID="AB42")
    rows = [("1", "2020-01-01", "PR"), ("1", "2020-02-01", "CR"), ("1", "2020-02-16", "NE"), ("1", "2020-03-01", "CR"),
            ("1", "2020-04-01", "SD"), ("2", "2020-01-01", "SD"), ("2", "2020-02-01", "PR"), ("2", "2020-03-01", "SD"),
            ("2", "2020-03-13", "CR"), ("4", "2020-01-01", "PR"), ("4", "2020-03-01", "NE"), ("4", "2020-04-01", "NE"),
            ("4", "2020-05-01", "PR"), ("5", "2020-01-01", "PR"), ("5", "2020-01-10", "PR"), ("5", "2020-01-20", "PR"),
            ("6", "2020-02-06", "PR"), ("6", "2020-02-16", "CR"), ("6", "2020-03-30", "PR"), ("7", "2020-02-06", "PR"),
            ("7", "2020-02-16", "CR"), ("7", "2020-04-01", "NE"), ("8", "2020-02-16", "PD")]
    adrs = pd.DataFrame(rows, columns=["USUBJID", "ADTC", "AVALC"]).assign(STUDYID="AB42", PARAMCD="OVR")
    adrs["ADT"] = pd.to_datetime(adrs["ADTC"])
    return adsl, adrs.merge(adsl, on=KEYS, how="left")


def test_confirmed_best_overall_response_admiral_example():
    adsl, adrs = cbor_data()
    events = [
        event_joined(join_vars=["AVALC", "ADT"], join_type="after",
                     first_cond_upper=lambda g: (g["AVALC.join"] == "CR") & (g["ADT.join"] >= g["ADT"] + D28),
                     condition=lambda g: (g["AVALC"] == "CR") & g.all(g["AVALC.join"].isin(["CR", "NE"]))
                     & (g.count_vals("AVALC.join", "NE") <= 1), set_values_to={"AVALC": "CR"}),
        event_joined(join_vars=["AVALC", "ADT"], join_type="after",
                     first_cond_upper=lambda g: g["AVALC.join"].isin(["CR", "PR"]) & (g["ADT.join"] >= g["ADT"] + D28),
                     condition=lambda g: (g["AVALC"] == "PR") & g.all(g["AVALC.join"].isin(["CR", "PR", "NE"]))
                     & (g.count_vals("AVALC.join", "NE") <= 1), set_values_to={"AVALC": "PR"}),
        event(condition=lambda g: g["AVALC"].isin(["CR", "PR", "SD"]) & (g["ADT"] >= g["TRTSDT"] + D28),
              set_values_to={"AVALC": "SD"}),
        event(condition="AVALC == 'PD'", set_values_to={"AVALC": "PD"}),
        event(condition="AVALC in ['CR', 'PR', 'SD', 'NE']", set_values_to={"AVALC": "NE"}),
        event(dataset_name="adsl", set_values_to={"AVALC": "MISSING"}, keep_source_vars=["TRTSDT"])]
    out = derive_extreme_event(adrs, KEYS, events, order=["event_nr", "ADT"], mode="first",
                               source_datasets={"adsl": adsl}, tmp_event_nr_var="event_nr",
                               set_values_to={"PARAMCD": "CBOR"})
    cbor = out[out["PARAMCD"] == "CBOR"].set_index("USUBJID").sort_index()
    # 1: CR 02-01 confirmed by CR 03-01 (NE between); 2: the PR of 02-01 is followed by SD
    # before its confirming CR -> SD (first CR/PR/SD >= TRTSDT + 28: 02-01); 3: no ADRS;
    # 4: two NE between the PRs -> SD at 05-01; 5: no record >= 28 days after -> NE at
    # 01-01; 6: PR 02-06 confirmed by CR 02-16..PR 03-30; 7: nothing confirmed, no SD
    # after 03-01 -> NE at 02-06; 8: PD
    assert cbor["AVALC"].to_dict() == {"1": "CR", "2": "SD", "3": "MISSING", "4": "SD", "5": "NE", "6": "PR",
                                       "7": "NE", "8": "PD"}
    adt = cbor["ADT"].dt.strftime("%Y-%m-%d").astype(object).where(cbor["ADT"].notna(), None).to_dict()
    assert adt == {"1": "2020-02-01", "2": "2020-02-01", "3": None, "4": "2020-05-01", "5": "2020-01-01",
                   "6": "2020-02-06", "7": "2020-02-06", "8": "2020-02-16"}
    assert "ADTC" not in cbor.columns or pd.isna(cbor.loc["3", "ADTC"])


def test_filter_joined_after_before_all():
    data = pd.DataFrame({"USUBJID": ["1"] * 5 + ["2"] * 3, "AVISITN": [1, 2, 3, 4, 5, 1, 2, 3],
                         "AVALC": ["PR", "CR", "CR", "SD", "NE", "SD", "PR", "PD"]})
    # a CR followed (directly or not) by another CR: only visit 2 of subject 1
    out = filter_joined(data, ["USUBJID"], ["AVALC"], "after", ["AVISITN"],
                        lambda g: (g["AVALC"] == "CR") & (g["AVALC.join"] == "CR").to_numpy())
    assert out["AVISITN"].tolist() == [2]
    # a record preceded by PR somewhere: subject 1 visits 2-5, subject 2 visit 3
    out = filter_joined(data, ["USUBJID"], ["AVALC"], "before", ["AVISITN"], "`AVALC.join` == 'PR'")
    assert list(zip(out["USUBJID"], out["AVISITN"])) == [("1", 2), ("1", 3), ("1", 4), ("1", 5), ("2", 3)]
    # join_type all includes the record itself: every record of a group with a PD
    out = filter_joined(data, ["USUBJID"], ["AVALC"], "all", ["AVISITN"], "`AVALC.join` == 'PD'")
    assert out["AVISITN"].tolist() == [1, 2, 3]


def test_derive_extreme_records_with_reference_and_exist_flag():
    adsl = pd.DataFrame({"USUBJID": ["1", "2", "3"], "DTHDT": pd.to_datetime(["2020-05-01", None, None])})
    adsl["STUDYID"] = "S"
    ovr = pd.DataFrame({"STUDYID": "S", "USUBJID": ["1", "1", "2"], "PARAMCD": "OVR", "AVALC": ["PD", "PD", "SD"],
                        "ADT": pd.to_datetime(["2020-02-01", "2020-01-01", "2020-01-15"]), "RSSEQ": [2., 1., 1.]})
    out = derive_extreme_records(ovr, ovr, adsl, KEYS, order=["ADT", "RSSEQ"], mode="first",
                                 filter_add="AVALC == 'PD'", exist_flag="AVALC", false_value="N",
                                 set_values_to={"PARAMCD": "PD"})
    pd_ = out[out["PARAMCD"] == "PD"].set_index("USUBJID").sort_index()
    # 1: first PD is 2020-01-01 (RSSEQ 1); 2 and 3 have none -> N, no date
    assert pd_["AVALC"].tolist() == ["Y", "N", "N"]
    assert pd_["ADT"].tolist()[0] == pd.Timestamp("2020-01-01") and pd_["ADT"].iloc[1:].isna().all()
    death = derive_extreme_records(None, adsl, adsl, KEYS, filter_add=lambda f: f["DTHDT"].notna(),
                                   exist_flag="AVALC", false_value="N",
                                   set_values_to={"PARAMCD": "DEATH", "ADT": Col("DTHDT")})
    death = death.set_index("USUBJID").sort_index()
    assert death["AVALC"].tolist() == ["Y", "N", "N"]
    assert death.loc["1", "ADT"] == pd.Timestamp("2020-05-01") and death["ADT"].iloc[1:].isna().all()


def test_derive_param_exist_flag_measurable_disease():
    adsl = pd.DataFrame({"STUDYID": "S", "USUBJID": ["1", "2", "3"], "RANDDT": pd.to_datetime(["2020-01-01"] * 3)})
    tu = pd.DataFrame({"STUDYID": "S", "USUBJID": ["1", "1", "2"], "TUEVAL": "INVESTIGATOR",
                       "TUSTRESC": ["TARGET", "NON-TARGET", "NON-TARGET"], "VISIT": "SCREENING"})
    out = derive_param_exist_flag(None, adsl, tu, "TUSTRESC == 'TARGET' and VISIT == 'SCREENING'",
                                  false_value="N", missing_value="N", set_values_to={"PARAMCD": "MDIS"})
    assert out.set_index("USUBJID")["AVALC"].to_dict() == {"1": "Y", "2": "N", "3": "N"}
    assert (out["PARAMCD"] == "MDIS").all() and out["RANDDT"].notna().all()


def test_derive_vars_extreme_event_last_known_alive():
    """admiral ADSL template: LSTALVDT the latest of AE start/end dates and TRTEDT."""
    from derivations.dates import convert_dtc_to_dt
    adsl = pd.DataFrame({"STUDYID": "S", "USUBJID": ["1", "2", "3"],
                         "TRTEDT": pd.to_datetime(["2020-03-01", "2020-01-10", None])})
    ae = pd.DataFrame({"STUDYID": "S", "USUBJID": ["1", "2", "2"], "AESTDTC": ["2020-02-01", "2020-02", "2020-01-05"],
                       "AESEQ": [1., 1., 2.]})
    events = [event(dataset_name="ae", condition="AESTDTC.notna()",
                    set_values_to={"LSTALVDT": lambda f: convert_dtc_to_dt(f["AESTDTC"], "M"), "seq": Col("AESEQ"),
                                   "LALVSRC": "AE"}),
              event(dataset_name="adsl", condition="TRTEDT.notna()",
                    set_values_to={"LSTALVDT": Col("TRTEDT"), "seq": np.nan, "LALVSRC": "ADSL"})]
    out = derive_vars_extreme_event(adsl, KEYS, events, ["LSTALVDT", "seq", "event_nr"], "last",
                                    ["LSTALVDT", "LALVSRC"], {"ae": ae, "adsl": adsl}, "event_nr")
    out = out.set_index("USUBJID")
    # 1: TRTEDT 03-01 after the AE; 2: AE 2020-02 imputed to 02-01 after TRTEDT; 3: nothing
    assert out["LSTALVDT"].tolist()[:2] == [pd.Timestamp("2020-03-01"), pd.Timestamp("2020-02-01")]
    assert pd.isna(out.loc["3", "LSTALVDT"])
    assert out["LALVSRC"].tolist()[:2] == ["ADSL", "AE"]


def test_relative_flag_admiral_example():
    """admiral derive_var_relative_flag reference: records up to and including the first PD."""
    d = pd.DataFrame({"USUBJID": ["1"] * 6 + ["2"] * 2, "AVISITN": [1, 2, 3, 4, 5, 6, 1, 2],
                      "AVALC": ["PR", "CR", "CR", "SD", "PD", "SD", "SD", "PR"]})
    out = derive_var_relative_flag(d, ["USUBJID"], ["AVISITN"], "ANL02FL", "AVALC == 'PD'", "first", "before", True)
    assert out["ANL02FL"].tolist() == ["Y"] * 5 + [np.nan] + ["Y", "Y"]
    out = derive_var_relative_flag(d, ["USUBJID"], ["AVISITN"], "F", "AVALC == 'PD'", "first", "after",
                                   False, flag_no_ref_groups=False)
    assert out["F"].tolist() == [np.nan] * 5 + ["Y"] + [np.nan] * 2


def test_extreme_flag_with_filter_and_obs_number():
    d = pd.DataFrame({"USUBJID": ["1", "1", "1", "2"], "ADT": pd.to_datetime(["2020-01-02", "2020-01-02", "2020-01-09",
                                                                              "2020-01-02"]),
                      "RANK": [6, 1, 3, 2], "RSSEQ": [2, 1, 3, 1], "OK": [True, True, True, False]})
    # per subject and date the worst (highest RANK) record among OK ones
    out = derive_var_extreme_flag(d, ["USUBJID", "ADT"], ["RANK", "RSSEQ"], "ANL01FL", "last", filter="OK")
    assert out["ANL01FL"].tolist() == ["Y", np.nan, "Y", np.nan]
    out = derive_var_extreme_flag(d, ["USUBJID"], ["ADT"], "FL", "first", false_value="N", flag_all=True)
    assert out["FL"].tolist() == ["Y", "Y", "N", "Y"]
    out = derive_var_obs_number(d.iloc[::-1], ["USUBJID"], ["ADT", "RSSEQ"])
    assert out["ASEQ"].tolist() == [1.0, 3.0, 1.0, 2.0]
    with pytest.raises(UsageError, match="not unique"):
        derive_var_obs_number(d, ["USUBJID"], ["ADT"], check_type="error")


def test_durations_admiral_examples():
    d = pd.DataFrame({"ASTDT": pd.to_datetime(["2019-01-01", "2020-02-01", None]),
                      "AENDT": pd.to_datetime(["2019-01-01", "2020-02-05", "2020-01-01"])})
    out = derive_vars_duration(d, "ADURN", "ASTDT", "AENDT", new_var_unit="ADURU")
    assert out["ADURN"].tolist()[:2] == [1.0, 5.0] and np.isnan(out["ADURN"].iloc[2])
    assert out["ADURU"].tolist()[:2] == ["DAYS", "DAYS"] and pd.isna(out["ADURU"].iloc[2])
    out = derive_vars_duration(d, "W", "ASTDT", "AENDT", out_unit="weeks", add_one=False)
    assert out["W"].iloc[1] == pytest.approx(4 / 7)
    dtm = pd.DataFrame({"TRTSDTM": pd.to_datetime(["2020-01-01 10:30", None])})
    assert derive_vars_dtm_to_dt(dtm, ["TRTSDTM"])["TRTSDT"].iloc[0] == pd.Timestamp("2020-01-01")
