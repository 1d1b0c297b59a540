"""SDTM conformance: every dataset against its pandera model, plus the rules that span
datasets. Entry point :func:`check_sdtm`.

Cross-dataset rules (all ``error``):

- ``SDTM-DM-PRESENT``: a DM dataset is present (the subject reference).
- ``SDTM-USUBJID-IN-DM``: every USUBJID of a subject dataset is a DM subject.
- ``SDTM-SUPP-RDOMAIN``: RDOMAIN of ``suppxx`` is ``XX``.
- ``SDTM-SUPP-PARENT``: the parent dataset exists, has IDVAR, and a record with that
  USUBJID and IDVAR = IDVARVAL (or the subject itself when IDVAR is blank).
- ``SDTM-RELREC-PARENT``: the same for every RELREC record and its RDOMAIN.
- ``SDTM-STUDYID-VALUE`` (when a study is given): STUDYID is the study's.

Across variables of one dataset (``warning``):

- ``SDTM-STDTC-AFTER-ENDTC``: a start ``--STDTC`` after its end ``--ENDTC`` (likewise
  RFSTDTC/RFENDTC, RFXSTDTC/RFXENDTC), compared at the precision both values have.
- ``SDTM-DTC-RANGE``: a ``--DTC`` year before 1900 or after 2100.

Cross-domain consistency (``warning``, issue 18):

- ``SDTM-SS-AFTER-RFPENDTC``: a subject status date SSDTC after the subject's DM.RFPENDTC
  (the end of participation), compared at the precision both values have.
- ``SDTM-DS-MILESTONE-EPOCH``: EPOCH populated on a DS record with DSCAT "PROTOCOL
  MILESTONE" (SDTMIG DS: milestones are not epoch events; EPOCH is null there).
- ``SDTM-DM-RFENDTC-NOT-TREATED``: DM.RFENDTC populated while RFSTDTC is missing (a
  subject never exposed has no reference period).
- ``SDTM-SD0080``: an AESTDTC after the subject's end of participation, the latest of its
  DS DSSTDTC and DM.RFPENDTC. Mirrors Pinnacle 21 SD0080 ("AE start date is after the
  latest Disposition date"); RFPENDTC is taken as well because a subject still in
  follow-up at a data cutoff has no end-of-study DS record, and its last contact
  (RFPENDTC, SDTMIG's end of participation), not its end of treatment, ends the period
  in which it can report an event.
- ``SDTM-SD1255``: an AE with AESDTH "Y" or AEOUT "FATAL" whose subject's DM.DTHFL is not
  "Y". Mirrors Pinnacle 21 SD1255 ("When AE.AESDTH = 'Y' then DTHFL = 'Y'"), extended to
  AEOUT "FATAL".
- ``SDTM-AE-FATAL-DTHDTC``: an AE with a fatal outcome (as above) of a subject with
  DTHFL "Y" whose DM.DTHDTC is missing or before AESTDTC. No CORE or Pinnacle 21 rule
  found; the pharmaverse sdtmchecks ``check_ae_aestdtc_after_dd`` is the nearest.
- ``SDTM-DM-DTHFL-NO-FATAL-AE``: where the AE dataset records fatal outcomes at all, a
  subject with DTHFL "Y" whose death (a full DTHDTC) falls in the AE collection window,
  RFXSTDTC to RFXENDTC + :data:`AE_WINDOW_DAYS`, without an AE with a fatal outcome.
  No CORE or Pinnacle 21 rule found; sdtmchecks ``check_dm_ae_ds_death`` is the nearest
  (it also accepts a DS death record, which every TOURMALINE death has).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from adam.findings import Finding
from adam.metadata import Dataset
from checks.schemas.base import as_frame, record_findings, schema_findings
from checks.schemas.sdtm import model_for

TRIAL_DESIGN = {"ta", "te", "ti", "ts", "tv", "td", "tm", "tdm"}
NOT_SUBJECT = TRIAL_DESIGN | {"dm"}


def check_sdtm(datasets: dict[str, Dataset], study=None) -> list[Finding]:
    """All findings for SDTM ``datasets`` keyed by lower-case name (as
    :func:`adam.io.read_sdtm` returns them). ``study``: optional, its ``studyid`` is
    compared to STUDYID. Never raises for bad data."""
    frames = {name.lower(): as_frame(ds) for name, ds in datasets.items()}
    findings: list[Finding] = []
    for name, frame in frames.items():
        findings += schema_findings(model_for(name, frame), frame, name.upper())
        findings += _guarded(start_after_end, frame, name.upper())
        findings += _guarded(dates_in_range, frame, name.upper())
    findings += _guarded(usubjid_in_dm, frames)
    for name, frame in frames.items():
        if name.startswith("supp"):
            findings += _guarded(supp_parent, name, frames)
        elif name == "relrec":
            findings += _guarded(referenced_records, frame, "RELREC", frames, "SDTM-RELREC-PARENT")
    findings += _guarded(cross_domain, frames)
    studyid = getattr(study, "studyid", None)
    if studyid:
        findings += _guarded(studyid_value, frames, studyid)
    return findings


def _guarded(rule, *args) -> list[Finding]:
    """Run a cross-dataset rule; data it cannot handle (e.g. unhashable cells) becomes
    one error finding instead of a traceback."""
    try:
        return rule(*args)
    except (TypeError, ValueError, KeyError) as exc:
        return [Finding("SDTM", "SDTM-CHECK-FAILED", "error",
                        f"rule {rule.__name__} could not run on these data: {exc}")]


_PLAIN_DTC = r"^\d{4}(?:-\d{2}(?:-\d{2}(?:T\d{2}(?::\d{2}(?::\d{2})?)?)?)?)?"
_PRECISIONS = (4, 7, 10, 13, 16, 19)  # year, month, day, hour, minute, second


def start_after_end(frame: pd.DataFrame, dataset: str) -> list[Finding]:
    """``SDTM-STDTC-AFTER-ENDTC`` for every ``xxSTDTC``/``xxENDTC`` pair of ``frame``.
    Values are compared on the leading components both have (``2019-06`` vs
    ``2019-05-30`` compares months; ``2019---15`` counts as its year; an interval as
    its start)."""
    out = []
    for start in [c for c in frame.columns if c.endswith("STDTC")]:
        end = start[:-5] + "ENDTC"
        if end not in frame.columns:
            continue
        s, e = (frame[c].astype(str).str.extract(f"({_PLAIN_DTC})", expand=False).fillna("")
                for c in (start, end))
        common = np.minimum(s.str.len(), e.str.len())  # 0: not comparable
        after = pd.Series(False, index=frame.index)
        for k in _PRECISIONS:
            at = common == k
            after |= at & (s.str[:k] > e.str[:k])
        out += record_findings(frame, np.flatnonzero(after.to_numpy()), dataset,
                               "SDTM-STDTC-AFTER-ENDTC", end,
                               f"{end} {{{end}}} is before {start} {{{start}}}", "warning")
    return out


PLAUSIBLE_YEARS = (1900, 2100)


def dates_in_range(frame: pd.DataFrame, dataset: str) -> list[Finding]:
    """``SDTM-DTC-RANGE`` (warning): a ``--DTC`` whose year (either end of an interval)
    lies outside :data:`PLAUSIBLE_YEARS`, more often a typing error (``1019`` for
    ``2019``) than a date. Each distinct value is looked at once."""
    low, high = PLAUSIBLE_YEARS
    out = []
    for col in [c for c in frame.columns if c.endswith("DTC")]:
        codes, distinct = pd.factorize(frame[col])
        if not len(distinct):
            continue
        years = pd.Series(distinct, dtype=object).astype(str).str.extractall(r"(?:^|/)(\d{4})")[0]
        years = years.astype(int)
        implausible = years[(years < low) | (years > high)].index.get_level_values(0).unique()
        if len(implausible):
            out += record_findings(frame, np.flatnonzero(np.isin(codes, implausible)), dataset,
                                   "SDTM-DTC-RANGE", col,
                                   f"{col} {{{col}!r}} lies outside the years {low}-{high}", "warning")
    return out


def usubjid_in_dm(frames: dict[str, pd.DataFrame]) -> list[Finding]:
    """``SDTM-USUBJID-IN-DM``: subjects of every subject dataset exist in DM."""
    dm = frames.get("dm")
    if dm is None:
        return [Finding("DM", "SDTM-DM-PRESENT", "error",
                        "no DM dataset: subjects cannot be checked")]
    if "USUBJID" not in dm.columns:
        return []  # reported by the DM schema
    subjects = dm["USUBJID"].dropna()
    out = []
    for name, frame in frames.items():
        if name in NOT_SUBJECT or "USUBJID" not in frame.columns:
            continue
        orphan = frame["USUBJID"].notna() & ~frame["USUBJID"].isin(subjects)
        out += record_findings(frame, np.flatnonzero(orphan.to_numpy()), name.upper(),
                               "SDTM-USUBJID-IN-DM", "USUBJID", "USUBJID {USUBJID!r} is not in DM")
    return out


def supp_parent(name: str, frames: dict[str, pd.DataFrame]) -> list[Finding]:
    """``SDTM-SUPP-RDOMAIN`` / ``SDTM-SUPP-PARENT`` for the ``supp--`` dataset ``name``."""
    supp, dataset = frames[name], name.upper()
    if not {"RDOMAIN", "USUBJID", "IDVAR", "IDVARVAL"} <= set(supp.columns):
        return []  # absent variables are reported by the SUPPQUAL schema
    code = name[4:].upper()
    wrong = supp["RDOMAIN"].notna() & (supp["RDOMAIN"] != code)
    out = record_findings(supp, np.flatnonzero(wrong.to_numpy()), dataset, "SDTM-SUPP-RDOMAIN",
                          "RDOMAIN", f"RDOMAIN {{RDOMAIN!r}} in {dataset}: expected {code!r}")
    return out + referenced_records(supp.assign(RDOMAIN=code), dataset, frames,
                                    "SDTM-SUPP-PARENT")


def referenced_records(frame: pd.DataFrame, dataset: str, frames: dict[str, pd.DataFrame],
                       rule_id: str) -> list[Finding]:
    """``rule_id`` where RDOMAIN/USUBJID/IDVAR/IDVARVAL (SUPP--, RELREC) point to no
    record: the dataset RDOMAIN is absent (one finding), IDVAR is not one of its
    variables, or no record has that USUBJID and IDVAR = IDVARVAL (blank IDVAR: no
    record of the subject). Records without USUBJID (dataset-level RELREC) are skipped."""
    if not {"RDOMAIN", "USUBJID", "IDVAR", "IDVARVAL"} <= set(frame.columns):
        return []
    out = []
    linked = frame[frame["USUBJID"].notna()]
    groups = linked.groupby([linked["RDOMAIN"].fillna(""), linked["IDVAR"].fillna("")], sort=False)
    for (rdomain, idvar), labels in groups.groups.items():
        rows = frame.index.get_indexer(labels)  # positions in ``frame`` (records - 1)
        parent = frames.get(str(rdomain).lower())
        if parent is None:
            out.append(Finding(dataset, rule_id, "error",
                               f"dataset {rdomain or '(blank RDOMAIN)'} referenced by {len(rows)} "
                               f"record(s) of {dataset} is not present",
                               variable="RDOMAIN", value=str(rdomain) or None))
            continue
        if idvar and idvar not in parent.columns:
            out += record_findings(frame, rows, dataset, rule_id, "IDVAR",
                                   f"IDVAR {idvar} is not a variable of {rdomain}")
            continue
        found = _parent_found(frame.iloc[rows], parent, idvar)
        message = (f"no {rdomain} record with USUBJID {{USUBJID!r}} and {idvar} = {{IDVARVAL!r}}"
                   if idvar else f"USUBJID {{USUBJID!r}} has no {rdomain} record")
        out += record_findings(frame, rows[~found], dataset, rule_id,
                               "IDVARVAL" if idvar else "IDVAR", message)
    return out


def _parent_found(supp: pd.DataFrame, parent: pd.DataFrame, idvar: str) -> np.ndarray:
    """Per supp row: a parent record with its USUBJID (and IDVAR = IDVARVAL) exists."""
    if "USUBJID" not in parent.columns:
        return np.ones(len(supp), dtype=bool)
    left = pd.DataFrame({"USUBJID": supp["USUBJID"].to_numpy()})
    right = pd.DataFrame({"USUBJID": parent["USUBJID"].to_numpy()})
    if idvar:
        values = parent[idvar]
        if pd.api.types.is_numeric_dtype(values):
            left["key"] = pd.to_numeric(supp["IDVARVAL"], errors="coerce").astype(float).to_numpy()
            right["key"] = values.astype(float).to_numpy()
        else:
            left["key"] = supp["IDVARVAL"].astype(str).str.strip().to_numpy()
            right["key"] = values.astype(str).str.strip().to_numpy()
    keys = right.drop_duplicates().assign(_found=True)
    return left.merge(keys, on=list(left.columns), how="left")["_found"].notna().to_numpy()


def studyid_value(frames: dict[str, pd.DataFrame], studyid: str) -> list[Finding]:
    """``SDTM-STUDYID-VALUE``: one finding per dataset and wrong STUDYID value."""
    out = []
    for name, frame in frames.items():
        if "STUDYID" not in frame.columns:
            continue
        wrong = frame["STUDYID"].dropna()
        for value, count in wrong[wrong != studyid].value_counts().items():
            out.append(Finding(name.upper(), "SDTM-STUDYID-VALUE", "error",
                               f"STUDYID {value!r} on {count} records; the study is {studyid!r}",
                               variable="STUDYID", value=str(value)))
    return out


def _text(frame: pd.DataFrame, col: str) -> pd.Series:
    """``col`` as text with missing and blank values as NaN."""
    v = frame[col].astype(object).where(frame[col].notna())
    return v.where(v.astype(str).str.strip() != "")


def _dtc_after(a: pd.Series, b: pd.Series) -> np.ndarray:
    """``a`` later than ``b`` at the precision both ISO 8601 texts have (missing: False)."""
    ok = (a.notna() & b.notna()).to_numpy()
    out = np.zeros(len(a), dtype=bool)
    if ok.any():
        aa, bb = a[ok].astype(str).str[:10], b[ok].astype(str).str[:10]
        width = np.minimum(aa.str.len().to_numpy(), bb.str.len().to_numpy())
        later = np.zeros(len(aa), dtype=bool)
        for w in np.unique(width):
            m = width == w
            later[m] = (aa[m].str[:w].to_numpy() > bb[m].str[:w].to_numpy())
        out[ok] = later
    return out


def cross_domain(frames: dict[str, pd.DataFrame]) -> list[Finding]:
    """The cross-domain consistency rules listed in the module docstring."""
    out: list[Finding] = []
    dm = frames.get("dm")
    ss, ds = frames.get("ss"), frames.get("ds")
    if dm is not None and {"USUBJID", "RFPENDTC"} <= set(dm) and ss is not None \
            and {"USUBJID", "SSDTC"} <= set(ss):
        end = ss["USUBJID"].astype(object).map(dm.drop_duplicates("USUBJID").set_index("USUBJID")["RFPENDTC"])
        bad = _dtc_after(_text(ss, "SSDTC"), _text(pd.DataFrame({"E": end}), "E"))
        out += record_findings(ss, np.flatnonzero(bad), "SS", "SDTM-SS-AFTER-RFPENDTC", "SSDTC",
                               "SSDTC {SSDTC!r} is after DM.RFPENDTC", severity="warning")
    if ds is not None and {"DSCAT", "EPOCH"} <= set(ds):
        bad = (_text(ds, "DSCAT") == "PROTOCOL MILESTONE") & _text(ds, "EPOCH").notna()
        out += record_findings(ds, np.flatnonzero(bad.to_numpy()), "DS", "SDTM-DS-MILESTONE-EPOCH", "EPOCH",
                               "EPOCH {EPOCH!r} on a protocol milestone", severity="warning")
    if dm is not None and {"RFSTDTC", "RFENDTC"} <= set(dm):
        bad = _text(dm, "RFSTDTC").isna() & _text(dm, "RFENDTC").notna()
        out += record_findings(dm, np.flatnonzero(bad.to_numpy()), "DM", "SDTM-DM-RFENDTC-NOT-TREATED",
                               "RFENDTC", "RFENDTC {RFENDTC!r} without RFSTDTC (never treated)",
                               severity="warning")
    ae = frames.get("ae")
    if ae is not None and dm is not None and "USUBJID" in ae and "USUBJID" in dm:
        out += _guarded(ae_after_participation, ae, dm, ds)
        out += _guarded(fatal_ae_and_death, ae, dm)
    return out


#: days after the last dose (RFXENDTC) that adverse events are still collected
AE_WINDOW_DAYS = 30


def _per_subject(frame: pd.DataFrame, col: str, usubjid: pd.Series) -> pd.Series:
    """``frame[col]`` of each subject in ``usubjid`` (text, missing NaN; first record)."""
    first = frame.drop_duplicates("USUBJID")
    values = pd.Series(_text(first, col).to_numpy(), index=first["USUBJID"].astype(object).to_numpy())
    return pd.Series(usubjid.astype(object).map(values).to_numpy(), index=usubjid.index)


def ae_after_participation(ae: pd.DataFrame, dm: pd.DataFrame, ds: pd.DataFrame | None) -> list[Finding]:
    """``SDTM-SD0080``: AESTDTC after the later of the subject's latest DSSTDTC and
    RFPENDTC (ISO texts compared at the precision both have; the latest of a subject's
    dates is the greatest text, so ``2020`` counts as later than ``2019-12-31``)."""
    if "AESTDTC" not in ae:
        return []
    dates = []
    if "RFPENDTC" in dm:
        dates.append(pd.DataFrame({"USUBJID": dm["USUBJID"].astype(object), "D": _text(dm, "RFPENDTC")}))
    if ds is not None and {"USUBJID", "DSSTDTC"} <= set(ds):
        dates.append(pd.DataFrame({"USUBJID": ds["USUBJID"].astype(object), "D": _text(ds, "DSSTDTC")}))
    if not dates:
        return []
    known = pd.concat(dates).dropna()
    latest = known.assign(D=known["D"].astype(str)).groupby("USUBJID")["D"].max()
    end = pd.Series(ae["USUBJID"].astype(object).map(latest).to_numpy(), index=ae.index)
    bad = _dtc_after(_text(ae, "AESTDTC"), end)
    return record_findings(ae.assign(END_OF_PARTICIPATION=end.to_numpy()), np.flatnonzero(bad), "AE",
                           "SDTM-SD0080", "AESTDTC",
                           "AESTDTC {AESTDTC!r} is after the end of participation {END_OF_PARTICIPATION!r} "
                           "(latest DSSTDTC or RFPENDTC)", severity="warning")


def _fatal(ae: pd.DataFrame) -> np.ndarray:
    """AE records with a fatal outcome: AEOUT "FATAL" or AESDTH "Y"."""
    fatal = np.zeros(len(ae), dtype=bool)
    for col, value in (("AEOUT", "FATAL"), ("AESDTH", "Y")):
        if col in ae:
            fatal |= (_text(ae, col) == value).to_numpy()
    return fatal


def fatal_ae_and_death(ae: pd.DataFrame, dm: pd.DataFrame) -> list[Finding]:
    """``SDTM-SD1255``, ``SDTM-AE-FATAL-DTHDTC`` (on the fatal AE records) and
    ``SDTM-DM-DTHFL-NO-FATAL-AE`` (on DM) as the module docstring states them."""
    fatal = _fatal(ae)
    if not fatal.any() or "DTHFL" not in dm:
        return []
    subjects = ae["USUBJID"]
    died = (_per_subject(dm, "DTHFL", subjects) == "Y").to_numpy()
    out = record_findings(ae, np.flatnonzero(fatal & ~died), "AE", "SDTM-SD1255", "USUBJID",
                          "a fatal AE (AEOUT/AESDTH) but DM.DTHFL is not 'Y'", severity="warning")
    if "DTHDTC" in dm and "AESTDTC" in ae:
        death = _per_subject(dm, "DTHDTC", subjects)
        late = death.isna().to_numpy() | _dtc_after(_text(ae, "AESTDTC"), death)
        out += record_findings(ae.assign(DTHDTC=death.to_numpy()), np.flatnonzero(fatal & died & late),
                               "AE", "SDTM-AE-FATAL-DTHDTC", "AESTDTC",
                               "fatal AE starting {AESTDTC!r} but DM.DTHDTC is {DTHDTC!r}", severity="warning")
    if {"DTHDTC", "RFXSTDTC", "RFXENDTC"} <= set(dm):
        day = {c: pd.to_datetime(_text(dm, c).where(_text(dm, c).str.len() >= 10).str[:10],
                                 format="%Y-%m-%d", errors="coerce") for c in ("DTHDTC", "RFXSTDTC", "RFXENDTC")}
        window = ((_text(dm, "DTHFL") == "Y") & (day["DTHDTC"] >= day["RFXSTDTC"])
                  & (day["DTHDTC"] <= day["RFXENDTC"] + pd.Timedelta(days=AE_WINDOW_DAYS)))
        missing = window & ~dm["USUBJID"].astype(object).isin(set(subjects[fatal].astype(object)))
        out += record_findings(dm, np.flatnonzero(missing.to_numpy()), "DM", "SDTM-DM-DTHFL-NO-FATAL-AE",
                               "DTHDTC", f"died {{DTHDTC!r}}, on treatment or within {AE_WINDOW_DAYS} days of the last dose, "
                               "with no AE with a fatal outcome (AEOUT 'FATAL' or AESDTH 'Y')",
                               severity="warning")
    return out
