"""CDISCPILOT01 (CDISC SDTM/ADaM pilot): ADSL, ADAE and ADTTE from SDTM, programmed
from the sponsor's ADaM define.xml, whose ItemDef comments are the derivation rules.

Population: ADSL holds the randomized subjects (DM rows whose ARMCD is not a screen
failure: 254 of the 306 DM rows); ITTFL/SAFFL then follow the define's rules.

Left out (their source domains are not shipped with this SDTM), reported as
``META-MISSING`` findings by :func:`derive_with_findings`:
- ADSL.EFFFL: needs QS (ADAS-Cog and CIBIC+ records after visit 3);
- ADSL.HEIGHTBL, WEIGHTBL, BMIBL, BMIBLGR1: need VS (height at visit 1, weight at visit 3);
- ADSL.MMSETOT: needs QS (sum of the MMSE item results).

Readings of the define where its text is ambiguous or does not match the data:
- TRT01A = TRT01P as the define says ("no difference between actual and randomized
  treatment"), although this SDTM's DM.ACTARM shows 12 high-dose subjects as low dose;
  the published TTDE arm sizes (84/84) agree with the define.
- TRTEMFL is 'Y'/'N' and ADSL has no ACTARM/ACTARMCD, as the define specifies (ADaM
  2.1 era); newer conformance rules (flag values Y/null, ACTARM required) disagree.
- SITEGR1 (SAP 7.1): a site is pooled into "900" when any planned arm has fewer than
  3 subjects there (sites 702, 706, 707, 711, 714, 715, 717).
- TRTEDT: EXENDTC of the last EX record (by EXSEQ); when missing and the subject ended
  the study on/after TRTSDT (discontinued after visit 3), RFENDT.
- EDUCLVL: the define names SCTESTCD=YEARSEDU; this SC codes it EDLEVEL.
- DURDIS: months between disease onset and visit 1 as
  ``(VISIT1DT - DISONSDT + 1) / (365.25 / 12)``, rounded to 0.1.
- DCREASCD groups DCDECOD onto the define's DISCREAS codelist (DSTERM "PROTOCOL ENTRY
  CRITERIA NOT MET" -> "I/E Not Met").
- AOCC01FL: the define says "CQ01NAM=''", an evident typo for CQ01NAM not missing
  (the flag marks the first treatment-emergent dermatologic event).
- ADTTE: the analysis population is SAFFL='Y'; the event is the first treatment-emergent
  CQ01 event (ADT = its ASTDT, SRCDOM ADAE, SRCVAR ASTDT, SRCSEQ AESEQ), otherwise the
  subject is censored at RFENDT (SRCDOM ADSL, SRCVAR RFENDT). EVNTDESC keeps the
  define's spelling ("Dematologic Event Occured").
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from adam.define import CodeList, Define, read_define
from adam.errors import UsageError
from adam.findings import Finding
from adam.metadata import Dataset
from derivations.dates import convert_dtc_to_dt, derive_vars_dt, find_invalid_dtc
from derivations.common import Col
from derivations.metadata import conform
from derivations.tte import CensorSource, EventSource, derive_param_tte

#: the sponsor define when a study names none (shipped with adamant: adam/examples)
DEFAULT_DEFINE = Path(__file__).resolve().parents[2] / "adam/examples/cdiscpilot01/adam-define.xml"

SCREEN_FAILURE_ARMCD = ("Scrnfail", "SCRNFAIL", "NOTASSGN")
POOLED_SITE, MIN_PER_ARM = "900", 3
DERM_TERMS = ("APPLICATION", "DERMATITIS", "ERYTHEMA", "BLISTER")
DERM_SOC = "SKIN AND SUBCUTANEOUS TISSUE DISORDERS"
DERM_EXCLUDED = ("COLD SWEAT", "HYPERHIDROSIS", "ALOPECIA")
DCREAS = {
    "COMPLETED": "Completed", "ADVERSE EVENT": "Adverse Event", "DEATH": "Death",
    "LACK OF EFFICACY": "Lack of Efficacy", "LOST TO FOLLOW-UP": "Lost to Follow-up",
    "PHYSICIAN DECISION": "Physician Decision", "PROTOCOL VIOLATION": "Protocol Violation",
    "STUDY TERMINATED BY SPONSOR": "Sponsor Decision",
    "WITHDRAWAL BY SUBJECT": "Withdrew Consent", "SCREEN FAILURE": "I/E Not Met",
}
IE_NOT_MET_TERM = "PROTOCOL ENTRY CRITERIA NOT MET"
DAYS_PER_MONTH = 365.25 / 12


def derive(sdtm: dict[str, Dataset], study=None, define: str | Path | None = None
           ) -> dict[str, Dataset]:
    """ADSL, ADAE and ADTTE of CDISCPILOT01 shaped by the sponsor define."""
    return derive_with_findings(sdtm, study, define)[0]


def derive_with_findings(sdtm: dict[str, Dataset], study=None,
                         define: str | Path | None = None
                         ) -> tuple[dict[str, Dataset], list[Finding]]:
    """The datasets and the findings of checking them against the define."""
    spec = read_define(_define_path(study, define))
    frames = {"adsl": derive_adsl(sdtm, spec)}
    frames["adae"] = derive_adae(sdtm, frames["adsl"])
    findings = [f for column in ("AESTDTC", "AEENDTC")
                for f in find_invalid_dtc(_frame(sdtm, "ae"), column, "AE")]
    frames["adtte"] = derive_adtte(frames["adsl"], frames["adae"], findings)
    datasets = {}
    for name, frame in frames.items():
        frame = _sorted_by_keys(frame, spec[name].keys)
        datasets[name], found = conform(frame, spec[name], spec.codelists)
        findings += found
    return datasets, findings


def _sorted_by_keys(frame: pd.DataFrame, keys: tuple[str, ...]) -> pd.DataFrame:
    """Rows in the order of the define's key variables (missing values first, as SAS)."""
    keys = [k for k in keys if k in frame.columns]
    return frame.sort_values(keys, na_position="first", kind="stable") if keys else frame


