"""SDTM shape of the twins: domains, labels, types, ISO 8601 text, partial dates,
internal consistency of the dates, XPT round trip."""

import re

import numpy as np
import pandas as pd
import pytest

from adam.errors import UsageError
from adam.synth import iter_domains, synthesize, write_sdtm
from .endpoints import to_date

STUDIES = ("tourmaline-mm3", "tourmaline-mm4")
ISO = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")
COMMON = {"dm", "suppdm", "ds", "ex", "rs", "cm", "ae", "lb", "mh", "ss", "ts"}


def test_domains_present(mm3, mm4):
    assert set(mm3) == COMMON | {"pr"}
    assert set(mm4) == COMMON


@pytest.mark.parametrize("study", STUDIES)
def test_labels_types_and_dtc(twins, study):
    for key, ds in twins[study].items():
        assert ds.name == key.upper()
        assert ds.label, key
        assert [v.name for v in ds.variables] == list(ds.frame.columns)
        for v in ds.variables:
            assert v.label and len(v.label) <= 40, (key, v.name, v.label)
            col = ds.frame[v.name]
            if v.type == "Num":
                assert col.dtype == np.float64, (key, v.name)
            else:
                assert col.dtype == object, (key, v.name)
                assert not (col == "").any(), (key, v.name)
            if v.name.endswith("DTC"):
                text = col.dropna()
                assert text.str.match(ISO).all(), (key, v.name)
                assert to_date(text).notna().all(), (key, v.name)
        seq = [c for c in ds.frame.columns if c.endswith("SEQ")]
        if seq and "USUBJID" in ds.frame:
            assert not ds.frame.duplicated(["USUBJID", seq[0]]).any(), key


@pytest.mark.parametrize("study", STUDIES)
def test_partial_dates_present(twins, study):
    sd = twins[study]
    cm = sd["cm"].frame
    later = cm.loc[cm.CMCAT == "SUBSEQUENT ANTI-MYELOMA THERAPY", "CMSTDTC"]
    assert later.str.len().eq(7).any() and later.str.len().eq(4).any()
    death = sd["dm"].frame.DTHDTC.dropna()
    assert death.str.len().eq(7).any()
    assert death.str.len().eq(10).mean() > 0.85


@pytest.mark.parametrize("study", STUDIES)
def test_dates_are_consistent(twins, study):
    sd = twins[study]
    dm = sd["dm"].frame.set_index("USUBJID")
    ds = sd["ds"].frame
    rand = to_date(ds[ds.DSDECOD == "RANDOMIZED"].set_index("USUBJID").DSSTDTC)
    assert (to_date(dm.RFICDTC) <= rand).all()
    assert (to_date(dm.RFXSTDTC).dropna() > rand[dm.RFXSTDTC.notna()]).all()
    cutoff = sd["ts"].frame.set_index("TSPARMCD").loc["DCUTDTC", "TSVAL"]
    assert pd.Timestamp(cutoff) >= to_date(dm.DTHDTC).max()
    rs = sd["rs"].frame
    pdx = rs[(rs.RSORRES == "PD") & (rs.RSCAT == "ON-STUDY DISEASE ASSESSMENT")]
    assert pdx.USUBJID.is_unique
    first_pd = to_date(pdx.set_index("USUBJID").RSDTC)
    cm = sd["cm"].frame
    line1 = cm[cm.CMGRPID == "LINE 1"].assign(d=lambda d: to_date(d.CMSTDTC)).groupby("USUBJID").d.min()
    # next line starts after the on-study progression (first-of-period imputation may fall earlier)
    full = cm[(cm.CMGRPID == "LINE 1") & (cm.CMSTDTC.str.len() == 10)].USUBJID.unique()
    assert (line1[full] > first_pd.reindex(full)).all()
    pd2 = rs[rs.RSCAT == "PROGRESSION ON NEXT-LINE THERAPY"].set_index("USUBJID").RSDTC
    assert (to_date(pd2) > line1.reindex(pd2.index)).all()
    death = to_date(dm.DTHDTC)
    alive = sd["ss"].frame.query("SSORRES == 'ALIVE'").set_index("USUBJID").SSDTC
    assert death.reindex(alive.index).isna().all()
    assert cutoff == {"tourmaline-mm3": "2023-09-08", "tourmaline-mm4": "2022-10-29"}[study]


@pytest.mark.parametrize("study", STUDIES)
def test_dose_escalation_and_cycles(twins, study):
    ex = twins[study]["ex"].frame
    ixa = ex[ex.EXTRT == "IXAZOMIB"]
    assert set(ixa.EXDOSE) == {3.0, 4.0}
    assert (ixa.loc[ixa.VISITNUM <= 4, "EXDOSE"] == 3.0).all()
    assert (ex.loc[ex.EXTRT == "PLACEBO", "EXDOSE"] == 0).all()
    assert ex.VISITNUM.max() == 26
    assert ex.groupby("USUBJID").VISITNUM.max().eq(26).sum() > 100


def test_write_sdtm_round_trip(mm4, tmp_path):
    from adam.io import read_dataset

    small = {k: mm4[k] for k in ("dm", "ts", "suppdm")}
    paths = write_sdtm(small, tmp_path)
    assert sorted(p.name for p in paths.values()) == ["dm.xpt", "suppdm.xpt", "ts.xpt"]
    back = read_dataset(tmp_path / "dm.xpt")
    assert back.label == "Demographics"
    assert back["DTHDTC"].label == "Date/Time of Death"
    pd.testing.assert_series_equal(back.frame.USUBJID, mm4["dm"].frame.USUBJID)
    assert np.array_equal(back.frame.AGE.to_numpy(), mm4["dm"].frame.AGE.to_numpy())


