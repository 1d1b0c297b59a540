"""derive_param_tte on small hand-built subjects; every expected value is worked out by
hand in the comments (AVAL = ADT - STARTDT + 1)."""

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from adam.errors import InputError, UsageError
from derivations.common import Col
from derivations.studies.tourmaline import (  # the TOURMALINE texts (admiralonco's: test_sources)
    death_event, death_pd_event, lasta_censor, lastalive_censor, next_line_event, pd_event,
    pd_on_next_line_event, rand_censor,
)
from derivations.tte import CensorSource, EventSource, derive_param_tte

T = pd.Timestamp
NaT = pd.NaT


def adsl_frame(rows):
    cols = ["USUBJID", "RANDDT", "DTHDT", "LSTALVDT", "DCUTDT"]
    frame = pd.DataFrame(rows, columns=cols)
    frame.insert(0, "STUDYID", "S")
    for c in cols[1:]:
        frame[c] = pd.to_datetime(frame[c])
    return frame


def by_subject(out):
    return out.set_index("USUBJID")


OS = {"PARAMCD": "OS", "PARAM": "Overall Survival"}


def test_os_event_censor_tie_and_dates_before_start():
    adsl = adsl_frame([
        ("S1", "2020-01-01", "2020-03-01", "2020-03-01", None),  # death = last alive: event wins
        ("S2", "2020-01-01", None, "2020-01-10", None),          # censored, 9 days later -> AVAL 10
        ("S3", "2020-01-01", "2019-12-25", "2019-12-25", None),  # death before start -> AVAL 1
    ])
    findings = []
    out = derive_param_tte(adsl, {"adsl": adsl}, "RANDDT", [death_event], [lastalive_censor], OS,
                           findings=findings)
    s = by_subject(out)
    assert s["CNSR"].tolist() == [0.0, 1.0, 0.0]
    # 2020-01-01 -> 2020-03-01 is 31 + 29 = 60 days (leap year), so AVAL 61
    assert s["AVAL"].tolist() == [61.0, 10.0, 1.0]
    assert s.loc["S3", "ADT"] == T("2020-01-01") and s.loc["S3", "STARTDT"] == T("2020-01-01")
    assert s["EVNTDESC"].tolist() == ["DEATH", "LAST KNOWN ALIVE DATE", "DEATH"]
    assert s["SRCVAR"].tolist() == ["DTHDT", "LSTALVDT", "DTHDT"]
    assert s.loc["S2", "CNSDTDSC"] == "LAST KNOWN ALIVE DATE" and pd.isna(s.loc["S1", "CNSDTDSC"])
    assert list(out.columns[:6]) == ["STUDYID", "USUBJID", "PARAMCD", "PARAM", "STARTDT", "ADT"]
    assert [(f.usubjid, f.rule_id, f.severity) for f in findings] == [("S3", "TTE-BEFORE-START", "note")]


def test_subjects_without_any_date_or_start_are_findings_or_errors():
    adsl = adsl_frame([
        ("S1", "2020-01-01", None, None, None),
        ("S2", None, None, "2020-05-01", None),
        ("S3", "2020-01-01", None, "2020-02-01", None),
    ])
    findings = []
    out = derive_param_tte(adsl, {"adsl": adsl}, "RANDDT", [death_event], [lastalive_censor], OS,
                           findings=findings)
    assert len(out) == 3 and out["AVAL"].isna().tolist() == [True, True, False]
    assert out["CNSR"].isna().tolist() == [True, True, False]
    assert sorted((f.usubjid, f.rule_id) for f in findings) == [("S1", "TTE-NO-DATE"), ("S2", "TTE-NO-START")]
    with pytest.raises(InputError, match="OS: 2 subject"):
        derive_param_tte(adsl, {"adsl": adsl}, "RANDDT", [death_event], [lastalive_censor], OS)


def adrs_frame(rows):
    frame = pd.DataFrame(rows, columns=["USUBJID", "PARAMCD", "AVALC", "ADT", "ASEQ"])
    frame.insert(0, "STUDYID", "S")
    frame["ADT"] = pd.to_datetime(frame["ADT"])
    return frame