def _define_path(study, define) -> Path:
    path = define or getattr(study, "define", None) or DEFAULT_DEFINE
    if not Path(path).exists():
        raise UsageError(f"the CDISCPILOT01 ADaM define.xml is needed: {path} not found")
    return Path(path)


# -- ADSL ---------------------------------------------------------------------------------

def derive_adsl(sdtm: dict[str, Dataset], define: Define) -> pd.DataFrame:
    """One row per randomized subject (frame; metadata is applied by the caller)."""
    dm = _frame(sdtm, "dm")
    adsl = dm[dm["ARMCD"].notna() & ~dm["ARMCD"].isin(SCREEN_FAILURE_ARMCD)]
    adsl = adsl[["STUDYID", "USUBJID", "SUBJID", "SITEID", "ARM", "ARMCD", "AGE", "AGEU",
                 "RACE", "SEX", "ETHNIC", "DTHFL", "RFSTDTC", "RFENDTC"]].copy()
    adsl["SITEGR1"] = _pooled_sites(adsl)
    adsl["TRT01P"] = adsl["ARM"]
    adsl["TRT01PN"] = _code_of(adsl["TRT01P"], define.codelists["ARMN"])
    adsl["TRT01A"], adsl["TRT01AN"] = adsl["TRT01P"], adsl["TRT01PN"]
    adsl["AGEGR1N"] = np.select([adsl["AGE"] < 65, adsl["AGE"] <= 80, adsl["AGE"] > 80],
                                [1.0, 2.0, 3.0], np.nan)
    adsl["AGEGR1"] = _decode_of(adsl["AGEGR1N"], define.codelists["AGEGR1N"])
    adsl["RACEN"] = _code_of(adsl["RACE"], define.codelists["RACEN"])
    adsl["RFENDT"] = _date(adsl["RFENDTC"])

    visits = _visit_dates(_frame(sdtm, "sv"), {1: "VISIT1DT", 3: "TRTSDT", 4: "_V4DT",
                                                8: "_V8DT", 10: "_V10DT", 12: "_V12DT"})
    adsl = adsl.merge(visits, on="USUBJID", how="left")
    adsl = adsl.merge(_disposition(_frame(sdtm, "ds")), on="USUBJID", how="left")
    adsl = adsl.merge(_last_dose(_frame(sdtm, "ex")), on="USUBJID", how="left")

    adsl["ITTFL"] = np.where(adsl["ARMCD"].notna(), "Y", "N")
    adsl["SAFFL"] = np.where((adsl["ITTFL"] == "Y") & adsl["TRTSDT"].notna(), "Y", "N")
    for flag, visit in (("COMP8FL", "_V8DT"), ("COMP16FL", "_V10DT"), ("COMP24FL", "_V12DT")):
        adsl[flag] = np.where(adsl[visit].notna() & (adsl["RFENDT"] >= adsl[visit]), "Y", "N")
    adsl["DISCONFL"] = np.where(adsl["DCREASCD"].notna()
                                & (adsl["DCREASCD"] != "Completed"), "Y", None)
    adsl["DSRAEFL"] = np.where(adsl["DCREASCD"] == "Adverse Event", "Y", None)

    ended_on_treatment = adsl["RFENDT"].notna() & (adsl["RFENDT"] >= adsl["TRTSDT"])
    adsl["TRTEDT"] = adsl["_EXENDT"].where(adsl["_EXENDT"].notna()
                                           | ~ended_on_treatment, adsl["RFENDT"])
    adsl["TRTDUR"] = _days(adsl["TRTSDT"], adsl["TRTEDT"]) + 1
    adsl["CUMDOSE"] = _cumulative_dose(adsl)
    adsl["AVGDD"] = _sas_round(adsl["CUMDOSE"] / adsl["TRTDUR"], 1)

    adsl = adsl.merge(_education(_frame(sdtm, "sc")), on="USUBJID", how="left")
    adsl = adsl.merge(_disease_onset(_frame(sdtm, "mh")), on="USUBJID", how="left")
    adsl["DURDIS"] = _sas_round((_days(adsl["DISONSDT"], adsl["VISIT1DT"]) + 1)
                                / DAYS_PER_MONTH, 1)
    adsl["DURDSGR1"] = np.select([adsl["DURDIS"] < 12, adsl["DURDIS"] >= 12],
                                 ["<12", ">=12"], None)
    return adsl.drop(columns=[c for c in adsl.columns if c.startswith("_")] + ["ARMCD"])


