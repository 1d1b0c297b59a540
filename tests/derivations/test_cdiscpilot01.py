"""CDISCPILOT01 ADSL / ADAE / ADTTE derived from the pilot SDTM by the sponsor define.

Expected values were worked out by hand from the SDTM records (quoted in each test)
and the define's derivation comments; the ADTTE counts and medians are the published
acceptance figures of the sponsor's ADTTE.
"""

import numpy as np
import pandas as pd
import pytest

from adam.io import read_dataset, read_sdtm, write_dataset

from adam.examples import example_folder, example_source

SDTM = example_folder("cdiscpilot01/sdtm")
DEFINE = example_source("cdiscpilot01/adam-define.xml")

OMITTED_ADSL = {"EFFFL", "BMIBL", "BMIBLGR1", "HEIGHTBL", "WEIGHTBL", "MMSETOT"}


@pytest.fixture(scope="module")
def derived():
    from derivations.studies.cdiscpilot01 import derive_with_findings
    return derive_with_findings(read_sdtm(SDTM), define=DEFINE)


@pytest.fixture(scope="module")
def adsl(derived):
    return derived[0]["adsl"]


def row(ds, usubjid):
    frame = ds.frame if hasattr(ds, "frame") else ds
    rows = frame[frame["USUBJID"] == usubjid]
    assert len(rows) == 1
    return rows.iloc[0]


# -- ADSL ---------------------------------------------------------------------------------

@pytest.mark.smoke
def test_adsl_population(adsl):
    # DM has 306 rows, 52 of them screen failures (ARMCD Scrnfail): 254 randomized
    f = adsl.frame
    assert len(f) == 254 and f["USUBJID"].is_unique
    assert f["TRT01P"].value_counts().to_dict() == {
        "Placebo": 86, "Xanomeline High Dose": 84, "Xanomeline Low Dose": 84}
    assert (f["ITTFL"] == "Y").all() and (f["SAFFL"] == "Y").all()
    assert (f["TRT01A"] == f["TRT01P"]).all()
    assert f.groupby("TRT01P")["TRT01PN"].first().to_dict() == {
        "Placebo": 0, "Xanomeline High Dose": 81, "Xanomeline Low Dose": 54}


def test_adsl_pooled_sites(adsl):
    # sites with < 3 subjects in some arm (DM crosstab): 702 706 707 711 714 715 717
    f = adsl.frame
    pooled = set(f.loc[f["SITEGR1"] == "900", "SITEID"])
    assert pooled == {"702", "706", "707", "711", "714", "715", "717"}
    assert (f["SITEGR1"] == "900").sum() == 31
    kept = f["SITEGR1"] != "900"
    assert (f.loc[kept, "SITEGR1"] == f.loc[kept, "SITEID"]).all()


def test_adsl_high_dose_completer_by_hand(adsl):
    """01-701-1028, high dose. SV: visit 1 2013-07-11, 3 2013-07-19, 4 2013-08-01,
    8 2013-09-10, 10 2013-11-06, 12 2014-01-06; last EX ends 2014-01-14; DS COMPLETED
    at visit 13; MH onset 2009-12-16; AGE 71.
    CUMDOSE = 14 d x 54 (07-19..08-01) + 158 d x 81 (08-01..2014-01-06)
              + 8 d x 54 (01-06..01-14) = 756 + 12798 + 432 = 13986;
    TRTDUR = 180; AVGDD = 13986 / 180 = 77.7;
    DURDIS = (2013-07-11 - 2009-12-16 + 1) / 30.4375 = 1304 / 30.4375 = 42.84 -> 42.8."""
    r = row(adsl, "01-701-1028")
    assert r["TRTSDT"] == pd.Timestamp("2013-07-19")
    assert r["TRTEDT"] == pd.Timestamp("2014-01-14")
    assert (r["TRTDUR"], r["CUMDOSE"], r["AVGDD"]) == (180, 13986, 77.7)
    assert (r["AGEGR1"], r["AGEGR1N"], r["RACEN"]) == ("65-80", 2, 1)
    assert (r["COMP8FL"], r["COMP16FL"], r["COMP24FL"]) == ("Y", "Y", "Y")
    assert (r["DCDECOD"], r["DCREASCD"], r["VISNUMEN"]) == ("COMPLETED", "Completed", 12)
    assert pd.isna(r["DISCONFL"]) and pd.isna(r["DSRAEFL"])
    assert r["VISIT1DT"] == pd.Timestamp("2013-07-11")
    assert (r["DURDIS"], r["DURDSGR1"], r["EDUCLVL"]) == (42.8, ">=12", 16)