def test_pfs_earliest_event_first_listed_source_on_ties_latest_censoring():
    adsl = adsl_frame([
        ("S1", "2020-01-01", "2020-03-01", "2020-03-01", None),
        ("S2", "2020-01-01", "2020-02-10", "2020-02-10", None),
        ("S3", "2020-01-01", None, "2020-06-01", None),
        ("S4", "2020-01-01", None, "2020-06-01", None),
    ])
    adrs = adrs_frame([
        ("S1", "PD", "Y", "2020-02-15", 5),
        ("S1", "PD", "Y", "2020-02-01", 3),    # earliest PD of S1 -> event, SRCSEQ 3
        ("S2", "PD", "Y", "2020-02-10", 8),    # same date as death: pd_event listed first wins
        ("S3", "PD", "N", "2020-03-01", 1),    # not a progression
        ("S3", "LSTA", "Y", "2020-04-01", 2),  # last disease assessment -> censor 2020-04-01
        # S4: no assessment: censored at randomization (AVAL 1)
    ])
    out = derive_param_tte(adsl, {"adsl": adsl, "adrs": adrs}, "RANDDT", [pd_event, death_event],
                           [lasta_censor, rand_censor], {"PARAMCD": "PFS", "PARAM": "PFS"})
    s = by_subject(out)
    assert s["ADT"].tolist() == [T("2020-02-01"), T("2020-02-10"), T("2020-04-01"), T("2020-01-01")]
    assert s["AVAL"].tolist() == [32.0, 41.0, 92.0, 1.0]
    assert s["CNSR"].tolist() == [0.0, 0.0, 1.0, 1.0]
    assert s["EVNTDESC"].tolist() == ["PD", "PD", "LAST TUMOR ASSESSMENT", "RANDOMIZATION"]
    assert s["SRCDOM"].tolist() == ["ADRS", "ADRS", "ADRS", "ADSL"]
    np.testing.assert_array_equal(s["SRCSEQ"].to_numpy(), [3.0, 8.0, 2.0, np.nan])
    # listing death first makes the death the event of S2 on the tie
    out = derive_param_tte(adsl, {"adsl": adsl, "adrs": adrs}, "RANDDT", [death_event, pd_event],
                           [lasta_censor, rand_censor], {"PARAMCD": "PFS"})
    assert by_subject(out).loc["S2", "SRCDOM"] == "ADSL"


def test_censor_ties_go_to_the_last_listed_source_and_censor_codes_are_kept():
    adsl = adsl_frame([("S1", "2020-01-01", None, "2020-01-01", None)])
    alive = replace(lastalive_censor, censor=2)
    out = derive_param_tte(adsl, {"adsl": adsl}, "RANDDT", [death_event], [alive, rand_censor], OS)
    assert out.loc[0, "CNSR"] == 1.0 and out.loc[0, "SRCVAR"] == "RANDDT"
    out = derive_param_tte(adsl, {"adsl": adsl}, "RANDDT", [death_event], [rand_censor, alive], OS)
    assert out.loc[0, "CNSR"] == 2.0 and out.loc[0, "SRCVAR"] == "LSTALVDT"


def test_data_cutoff_ignores_later_events_and_caps_censoring():
    adsl = adsl_frame([
        ("S1", "2020-01-01", "2021-06-01", "2021-06-01", "2021-01-01"),  # death after cutoff
        ("S2", "2020-01-01", "2020-12-01", "2020-12-01", "2021-01-01"),  # death before cutoff
        ("S3", "2020-01-01", None, "2020-10-01", "2021-01-01"),          # alive, last seen before
    ])
    out = derive_param_tte(adsl, {"adsl": adsl}, "RANDDT", [death_event], [lastalive_censor], OS,
                           end_date="DCUTDT")
    s = by_subject(out)
    assert s["ADT"].tolist() == [T("2021-01-01"), T("2020-12-01"), T("2020-10-01")]
    assert s["CNSR"].tolist() == [1.0, 0.0, 1.0]
    # 2020 has 366 days: 2020-01-01 -> 2021-01-01 is 366 days, AVAL 367
    assert s["AVAL"].tolist() == [367.0, 336.0, 275.0]
    assert s.loc["S1", "CNSDTDSC"] == "DATA CUTOFF" and s.loc["S1", "SRCVAR"] == "DCUTDT"
    assert s.loc["S3", "CNSDTDSC"] == "LAST KNOWN ALIVE DATE"
    # a single date works as well
    out2 = derive_param_tte(adsl, {"adsl": adsl}, "RANDDT", [death_event], [lastalive_censor], OS,
                            end_date="2021-01-01")
    assert out2["ADT"].tolist() == out["ADT"].tolist() and pd.isna(out2.loc[0, "SRCVAR"])