def _pooled_sites(adsl: pd.DataFrame) -> pd.Series:
    """SITEID, or "900" for a site with fewer than 3 subjects in some planned arm."""
    counts = pd.crosstab(adsl["SITEID"], adsl["ARM"])
    small = counts.index[(counts < MIN_PER_ARM).any(axis=1)]
    return adsl["SITEID"].where(~adsl["SITEID"].isin(small), POOLED_SITE)


def _visit_dates(sv: pd.DataFrame, names: dict[float, str]) -> pd.DataFrame:
    """One row per subject, one date column per visit number (first record of a visit)."""
    sv = sv[sv["VISITNUM"].isin(list(names))].sort_values(["USUBJID", "VISITNUM", "SVSTDTC"])
    sv = sv.drop_duplicates(["USUBJID", "VISITNUM"]).assign(_DT=lambda d: _date(d["SVSTDTC"]))
    wide = sv.pivot(index="USUBJID", columns="VISITNUM", values="_DT")
    wide = wide.reindex(columns=list(names)).rename(columns=names)
    wide.columns.name = None
    return wide.reset_index()


def _disposition(ds: pd.DataFrame) -> pd.DataFrame:
    """DCDECOD, DCREASCD and VISNUMEN from the subject's disposition event."""
    ev = ds[ds["DSCAT"] == "DISPOSITION EVENT"].sort_values(["USUBJID", "DSSEQ"])
    ev = ev.drop_duplicates("USUBJID", keep="last")
    reason = ev["DSDECOD"].map(DCREAS).where(ev["DSTERM"] != IE_NOT_MET_TERM, "I/E Not Met")
    return pd.DataFrame({
        "USUBJID": ev["USUBJID"],
        "DCDECOD": ev["DSDECOD"],
        "DCREASCD": reason,
        "VISNUMEN": ev["VISITNUM"].where(ev["VISITNUM"] != 13, 12.0),
    })