def test_adsl_missing_last_dose_uses_discontinuation(adsl):
    """01-704-1233, placebo, AGE 87: last EX record (visit 4) has no EXENDTC; DS
    WITHDRAWAL BY SUBJECT at visit 11 on 2013-07-14 (= RFENDTC); visit 8 2013-05-16,
    visit 10 2013-07-11, no visit 12. TRTEDT = RFENDT; TRTDUR = 03-21..07-14 = 116."""
    r = row(adsl, "01-704-1233")
    assert r["TRTEDT"] == pd.Timestamp("2013-07-14") == r["RFENDT"]
    assert (r["TRTDUR"], r["CUMDOSE"], r["AVGDD"]) == (116, 0, 0)
    assert (r["AGEGR1"], r["AGEGR1N"]) == (">80", 3)
    assert (r["COMP8FL"], r["COMP16FL"], r["COMP24FL"]) == ("Y", "Y", "N")
    assert (r["DCREASCD"], r["DISCONFL"], r["VISNUMEN"]) == ("Withdrew Consent", "Y", 11)
    assert pd.isna(r["DSRAEFL"])


def test_adsl_adverse_event_discontinuation(adsl):
    """01-701-1023, placebo: last EX ends 2012-09-01; DS ADVERSE EVENT at visit 5;
    DURDIS = (2012-07-22 - 2006-03-11 + 1) / 30.4375 = 2326 / 30.4375 = 76.42."""
    r = row(adsl, "01-701-1023")
    assert (r["TRTEDT"], r["TRTDUR"]) == (pd.Timestamp("2012-09-01"), 28)
    assert (r["DCREASCD"], r["DISCONFL"], r["DSRAEFL"], r["VISNUMEN"]) == (
        "Adverse Event", "Y", "Y", 5)
    assert (r["COMP8FL"], r["DURDIS"]) == ("N", 76.4)


def test_adsl_entry_criteria_not_met(adsl):
    # DS: DSTERM "PROTOCOL ENTRY CRITERIA NOT MET" (3 subjects, DSDECOD PROTOCOL VIOLATION)
    f = adsl.frame
    ie = f[f["DCREASCD"] == "I/E Not Met"]
    assert set(ie["USUBJID"]) == {"01-703-1175", "01-705-1382", "01-708-1372"}
    assert set(ie["DCDECOD"]) == {"PROTOCOL VIOLATION"}


def test_adsl_metadata_follows_define(adsl, derived, tmp_path):
    from adam.define import read_define
    spec = read_define(DEFINE)["ADSL"]
    assert adsl.label == "Subject-Level Analysis"
    assert [v.name for v in adsl.variables] == [n for n in spec.names if n not in OMITTED_ADSL]
    for v in adsl.variables:
        assert (v.label, v.type, v.format) == (spec[v.name].label, spec[v.name].type,
                                               spec[v.name].display_format)
        if v.type == "Char":
            assert v.length == spec[v.name].length
    missing = {f.variable for f in derived[1] if f.dataset == "ADSL" and f.rule_id == "META-MISSING"}
    assert missing == OMITTED_ADSL
    assert not [f for f in derived[1] if f.rule_id in ("META-LENGTH", "META-TYPE")]
    out = write_dataset(adsl, tmp_path / "adsl.xpt")
    back = read_dataset(out)
    assert back.label == adsl.label and len(back) == 254
    assert back["TRTSDT"].format == "DATE9." and back["SITEGR1"].length == 3


# -- ADAE ---------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def adae(derived):
    return derived[0]["adae"].frame