def test_order_callable_filter_and_column_values():
    adsl = adsl_frame([("S1", "2020-01-01", None, "2020-12-01", None)])
    ae = pd.DataFrame({"STUDYID": "S", "USUBJID": ["S1", "S1", "S1"],
                       "ASTDT": pd.to_datetime(["2020-03-01", "2020-03-01", "2020-02-01"]),
                       "AESEQ": [7, 6, 9], "AESER": ["Y", "Y", "N"], "AEDECOD": ["A", "B", "C"]})
    serious = EventSource("adae", date="ASTDT", filter=lambda f: f["AESER"] == "Y", order=["AESEQ"],
                          set_values_to={"EVNTDESC": "SERIOUS AE", "SRCDOM": "ADAE", "SRCVAR": "ASTDT",
                                         "SRCSEQ": "AESEQ", "AEDECOD": Col("AEDECOD")})
    out = derive_param_tte(adsl, {"adsl": adsl, "adae": ae}, "RANDDT", [serious], [lastalive_censor],
                           {"PARAMCD": "TTSAE"})
    assert out.loc[0, "ADT"] == T("2020-03-01") and out.loc[0, "SRCSEQ"] == 6.0
    assert out.loc[0, "AEDECOD"] == "B" and out.loc[0, "AVAL"] == 61.0
    desc = replace(serious, order=["-AESEQ"])
    out = derive_param_tte(adsl, {"adsl": adsl, "adae": ae}, "RANDDT", [desc], [lastalive_censor],
                           {"PARAMCD": "TTSAE"})
    assert out.loc[0, "SRCSEQ"] == 7.0


def test_next_line_sources_for_ttnt_and_pfs2():
    adsl = adsl_frame([
        ("S1", "2020-01-01", None, "2021-01-01", None),
        ("S2", "2020-01-01", "2020-06-01", "2020-06-01", None),
        ("S3", "2020-01-01", "2020-08-01", "2020-08-01", None),
    ])
    adsl["NACTDT"] = pd.to_datetime(["2020-05-01", None, "2020-04-01"])
    adsl["DTHCAUS"] = [np.nan, "PROGRESSIVE DISEASE", "ADVERSE EVENT"]
    ttnt = derive_param_tte(adsl, {"adsl": adsl}, "RANDDT", [next_line_event, death_pd_event],
                            [lastalive_censor], {"PARAMCD": "TTNT"})
    s = by_subject(ttnt)
    # S1 next line 05-01; S2 died of PD; S3 next line (death from AE later is not a TTNT event)
    assert s["ADT"].tolist() == [T("2020-05-01"), T("2020-06-01"), T("2020-04-01")]
    assert s["CNSR"].tolist() == [0.0, 0.0, 0.0]
    # PDNL (derive_adrs): the first progression after NACTDT, here S1's of 09-01 (its PD of
    # 03-01 is before the next line: PARAMCD PD); S3 progressed before its next line only
    adrs = adrs_frame([("S1", "PD", "Y", "2020-03-01", 1), ("S1", "PDNL", "Y", "2020-09-01", 2),
                       ("S3", "PD", "Y", "2020-03-15", 1)])
    pfs2 = derive_param_tte(adsl, {"adsl": adsl, "adrs": adrs}, "RANDDT",
                            [pd_on_next_line_event, death_event], [lastalive_censor], {"PARAMCD": "PFS2"})
    s = by_subject(pfs2)
    # S1: PD 03-01 is before the next line, PD 09-01 after it -> event 09-01
    # S2: no next line, died -> event at death; S3: PD before next line only, died -> death
    assert s["ADT"].tolist() == [T("2020-09-01"), T("2020-06-01"), T("2020-08-01")]
    assert s["EVNTDESC"].tolist() == ["PD ON NEXT-LINE THERAPY", "DEATH", "DEATH"]


def test_bad_arguments_name_themselves():
    adsl = adsl_frame([("S1", "2020-01-01", None, "2020-02-01", None)])
    with pytest.raises(UsageError, match="censor"):
        CensorSource("adsl", date="LSTALVDT", censor=0)
    with pytest.raises(UsageError, match="source_datasets"):
        derive_param_tte(adsl, {}, "RANDDT", [death_event], [lastalive_censor], OS)
    with pytest.raises(UsageError, match="start_date"):
        derive_param_tte(adsl, {"adsl": adsl}, "TRTSDT", [death_event], [lastalive_censor], OS)
    with pytest.raises(UsageError, match="event_conditions"):
        derive_param_tte(adsl, {"adsl": adsl}, "RANDDT", [lastalive_censor], [lastalive_censor], OS)
    with pytest.raises(UsageError, match="filter"):
        derive_param_tte(adsl, {"adsl": adsl}, "RANDDT", [replace(death_event, filter="NOPE == 1")],
                         [lastalive_censor], OS)