def _last_dose(ex: pd.DataFrame) -> pd.DataFrame:
    """EXENDTC of each subject's last EX record, as ``_EXENDT``."""
    last = ex.sort_values(["USUBJID", "EXSEQ"]).drop_duplicates("USUBJID", keep="last")
    return pd.DataFrame({"USUBJID": last["USUBJID"], "_EXENDT": _date(last["EXENDTC"])})


def _cumulative_dose(adsl: pd.DataFrame) -> pd.Series:
    """Planned cumulative dose: TRT01PN x TRTDUR for placebo/low dose; for high dose
    54 mg/day up to visit 4, 81 mg/day up to visit 12, 54 mg/day after."""
    start, end = adsl["TRTSDT"], adsl["TRTEDT"]
    v4, v12, rfend = adsl["_V4DT"], adsl["_V12DT"], adsl["RFENDT"]
    first = (_days(start, np.minimum(end, v4)) + 1).where(
        v4.notna(), (_days(start, end) + 1).where(rfend > start))
    second = _days(v4, np.minimum(end, v12)).where(
        v12.notna(), _days(v4, end).where(rfend > v4))
    third = _days(v12, end).where(rfend > v12)
    high = (pd.concat([first * 54, second * 81, third * 54], axis=1)
            .sum(axis=1, min_count=1))
    flat = adsl["TRT01PN"] * adsl["TRTDUR"]
    return flat.where(adsl["TRT01PN"] != 81, high)


def _education(sc: pd.DataFrame) -> pd.DataFrame:
    sc = sc[sc["SCTESTCD"].isin(["YEARSEDU", "EDLEVEL"])].drop_duplicates("USUBJID")
    return pd.DataFrame({"USUBJID": sc["USUBJID"], "EDUCLVL": sc["SCSTRESN"]})


def _disease_onset(mh: pd.DataFrame) -> pd.DataFrame:
    mh = mh[mh["MHCAT"] == "PRIMARY DIAGNOSIS"].drop_duplicates("USUBJID")
    return pd.DataFrame({"USUBJID": mh["USUBJID"], "DISONSDT": _date(mh["MHSTDTC"])})


# -- ADAE ---------------------------------------------------------------------------------

ADSL_TO_ADAE = {"SITEID": "SITEID", "TRT01A": "TRTA", "TRT01AN": "TRTAN", "AGE": "AGE",
                "AGEGR1": "AGEGR1", "AGEGR1N": "AGEGR1N", "RACE": "RACE", "RACEN": "RACEN",
                "SEX": "SEX", "SAFFL": "SAFFL", "TRTSDT": "TRTSDT", "TRTEDT": "TRTEDT"}
AE_NOT_IN_ADAE = ("DOMAIN", "AESPID", "AEBDSYCD", "AEDTC", "AESTDTC", "AEENDTC", "AESTDY",
                  "AEENDY")
