"""TOURMALINE twin ADSL/ADTTE against what the synthetic SDTM implies, computed here
directly from the SDTM records, and against the published Table 1 / death counts
(shared/study/tourmaline.md) that the full-size twin reproduces exactly."""

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from adam.metadata import CHAR, char_width
from adam.synth import synthesize
from derivations.studies.tourmaline import derive, derive_with_findings

CUTOFF = {"tourmaline-mm3": "2023-09-08", "tourmaline-mm4": "2022-10-29"}


def study(name):
    return SimpleNamespace(name=name, studyid=name.upper(), data_cutoff=CUTOFF[name])


@pytest.fixture(scope="module", params=["tourmaline-mm3", "tourmaline-mm4"])
def twin(request):
    sdtm = synthesize(request.param, n_subjects=240, seed=7)
    out, findings = derive_with_findings(sdtm, study(request.param))
    frames = {k: v.frame for k, v in sdtm.items()}
    return request.param, frames, out, findings


@pytest.fixture(scope="module")
def mm3_full():
    return derive(synthesize("tourmaline-mm3"), study("tourmaline-mm3"))


def subjects(frame, mask):
    return set(frame.loc[mask, "USUBJID"])


def test_adsl_one_row_per_randomized_subject(twin):
    _, sdtm, out, _ = twin
    adsl = out["adsl"].frame
    ds = sdtm["ds"]
    randomized = subjects(ds, ds["DSDECOD"] == "RANDOMIZED")
    assert adsl["USUBJID"].is_unique and set(adsl["USUBJID"]) == randomized
    assert (adsl["ITTFL"] == "Y").all()
    dm = sdtm["dm"].set_index("USUBJID")
    a = adsl.set_index("USUBJID")
    assert (a["TRT01P"] == dm.loc[a.index, "ARM"]).all()
    assert set(a.index[a["SAFFL"] == "Y"]) == set(dm.index[dm["ACTARMCD"] != "NOTTRT"]) & randomized
    assert a["TRT01PN"].map({1.0: "Ixazomib", 2.0: "Placebo"}).eq(a["TRT01P"]).all()


@pytest.mark.smoke
def test_adtte_keys_and_event_counts_match_the_sdtm(twin):
    name, sdtm, out, _ = twin
    adsl, adtte = out["adsl"].frame, out["adtte"].frame
    assert not adtte.duplicated(["USUBJID", "PARAMCD"]).any()
    assert len(adtte) == 4 * len(adsl)
    dm, rs, cm, ds = sdtm["dm"], sdtm["rs"], sdtm["cm"], sdtm["ds"]
    dead = subjects(dm, dm["DTHFL"] == "Y")
    pd_on_study = subjects(rs, (rs["RSCAT"] == "ON-STUDY DISEASE ASSESSMENT") & (rs["RSSTRESC"] == "PD"))
    pd_next = subjects(rs, (rs["RSCAT"] == "PROGRESSION ON NEXT-LINE THERAPY") & (rs["RSSTRESC"] == "PD"))
    next_line = subjects(cm, cm["CMCAT"] == "SUBSEQUENT ANTI-MYELOMA THERAPY")
    pd_death = subjects(ds, ds["DSTERM"] == "DEATH DUE TO PROGRESSIVE DISEASE")
    expected_events = {"OS": dead, "PFS": pd_on_study | dead, "PFS2": pd_next | dead,
                       "TTNT": next_line | pd_death}
    arm = dm.set_index("USUBJID")["ARM"]
    for paramcd, events in expected_events.items():
        rows = adtte.loc[adtte["PARAMCD"] == paramcd]
        got = rows.loc[rows["CNSR"] == 0].groupby("TRT01P").size()
        want = arm.loc[sorted(events)].value_counts()
        assert got.to_dict() == want.to_dict(), paramcd