def test_many_subjects_vectorized():
    n = 100_000
    rng = np.random.default_rng(1)
    rand = pd.Timestamp("2020-01-01") + pd.to_timedelta(rng.integers(0, 300, n), unit="D")
    follow = pd.to_timedelta(rng.integers(0, 2000, n), unit="D")
    dead = rng.random(n) < 0.4
    adsl = pd.DataFrame({"STUDYID": "S", "USUBJID": [f"S{i}" for i in range(n)], "RANDDT": rand,
                         "DTHDT": (rand + follow).where(dead), "LSTALVDT": rand + follow})
    out = derive_param_tte(adsl, {"adsl": adsl}, "RANDDT", [death_event], [lastalive_censor], OS)
    assert len(out) == n and out["USUBJID"].is_unique
    assert (out["CNSR"] == 0).sum() == dead.sum()
    np.testing.assert_array_equal(out["AVAL"].to_numpy(), follow.days.to_numpy() + 1)


def test_empty_adsl_and_sources_give_typed_empty_records():
    adsl = adsl_frame([])
    out = derive_param_tte(adsl, {"adsl": adsl}, "RANDDT", [death_event], [lastalive_censor], OS)
    assert len(out) == 0 and out["ADT"].dtype == "datetime64[ns]" and out["EVNTDESC"].dtype == object


def test_admiral_help_page_examples():
    """The examples of admiral's derive_param_tte help page (by_vars left out):
    ttae/eos, then two event and two censoring sources, then a second censoring value
    for a new drug given before the start date."""
    adsl = pd.DataFrame({"STUDYID": "AB42", "USUBJID": ["01", "02"],
                         "TRTSDT": pd.to_datetime(["2020-12-06", "2021-01-16"]),
                         "EOSDT": pd.to_datetime(["2021-03-06", "2021-02-03"]),
                         "NEWDRGDT": pd.to_datetime([None, "2021-01-03"])})
    adae = pd.DataFrame({"STUDYID": "AB42", "USUBJID": ["01", "01", "01"],
                         "ASTDT": pd.to_datetime(["2021-01-03", "2021-03-04", "2021-03-05"]),
                         "AESEQ": [1, 2, 3], "AEDECOD": ["Flu", "Cough", "Cough"]})
    adlb = pd.DataFrame({"STUDYID": "AB42", "USUBJID": ["01"], "ADT": pd.to_datetime(["2020-12-22"]),
                         "PARAMCD": ["HGB"], "ANRIND": ["LOW"]})
    ttae = EventSource("adae", date="ASTDT", set_values_to={
        "EVNTDESC": "AE", "SRCDOM": "ADAE", "SRCVAR": "ASTDT", "SRCSEQ": "AESEQ"})
    eos = CensorSource("adsl", date="EOSDT", set_values_to={
        "EVNTDESC": "END OF STUDY", "SRCDOM": "ADSL", "SRCVAR": "EOSDT"})
    low_hgb = EventSource("adlb", date="ADT", filter="PARAMCD == 'HGB' and ANRIND == 'LOW'",
                          set_values_to={"EVNTDESC": "POSSIBLE ANEMIA", "SRCDOM": "ADLB", "SRCVAR": "ADT"})
    trt_start = CensorSource("adsl", date="TRTSDT", set_values_to={
        "EVNTDESC": "TREATMENT START", "SRCDOM": "ADSL", "SRCVAR": "TRTSDT"})
    newdrug = CensorSource("adsl", date="NEWDRGDT", censor=2, set_values_to={
        "EVNTDESC": "NEW DRUG RECEIVED", "SRCDOM": "ADSL", "SRCVAR": "NEWDRGDT"})
    eos_nonewdrug = replace(eos, filter=lambda f: f["NEWDRGDT"].isna())
    data = {"adsl": adsl, "adae": adae, "adlb": adlb}
    ttae_param = {"PARAMCD": "TTAE", "PARAM": "Time to First Adverse Event"}

    def run(events, censors):
        out = derive_param_tte(adsl, data, "TRTSDT", events, censors, ttae_param)
        return list(zip(out["ADT"], out["CNSR"], out["EVNTDESC"]))

    assert run([ttae], [eos]) == [(T("2021-01-03"), 0.0, "AE"), (T("2021-02-03"), 1.0, "END OF STUDY")]
    assert run([ttae, low_hgb], [eos, trt_start]) == [
        (T("2020-12-22"), 0.0, "POSSIBLE ANEMIA"), (T("2021-02-03"), 1.0, "END OF STUDY")]
    assert run([ttae], [eos, newdrug]) == [
        (T("2021-01-03"), 0.0, "AE"), (T("2021-02-03"), 1.0, "END OF STUDY")]
    # censoring at the new drug: its date precedes TRTSDT, so ADT is TRTSDT (AVAL 1)
    assert run([ttae], [eos_nonewdrug, newdrug]) == [
        (T("2021-01-03"), 0.0, "AE"), (T("2021-01-16"), 2.0, "NEW DRUG RECEIVED")]