def test_bad_arguments():
    with pytest.raises(UsageError):
        synthesize("tourmaline-mm5")
    with pytest.raises(UsageError):
        synthesize("tourmaline-mm3", n_subjects=5)
    for bad in (lambda: iter_domains("tourmaline-mm5"), lambda: iter_domains("tourmaline-mm3", 5)):
        with pytest.raises(UsageError):   # at the call, before a domain is built or written
            bad()


def test_domain_by_domain_equals_all_at_once(tmp_path):
    """pipeline.synth builds and writes the domains in forked children, two at a time and
    not in order: the files hold exactly the datasets synthesize() returns together."""
    from adam import pipeline
    from adam.io import read_dataset

    whole = synthesize("tourmaline-mm3", n_subjects=150, seed=7)
    paths = pipeline.synth("tourmaline-mm3", tmp_path, n_subjects=150, seed=7)
    assert list(paths) == list(whole)
    for name, ds in whole.items():
        back = read_dataset(paths[name])
        assert [v.name for v in back.variables] == [v.name for v in ds.variables]
        pd.testing.assert_frame_equal(back.frame, ds.frame, check_dtype=False)


@pytest.mark.parametrize("study", STUDIES)
def test_histories_exercise_the_derivations(twins, study):
    """Lost to follow-up, death without progression, progression without next line,
    several lines, progression on the next line: each present."""
    sd = twins[study]
    ds, rs, cm = sd["ds"].frame, sd["rs"].frame, sd["cm"].frame
    dm = sd["dm"].frame.set_index("USUBJID")
    assert (ds.DSDECOD == "LOST TO FOLLOW-UP").sum() > 5
    progressed = set(rs.loc[(rs.RSORRES == "PD") & (rs.RSCAT == "ON-STUDY DISEASE ASSESSMENT"), "USUBJID"])
    dead = set(dm.index[dm.DTHFL == "Y"])
    assert len(dead - progressed) > 5
    treated_again = set(cm.loc[cm.CMCAT == "SUBSEQUENT ANTI-MYELOMA THERAPY", "USUBJID"])
    assert len(progressed - treated_again) > 10
    lines = cm.loc[cm.CMCAT == "SUBSEQUENT ANTI-MYELOMA THERAPY"].groupby("USUBJID").CMGRPID.nunique()
    assert (lines >= 3).sum() > 20
    assert (rs.RSCAT == "PROGRESSION ON NEXT-LINE THERAPY").sum() > 100
    causes = set(ds.loc[ds.DSDECOD == "DEATH", "DSTERM"])
    assert causes == {"DEATH DUE TO PROGRESSIVE DISEASE", "DEATH DUE TO ADVERSE EVENT",
                      "DEATH DUE TO OTHER CAUSE"}


@pytest.mark.parametrize("study", STUDIES)
def test_no_sdtm_conformance_errors(twins, study):
    from checks.sdtm import check_sdtm

    findings = check_sdtm(twins[study])
    assert [f for f in findings if f.severity == "error"] == []


@pytest.mark.skipif(__import__("adam.parallel").parallel.cores() < 2, reason="one core: built in order here")
def test_a_domain_that_fails_stops_the_twin(tmp_path, monkeypatch):
    """A builder's error (in a forked child) reaches the caller; the build beside it is
    stopped at once and leaves no temporary file; no file of the failed domain."""
    import time

    from adam import pipeline
    from adam.io.atomic import atomic_path
    from adam.synth import BUILDERS

    def slow(s, profile, rng):                   # mid-write when its neighbour fails
        with atomic_path(tmp_path / "ex.xpt") as tmp:
            tmp.write_bytes(b"partial")
            time.sleep(60)

    def broken(s, profile, rng):
        raise ValueError("rs broke")

    monkeypatch.setitem(BUILDERS, "ex", slow)
    monkeypatch.setitem(BUILDERS, "rs", broken)
    t0 = time.monotonic()
    with pytest.raises(ValueError, match="rs broke"):
        pipeline.synth("tourmaline-mm3", tmp_path, n_subjects=150, seed=7)
    assert time.monotonic() - t0 < 30
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("study", STUDIES)
def test_never_treated_have_a_reason(twins, study):
    """Each randomized patient never dosed has one treatment-phase disposition event (DS
    END OF TREATMENT, EPOCH TREATMENT) giving why, dated after randomization and not after
    the end of participation; the treated keep theirs with the completed/discontinued status."""
    sd = twins[study]
    dm = sd["dm"].frame.set_index("USUBJID")
    ds = sd["ds"].frame
    never = dm.index[dm.ACTARMCD == "NOTTRT"]
    eot = ds[ds.DSSCAT == "END OF TREATMENT"]
    mine = eot[eot.USUBJID.isin(never)].set_index("USUBJID")
    assert mine.index.is_unique and set(mine.index) == set(never) and len(never) >= 3
    assert (mine.DSCAT == "DISPOSITION EVENT").all() and (mine.EPOCH == "TREATMENT").all()
    assert mine.DSDECOD.isin({"WITHDRAWAL BY SUBJECT", "PHYSICIAN DECISION", "PROTOCOL DEVIATION", "DEATH"}).all()
    assert mine.DSTERM.notna().all() and mine.DSSTDY.isna().all()
    rand = to_date(ds[ds.DSDECOD == "RANDOMIZED"].set_index("USUBJID").DSSTDTC)
    day = to_date(mine.DSSTDTC)
    assert (day > rand[never]).all() and (day <= to_date(dm.loc[never, "RFPENDTC"])).all()
    treated = eot[~eot.USUBJID.isin(never)]
    assert treated.USUBJID.is_unique and set(treated.USUBJID) == set(dm.index[dm.ACTARMCD != "NOTTRT"])