def test_adtte_times_and_traceability(twin):
    _, sdtm, out, _ = twin
    adtte = out["adtte"].frame
    assert (adtte["ADT"] >= adtte["STARTDT"]).all()
    days = (adtte["ADT"] - adtte["STARTDT"]).dt.days + 1
    assert (adtte["AVAL"] == days).all()
    assert (adtte["ADT"] <= out["adsl"].frame["DCUTDT"].iloc[0]).all()
    assert adtte[["EVNTDESC", "SRCDOM", "SRCVAR"]].notna().all().all()
    assert adtte.loc[adtte["CNSR"] > 0, "CNSDTDSC"].notna().all()
    # RS-sourced records point at the RS record of that date (RSSEQ / RSDTC)
    rs = sdtm["rs"]
    from_rs = adtte.loc[adtte["SRCDOM"] == "RS"]
    assert len(from_rs) and (from_rs["SRCVAR"] == "RSDTC").all()
    linked = from_rs.merge(rs, left_on=["USUBJID", "SRCSEQ"], right_on=["USUBJID", "RSSEQ"], how="left")
    assert (pd.to_datetime(linked["RSDTC"]) == linked["ADT"]).all()
    pd_rows = linked.loc[linked["CNSR"] == 0]
    assert (pd_rows["RSSTRESC"] == "PD").all()
    # ADSL-sourced records carry the ADSL date they name
    adsl = out["adsl"].frame.set_index("USUBJID")
    from_adsl = adtte.loc[(adtte["SRCDOM"] == "ADSL") & (adtte["CNSDTDSC"] != "DATA CUTOFF")]
    for var, rows in from_adsl.groupby("SRCVAR"):
        assert (adsl.loc[rows["USUBJID"], var].to_numpy() == rows["ADT"].to_numpy()).all(), var


def test_death_dates_partial_imputed_with_flags(twin):
    _, sdtm, out, _ = twin
    adsl = out["adsl"].frame.merge(sdtm["dm"][["USUBJID", "DTHDTC"]], on="USUBJID")
    length = adsl["DTHDTC"].str.len()
    assert (adsl.loc[length == 10, "DTHDTF"].isna()).all()
    assert (adsl.loc[length == 7, "DTHDTF"] == "D").all()
    assert (adsl.loc[length == 4, "DTHDTF"] == "M").all()
    partial = adsl.loc[length < 10]
    assert len(partial) > 0
    imputed = partial["DTHDT"].dt.strftime("%Y-%m-%d")
    assert all(day.startswith(dtc) for day, dtc in zip(imputed, partial["DTHDTC"]))
    assert (adsl.loc[adsl["DTHDT"].notna(), "DTHDT"] >= adsl.loc[adsl["DTHDT"].notna(), "RANDDT"]).all()


def test_next_line_follows_the_line_1_records(twin):
    _, sdtm, out, _ = twin
    adsl = out["adsl"].frame.set_index("USUBJID")
    cm = sdtm["cm"]
    line1 = cm.loc[(cm["CMCAT"] == "SUBSEQUENT ANTI-MYELOMA THERAPY") & (cm["CMGRPID"] == "LINE 1")]
    has_pi = line1.groupby("USUBJID")["CMCLAS"].agg(lambda c: (c == "PROTEASOME INHIBITOR").any())
    expected = has_pi.map({True: "Y", False: "N"})
    assert adsl.loc[expected.index, "NLPIFL"].eq(expected).all()
    assert adsl.loc[~adsl.index.isin(expected.index), "NLPIFL"].isna().all()
    complete = line1.loc[line1["CMSTDTC"].str.len() == 10].groupby("USUBJID")["CMSTDTC"].min()
    whole = line1.groupby("USUBJID")["CMSTDTC"].agg(lambda s: (s.str.len() == 10).all())
    ids = whole.index[whole]
    assert (adsl.loc[ids, "NACTDT"] == pd.to_datetime(complete.loc[ids])).all()


def test_metadata_on_every_variable(twin):
    _, _, out, _ = twin
    for ds in out.values():
        assert [v.name for v in ds.variables] == list(ds.frame.columns)
        for v in ds.variables:
            assert v.label and len(v.label) <= 40, v.name
            if v.type == CHAR:
                assert v.length >= max(1, char_width(ds.frame[v.name])), v.name
            elif pd.api.types.is_datetime64_any_dtype(ds.frame[v.name]):
                assert v.format == "DATE9.", v.name
            else:
                assert ds.frame[v.name].dtype == np.float64, v.name