def ae_row(adae, usubjid, aeseq):
    rows = adae[(adae["USUBJID"] == usubjid) & (adae["AESEQ"] == aeseq)]
    assert len(rows) == 1
    return rows.iloc[0]


def test_adae_partial_start_dates(adae):
    """AE.AESTDTC '2012-02' (01-701-1148 seq 8): day imputed as 01, ASTDTF 'D';
    '2003' (01-701-1118 seq 1): month and day missing, no date, not emergent."""
    r = ae_row(adae, "01-701-1148", 8)
    assert (r["ASTDT"], r["ASTDTF"]) == (pd.Timestamp("2012-02-01"), "D")
    # TRTSDT 2013-08-23: 2012-02-01 is 569 days before (no day 0)
    assert (r["ASTDY"], r["TRTEMFL"]) == (-569, "N")
    r = ae_row(adae, "01-701-1118", 1)
    assert pd.isna(r["ASTDT"]) and pd.isna(r["ASTDTF"]) and r["TRTEMFL"] == "N"
    assert (adae["ASTDTF"] == "D").sum() == 15      # the 15 YYYY-MM start dates of AE


@pytest.mark.smoke
def test_adae_trtemfl_rule(adae):
    """ASTDT >= TRTSDT > . -> 'Y'. 01-701-1111 (TRTSDT 2012-09-07): ERYTHEMA starting
    2012-09-02 is before treatment (ASTDY -5, 'N'); 01-701-1015 (TRTSDT 2014-01-02):
    APPLICATION SITE ERYTHEMA on 2014-01-03 is day 2, 'Y', and its first dermatologic
    event."""
    r = ae_row(adae, "01-701-1111", 1)
    assert (r["ASTDY"], r["TRTEMFL"], r["CQ01NAM"]) == (-5, "N", "DERMATOLOGIC EVENTS")
    assert pd.isna(r["AOCC01FL"])
    r = ae_row(adae, "01-701-1015", 1)
    assert (r["ASTDY"], r["TRTEMFL"], r["AOCC01FL"]) == (2, "Y", "Y")
    assert pd.isna(ae_row(adae, "01-701-1015", 2)["AOCC01FL"])   # same day, higher AESEQ
    emergent = adae["ASTDT"].notna() & (adae["ASTDT"] >= adae["TRTSDT"])
    assert ((adae["TRTEMFL"] == "Y") == emergent).all()


def test_adae_trtemfl_agrees_with_sponsor_suppae(adae):
    # independent reference: the sponsor's SUPPAE QNAM AETRTEM on every AE record
    supp = read_sdtm(SDTM)["suppae"].frame
    supp = supp[supp["QNAM"] == "AETRTEM"].assign(AESEQ=lambda d: d["IDVARVAL"].astype(float))
    both = adae.merge(supp[["USUBJID", "AESEQ", "QVAL"]], on=["USUBJID", "AESEQ"])
    assert len(both) == len(adae) == 1191
    assert (both["TRTEMFL"] == both["QVAL"]).all()


def test_adae_dermatologic_query_and_first_occurrence(adae):
    derm = adae["CQ01NAM"] == "DERMATOLOGIC EVENTS"
    assert not adae.loc[derm, "AEDECOD"].isin(["COLD SWEAT", "HYPERHIDROSIS", "ALOPECIA"]).any()
    assert derm[adae["AEDECOD"] == "APPLICATION SITE PRURITUS"].all()      # by term
    assert derm[adae["AEDECOD"] == "RASH"].all()                           # by SOC
    first = adae[adae["AOCC01FL"] == "Y"]
    assert first["USUBJID"].is_unique and (first["TRTEMFL"] == "Y").all()
    assert len(first) == adae.loc[derm & (adae["TRTEMFL"] == "Y"), "USUBJID"].nunique()
    assert (adae.groupby("USUBJID")["AOCCFL"].count() <= 1).all()


# -- ADTTE --------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def adtte(derived):
    return derived[0]["adtte"]