#: first-occurrence flags: (name, extra subset, within-subject grouping)
OCCURRENCE_FLAGS = (
    ("AOCCFL", None, ()),
    ("AOCCSFL", None, ("AEBODSYS",)),
    ("AOCCPFL", None, ("AEBODSYS", "AEDECOD")),
    ("AOCC02FL", "serious", ()),
    ("AOCC03FL", "serious", ("AEBODSYS",)),
    ("AOCC04FL", "serious", ("AEBODSYS", "AEDECOD")),
    ("AOCC01FL", "derm", ()),
)


def derive_adae(sdtm: dict[str, Dataset], adsl: pd.DataFrame) -> pd.DataFrame:
    """One row per AE of an ADSL subject, with analysis dates, treatment emergence,
    the dermatologic customized query and first-occurrence flags."""
    ae = _frame(sdtm, "ae")
    subject = adsl[["USUBJID", *ADSL_TO_ADAE]].rename(columns=ADSL_TO_ADAE)
    adae = ae.drop(columns=[c for c in ADSL_TO_ADAE.values() if c in ae.columns]) \
        .merge(subject, on="USUBJID", how="inner")
    # day missing -> 01; month missing -> no date (define: only days needed imputing)
    adae = derive_vars_dt(adae, "AST", "AESTDTC", highest_imputation="D",
                          date_imputation="first")
    adae = derive_vars_dt(adae, "AEN", "AEENDTC")
    adae["ASTDY"] = _study_day(adae["ASTDT"], adae["TRTSDT"])
    adae["AENDY"] = _study_day(adae["AENDT"], adae["TRTSDT"])
    adae["ADURN"] = _days(adae["ASTDT"], adae["AENDT"]) + 1
    adae["ADURU"] = adae["ADURN"].notna().map({True: "DAY", False: np.nan})
    adae["TRTEMFL"] = np.where(adae["TRTSDT"].notna() & (adae["ASTDT"] >= adae["TRTSDT"]),
                               "Y", "N")
    adae["CQ01NAM"] = _dermatologic(adae).map({True: "DERMATOLOGIC EVENTS", False: np.nan})
    subsets = {None: adae["TRTEMFL"] == "Y",
               "serious": (adae["TRTEMFL"] == "Y") & (adae["AESER"] == "Y"),
               "derm": (adae["TRTEMFL"] == "Y") & adae["CQ01NAM"].notna()}
    chronological = adae[["ASTDT", "AESEQ"]].sort_values(
        ["ASTDT", "AESEQ"], na_position="first", kind="stable").index
    for name, subset, within in OCCURRENCE_FLAGS:
        adae[name] = _first_flag(adae, chronological, subsets[subset], ["USUBJID", *within])
    return adae.drop(columns=[c for c in AE_NOT_IN_ADAE if c in adae.columns])


def _study_day(date: pd.Series, ref: pd.Series) -> pd.Series:
    """Relative day without day 0: ``date - ref + 1`` on/after ``ref``, else ``date - ref``."""
    diff = _days(ref, date)
    return diff + (diff >= 0)


def _dermatologic(adae: pd.DataFrame) -> pd.Series:
    """CQ01: AEDECOD contains APPLICATION/DERMATITIS/ERYTHEMA/BLISTER, or a skin SOC
    event other than cold sweat, hyperhidrosis and alopecia."""
    decod = adae["AEDECOD"].fillna("")
    by_term = decod.str.contains("|".join(DERM_TERMS), regex=True)
    by_soc = (adae["AEBODSYS"] == DERM_SOC) & ~decod.isin(DERM_EXCLUDED)
    return by_term | by_soc


def _first_flag(adae: pd.DataFrame, chronological: pd.Index, subset: pd.Series,
                by: list[str]) -> pd.Series:
    """"Y" on the first record of each ``by`` group within ``subset``, records taken in
    ``chronological`` (ASTDT, AESEQ) order."""
    rows = adae.loc[chronological, by][subset.loc[chronological].to_numpy()]
    first = rows.index[~rows.duplicated()]
    return pd.Series(np.nan, index=adae.index, dtype=object).mask(adae.index.isin(first), "Y")