def test_full_size_twin_reproduces_table1_and_deaths(mm3_full):
    adsl = mm3_full["adsl"].frame
    saf = adsl.loc[adsl["SAFFL"] == "Y"]
    counts = saf.groupby("TRT01A")[["SUBTHFL", "STCORTFL", "STIMIDFL", "STPIFL", "STCD38FL", "STALKFL"]] \
        .agg(lambda c: int((c == "Y").sum()))
    # shared/study/tourmaline.md, Table 1, MM3 (safety N 394 / 259)
    assert counts.loc["Ixazomib"].tolist() == [288, 263, 255, 182, 138, 105]
    assert counts.loc["Placebo"].tolist() == [190, 169, 161, 141, 74, 71]
    assert saf["TRT01A"].value_counts().to_dict() == {"Ixazomib": 394, "Placebo": 259}
    os_ = mm3_full["adtte"].frame.query("PARAMCD == 'OS' and CNSR == 0")
    assert os_["TRT01P"].value_counts().to_dict() == {"Ixazomib": 144, "Placebo": 93}


def test_bad_sdtm_dates_become_findings_not_exceptions():
    sdtm = synthesize("tourmaline-mm3", n_subjects=60, seed=3)
    dm, cm = sdtm["dm"].frame.copy(), sdtm["cm"].frame.copy()
    dead = dm.index[dm["DTHFL"] == "Y"][0]
    dm.loc[dead, "DTHDTC"] = "2019-13-45"
    later = cm.index[cm["CMCAT"] == "SUBSEQUENT ANTI-MYELOMA THERAPY"][0]
    cm.loc[later, "CMSTDTC"] = "abc"
    sdtm = {**sdtm, "dm": sdtm["dm"].with_frame(dm), "cm": sdtm["cm"].with_frame(cm)}
    out, findings = derive_with_findings(sdtm, study("tourmaline-mm3"))
    got = {(f.dataset, f.rule_id, f.usubjid) for f in findings}
    assert ("DM", "DTC-CALENDAR", dm.loc[dead, "USUBJID"]) in got
    assert ("CM", "DTC-ISO8601", cm.loc[later, "USUBJID"]) in got
    adsl = out["adsl"].frame.set_index("USUBJID")
    assert pd.isna(adsl.loc[dm.loc[dead, "USUBJID"], "DTHDT"])
    assert adsl.loc[dm.loc[dead, "USUBJID"], "DTHFL"] == "Y"


def test_dose_dates_child_is_stopped_when_the_program_fails(monkeypatch):
    """EX's dose dates are computed in a forked child (two cores); when the program fails
    before asking for them, the child is stopped, not left running (or blocked on its
    result) behind the error."""
    import multiprocessing

    import derivations.studies.tourmaline as tm
    from adam.parallel import cores

    if cores() < 2:
        pytest.skip("one core: the dose dates are computed in this process")
    sdtm = synthesize("tourmaline-mm3", n_subjects=240, seed=7)

    def broken(*args):
        raise RuntimeError("RS could not be read")

    monkeypatch.setattr(tm, "_assessments", broken)
    with pytest.raises(RuntimeError, match="RS could not be read"):
        derive_with_findings(sdtm, study("tourmaline-mm3"))
    assert not [p for p in multiprocessing.active_children() if p.name == "adam-_dose_dates"]


def test_dose_dates_in_a_child_or_here_alike(monkeypatch):
    """The ADaM is the same whether EX's dose dates come from the forked child or from
    this process (one core)."""
    sdtm = synthesize("tourmaline-mm4", n_subjects=240, seed=3)
    two, f2 = derive_with_findings(sdtm, study("tourmaline-mm4"))
    monkeypatch.setattr("os.sched_getaffinity", lambda pid: {0})
    one, f1 = derive_with_findings(sdtm, study("tourmaline-mm4"))
    for name in ("adsl", "adtte"):
        pd.testing.assert_frame_equal(two[name].frame, one[name].frame)
    assert f1 == f2
    assert two["adsl"].frame["TRTSDT"].notna().any()