def km_median(time, event):
    """R's median: the smallest time at which the KM survival is <= 0.5 (NaN if none)."""
    from lifelines import KaplanMeierFitter
    km = KaplanMeierFitter().fit(time, event)
    surv = km.survival_function_.iloc[:, 0]
    reached = surv.index[surv.to_numpy() <= 0.5]
    return float(reached.min()) if len(reached) else np.nan


def test_adtte_published_counts_and_medians(adtte):
    """Published TTDE figures: Placebo 86 / 29 / not reached; Xanomeline High Dose
    84 / 61 / 36 days; Xanomeline Low Dose 84 / 62 / 33 days."""
    f = adtte.frame
    assert len(f) == 254 and (f["PARAMCD"] == "TTDE").all() and f["USUBJID"].is_unique
    got = {arm: (len(g), int((g["CNSR"] == 0).sum()), km_median(g["AVAL"], g["CNSR"] == 0))
           for arm, g in f.groupby("TRTA")}
    assert got["Placebo"][:2] == (86, 29) and np.isnan(got["Placebo"][2])
    assert got["Xanomeline High Dose"] == (84, 61, 36.0)
    assert got["Xanomeline Low Dose"] == (84, 62, 33.0)


def test_adtte_records_trace_their_source(adtte, adae):
    f = adtte.frame
    assert (f["AVAL"] == (f["ADT"] - f["STARTDT"]).dt.days + 1).all()
    events, censored = f[f["CNSR"] == 0], f[f["CNSR"] == 1]
    assert set(events["EVNTDESC"]) == {"Dematologic Event Occured"}
    assert set(censored["EVNTDESC"]) == {"Study Completion Date"}
    assert set(zip(censored["SRCDOM"], censored["SRCVAR"])) == {("ADSL", "RFENDT")}
    assert censored["SRCSEQ"].isna().all()
    # each event is the subject's AOCC01FL record: same date and AESEQ
    first = adae.loc[adae["AOCC01FL"] == "Y", ["USUBJID", "ASTDT", "AESEQ"]]
    linked = events.merge(first, on="USUBJID")
    assert len(linked) == len(events)
    assert (linked["ADT"] == linked["ASTDT"]).all() and (linked["SRCSEQ"] == linked["AESEQ"]).all()


def test_adtte_hand_checked_subjects(adtte):
    """01-701-1015: RFSTDTC 2014-01-02, APPLICATION SITE ERYTHEMA (AESEQ 1) on
    2014-01-03 -> event, AVAL 2. 01-701-1023: RFSTDTC 2012-08-05, three ERYTHEMA
    records (AESEQ 1, 2, 4) on 2012-08-07 -> event from AESEQ 1, AVAL 3.
    01-705-1018: no AE; RFSTDTC 2013-07-05, RFENDTC 2013-07-12 -> censored, AVAL 8."""
    r = row(adtte, "01-701-1015")
    assert (r["CNSR"], r["AVAL"], r["SRCSEQ"], r["ADT"]) == (0, 2, 1, pd.Timestamp("2014-01-03"))
    r = row(adtte, "01-701-1023")
    assert (r["CNSR"], r["AVAL"], r["SRCSEQ"]) == (0, 3, 1)
    r = row(adtte, "01-705-1018")
    assert (r["CNSR"], r["AVAL"], r["ADT"]) == (1, 8, pd.Timestamp("2013-07-12"))
    assert (r["SRCDOM"], r["SRCVAR"], r["TRTP"]) == ("ADSL", "RFENDT", "Placebo")


def test_adtte_metadata(adtte, derived, tmp_path):
    from adam.define import read_define
    spec = read_define(DEFINE)["ADTTE"]
    assert adtte.label == "AE Time To 1st Derm. Event Analysis"
    assert [v.name for v in adtte.variables] == spec.names
    assert not [f for f in derived[1] if f.dataset in ("ADAE", "ADTTE")
                and f.severity in ("error", "warning")]
    back = read_dataset(write_dataset(adtte, tmp_path / "adtte.xpt"))
    assert len(back) == 254 and back["STARTDT"].format == "DATE9."