# -- ADTTE --------------------------------------------------------------------------------

ADSL_TO_ADTTE = {"SITEID": "SITEID", "AGE": "AGE", "AGEGR1": "AGEGR1", "AGEGR1N": "AGEGR1N",
                 "RACE": "RACE", "RACEN": "RACEN", "SEX": "SEX", "TRTSDT": "TRTSDT",
                 "TRTEDT": "TRTEDT", "TRTDUR": "TRTDUR", "TRT01P": "TRTP", "TRT01A": "TRTA",
                 "TRT01AN": "TRTAN", "SAFFL": "SAFFL"}
FIRST_DERM_EVENT = EventSource(
    "adae", date="ASTDT", filter="AOCC01FL == 'Y'",
    set_values_to={"EVNTDESC": "Dematologic Event Occured", "SRCDOM": "ADAE",
                   "SRCVAR": "ASTDT", "SRCSEQ": Col("AESEQ")})
STUDY_COMPLETION = CensorSource(
    "adsl", date="RFENDT", censor=1,
    set_values_to={"EVNTDESC": "Study Completion Date", "SRCDOM": "ADSL", "SRCVAR": "RFENDT"})
TTDE = {"PARAMCD": "TTDE", "PARAM": "Time to First Dermatologic Event"}


def derive_adtte(adsl: pd.DataFrame, adae: pd.DataFrame,
                 findings: list[Finding] | None = None) -> pd.DataFrame:
    """TTDE for the safety population: from RFSTDTC to the first treatment-emergent
    dermatologic event, censored at the end of study (RFENDT)."""
    safety = adsl[adsl["SAFFL"] == "Y"]
    safety = safety.assign(STARTDT=_date(safety["RFSTDTC"]))
    tte = derive_param_tte(safety, {"adsl": safety, "adae": adae}, start_date="STARTDT",
                           event_conditions=[FIRST_DERM_EVENT],
                           censor_conditions=[STUDY_COMPLETION], set_values_to=TTDE,
                           findings=findings)
    subject = safety[["USUBJID", *ADSL_TO_ADTTE]].rename(columns=ADSL_TO_ADTTE)
    return tte.drop(columns="CNSDTDSC").merge(subject, on="USUBJID", how="left")


# -- small vector helpers -----------------------------------------------------------------

def _frame(sdtm: dict[str, Dataset], domain: str) -> pd.DataFrame:
    try:
        data = sdtm[domain]
    except KeyError:
        raise UsageError(f"CDISCPILOT01 needs the SDTM domain {domain.upper()}") from None
    return data.frame if isinstance(data, Dataset) else data


def _date(dtc: pd.Series) -> pd.Series:
    """ISO 8601 dates (time part ignored) as datetime64; partial or invalid -> NaT."""
    return convert_dtc_to_dt(dtc)


def _days(start: pd.Series, end: pd.Series) -> pd.Series:
    """``end - start`` in days (float, NaN when either is missing)."""
    return (pd.Series(end) - pd.Series(start)).dt.days.astype("float64")


def _code_of(values: pd.Series, codelist: CodeList) -> pd.Series:
    """Numeric code of each decode of ``codelist`` (ARMN: "Placebo" -> 0)."""
    codes = {decode: float(code) for code, decode in codelist.items}
    return values.map(codes).astype("float64")


def _decode_of(codes: pd.Series, codelist: CodeList) -> pd.Series:
    decodes = {float(code): decode for code, decode in codelist.items}
    return codes.map(decodes)


def _sas_round(x: pd.Series, digits: int = 0) -> pd.Series:
    """SAS ``round(x, 10**-digits)``: halves away from zero (1e-12 relative fuzz)."""
    scale = 10.0 ** digits
    y = np.asarray(x, dtype="float64") * scale
    out = np.sign(y) * np.floor(np.abs(y) * (1 + 1e-12) + 0.5) / scale
    return pd.Series(out, index=getattr(x, "index", None))