def test_adrs_from_the_public_response_blocks():
    """derive_adrs on hand-made RS records (IMWG, admiralonco's template and IMWG vignette):
    ANL01FL keeps the worst reading per date on/after RANDDT; PD is the first such PD (N
    without one), LSTA the last assessment, PDNL the first PD after the next line starts;
    with ``response=True`` the IMWG response parameters and ASEQ."""
    from derivations.studies.tourmaline import SID, derive_adrs

    T = pd.Timestamp
    adsl = pd.DataFrame({SID: [0, 1, 2], "ITTFL": "Y", "RANDDT": T("2020-01-01"),
                         "NACTDT": [T("2020-06-01"), pd.NaT, pd.NaT]})
    on, nl, entry = "ON-STUDY DISEASE ASSESSMENT", "PROGRESSION ON NEXT-LINE THERAPY", "RESPONSE AT STUDY ENTRY"
    rows = [  # SID, RSSEQ, RSCAT, RSSTRESC, RSDT
        (0, 1, on, "PR", "2019-12-20"),   # before randomization: no ANL01FL
        (0, 2, on, "VGPR", "2020-02-01"), (0, 3, on, "PR", "2020-02-01"),   # same date: PR is worse
        (0, 4, on, "PR", "2020-03-01"), (0, 5, on, "PD", "2020-04-01"),
        (0, 6, nl, "PD", "2020-08-01"),   # after NACTDT: PDNL
        (1, 1, on, "CR", "2020-02-15"), (1, 2, on, "NE", "2020-03-15"), (1, 3, on, "CR", "2020-04-15"),
        (1, 4, on, "CR", None),           # no valid date: left out
    ]
    rs = pd.DataFrame(rows, columns=[SID, "RSSEQ", "RSCAT", "RSSTRESC", "RSDT"])
    rs["RSDT"] = pd.to_datetime(rs["RSDT"])
    rs["RSSEQ"] = rs["RSSEQ"].astype(float)
    adrs = derive_adrs(None, adsl, [], assessments=rs, response=True)

    def param(code):
        p = adrs.loc[adrs["PARAMCD"] == code].set_index(SID)
        return {k: (v["AVALC"], None if pd.isna(v["ADT"]) else str(v["ADT"].date())) for k, v in p.iterrows()}

    ovr = adrs.loc[adrs["PARAMCD"] == "OVR"]
    assert ovr.loc[ovr["ANL01FL"] == "Y", "RSSEQ"].tolist() == [3.0, 4.0, 5.0, 1.0, 2.0, 3.0]
    assert param("PD") == {0: ("Y", "2020-04-01"), 1: ("N", None), 2: ("N", None)}
    assert param("LSTA") == {0: ("PD", "2020-04-01"), 1: ("CR", "2020-04-15")}
    assert param("PDNL") == {0: ("Y", "2020-08-01")}
    # 0: PR 02-01 confirmed by PR 03-01 -> CBOR PR; 1: CR, NE, CR: NE skipped -> CR; 2: none
    assert param("CBOR") == {0: ("PR", "2020-02-01"), 1: ("CR", "2020-02-15"), 2: ("MISSING", None)}
    assert {k: v[0] for k, v in param("BOR").items()} == {0: "PR", 1: "CR", 2: "MISSING"}
    assert {k: v[0] for k, v in param("RSP").items()} == {0: "Y", 1: "Y", 2: "N"}
    assert {k: v[0] for k, v in param("CRSP").items()} == {0: "Y", 1: "Y", 2: "N"}
    assert adrs.groupby(SID)["ASEQ"].apply(lambda s: sorted(s) == list(range(1, len(s) + 1))).all()
    # derive_adtte reads the parameters only (no OVR records)
    assert "OVR" not in set(derive_adrs(None, adsl, [], assessments=rs, ovr_records=False)["PARAMCD"])


def test_adrs_parameters_flag_only_the_dates_they_read():
    """derive_adrs(ovr_records=False) flags ANL01FL only on each subject's last analysis
    date and its PD dates (_pd_and_last_dates): its PD, LSTA and PDNL records are those of
    the full OVR derivation, on random RS records (several readings a date, PDs on several
    dates, readings before randomization, values IMWG does not know, missing dates,
    subjects outside the ITT, text as objects and as categoricals)."""
    from derivations.studies.tourmaline import ADRS_VARS, SID, derive_adrs

    rng = np.random.default_rng(7)
    n = 3000
    rand = pd.Timestamp("2020-01-01") + pd.to_timedelta(rng.integers(0, 30, 200), unit="D")
    adsl = pd.DataFrame({SID: np.arange(200), "ITTFL": np.where(rng.random(200) < 0.9, "Y", "N"),
                         "RANDDT": rand.where(rng.random(200) < 0.95),
                         "NACTDT": (rand + pd.to_timedelta(rng.integers(20, 200, 200), unit="D")).where(
                             rng.random(200) < 0.5)})
    values = np.array(["sCR", "CR", "VGPR", "PR", "MR", "SD", "PD", "NE", "XX"], dtype=object)
    categories = np.array(["ON-STUDY DISEASE ASSESSMENT", "PROGRESSION ON NEXT-LINE THERAPY"], dtype=object)
    dates = pd.Timestamp("2019-12-15") + pd.to_timedelta(rng.integers(0, 120, n) // 5 * 5, unit="D")
    rs = pd.DataFrame({SID: rng.integers(0, 210, n),      # 200-209: not in ADSL
                       "RSSEQ": rng.permutation(n).astype(float),
                       "RSCAT": categories[(rng.random(n) < 0.1).astype(int)],
                       "RSSTRESC": values[rng.choice(len(values), n, p=[.05, .1, .1, .15, .1, .15, .2, .1, .05])],
                       "RSDT": pd.Series(dates).where(rng.random(n) < 0.97).to_numpy()})
    coded = rs.assign(RSCAT=rs["RSCAT"].astype("category"), RSSTRESC=rs["RSSTRESC"].astype("category"))
    for frame in (rs, coded):
        full = derive_adrs(None, adsl, [], assessments=frame)
        full = full.loc[full["PARAMCD"] != "OVR", ADRS_VARS].reset_index(drop=True)
        only = derive_adrs(None, adsl, [], assessments=frame, ovr_records=False)[ADRS_VARS]
        pd.testing.assert_frame_equal(only.astype({"AVALC": object}), full.astype({"AVALC": object}))
        assert (only["PARAMCD"] == "PD").sum() == (adsl["ITTFL"] == "Y").sum()
        assert {"LSTA", "PDNL"} <= set(only["PARAMCD"])


def test_reason_not_treated_from_the_treatment_phase_disposition(mm3_full):
    """NTRTREAS: the DS END OF TREATMENT reason of the patients never dosed (MM3: 2
    ixazomib, 1 placebo, shared/study/tourmaline.md), missing for the treated; DCTREAS
    stays the treated patients' reason for stopping."""
    adsl = mm3_full["adsl"].frame.set_index("USUBJID")
    never = adsl[adsl["SAFFL"] == "N"]
    assert never["TRT01P"].value_counts().to_dict() == {"Ixazomib": 2, "Placebo": 1}
    ds = synthesize("tourmaline-mm3")["ds"].frame
    eot = ds[ds["DSSCAT"] == "END OF TREATMENT"].set_index("USUBJID")["DSDECOD"]
    assert never["NTRTREAS"].to_dict() == eot.reindex(never.index).to_dict()
    assert never["NTRTREAS"].isin(["WITHDRAWAL BY SUBJECT", "PHYSICIAN DECISION", "PROTOCOL DEVIATION",
                                   "DEATH"]).all()
    assert never["DCTREAS"].isna().all() and never["EOTSTT"].isna().all()
    treated = adsl[adsl["SAFFL"] == "Y"]
    assert treated["NTRTREAS"].isna().all()
    assert treated["DCTREAS"].notna().sum() == 194 + 151          # discontinued before 26 cycles
    variable = next(v for v in mm3_full["adsl"].variables if v.name == "NTRTREAS")
    assert (variable.label, variable.type) == ("Reason Randomized Subject Not Treated", CHAR)
    assert variable.length == max(len(r) for r in never["NTRTREAS"])
