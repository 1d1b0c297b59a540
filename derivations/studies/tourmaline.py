"""TOURMALINE-MM3 / -MM4 twins: ADSL and ADTTE from the synthetic SDTM (where each fact
lives: :mod:`adam.synth`). ``derive(sdtm, study)`` returns ``{'adsl': ..., 'adtte': ...}``;
``derive_with_findings`` also returns the derivation findings (invalid dates, subjects
without a time-to-event date, dates before randomization).

ADSL, one record per randomized subject (a DS ``RANDOMIZED`` record):

- RANDDT: DS ``RANDOMIZED`` DSSTDTC. ITTFL ``Y`` for all. TRT01P/TRT01PN from ARM
  (Ixazomib 1, Placebo 2); TRT01A/TRT01AN from ACTARM, missing when never treated.
- TRTSDT/TRTEDT: first EXSTDTC / last EXENDTC (else EXSTDTC) of EX records with a dose
  (EXDOSE > 0, or placebo). SAFFL ``Y`` when TRTSDT is present.
- DCUTDT: TS ``DCUTDTC`` (else the study's ``data_cutoff``).
- DTHFL: DM.DTHFL. DTHDT: DM.DTHDTC, partial dates imputed to the first day of the month/year
  (admiral ``highest_imputation='M'``) but not before the last day the subject is known
  alive from RANDDT, TRTEDT and the disease assessments, nor after DCUTDT; DTHDTF the
  imputation flag. DTHCAUS from the DS death record's DSTERM (``PROGRESSIVE DISEASE``,
  ``ADVERSE EVENT``, ``OTHER``).
- LSTALVDT: DTHDT for the dead; else the latest of SS ``ALIVE`` SSDTC, TRTEDT, RANDDT.
- EOTSTT: ``COMPLETED``/``DISCONTINUED`` from DS END OF TREATMENT (DCTREAS its DSDECOD),
  ``ONGOING`` for a treated subject without one, missing if never treated. EOSSTT:
  ``DISCONTINUED`` with DCSREAS from DS END OF STUDY, else ``ONGOING``.
- NTRTREAS: for a subject never treated (SAFFL ``N``), the DSDECOD of its DS END OF
  TREATMENT record (why study drug was never started), else missing.
- Strata STRATnR: SUPPDM STRATn (as randomized). Subgroups: AGEGR1 from AGE; ISSGR1 (RS
  ISSSTAGE); RESPGR1 (RS response at study entry: CR vs VGPR or less); CYTOGR1 (LB
  cytogenetics: any POSITIVE = High risk); INDPIGR1 (a PI in the induction CM records);
  MRDGR1 (LB MRD POSITIVE/NEGATIVE, else missing); FRAILGR1 (MM4, RS FRAILTY).
- SUBTHFL and the class flags STCORTFL, STIMIDFL, STPIFL, STCD38FL, STALKFL: any CM
  ``SUBSEQUENT ANTI-MYELOMA THERAPY`` record (of that CMCLAS); ``N`` otherwise.
- NACTDT, NACTTRT, NLPIFL: :func:`derivations.nextline.derive_vars_nextline` on those CM
  records, the line number from CMGRPID ``LINE n``; CMSTDTC partial dates imputed to the
  first day of the period, but not before the day after randomization nor before the
  first progression (admiral ``min_dates``: a bound counts only inside the partial
  date's range), so a line known only to the month of the progression starts after it.

ADTTE, one record per ITT subject and parameter, origin RANDDT, data cutoff DCUTDT
(events after it ignored, censoring capped at it), this module's sources
pointed at the SDTM records they come from:

- OS: death; censored at LSTALVDT.
- PFS: first PD (ADRS ``PD``) or death; censored at the last disease assessment (ADRS
  ``LSTA``), or at randomization without one.
- PFS2: the first PD after NACTDT (ADRS ``PDNL``: progression on the next line) or death;
  censored at LSTALVDT.
- TTNT: NACTDT, or death due to PD (DTHCAUS); censored at LSTALVDT.

The response records come from :func:`derive_adrs`, admiralonco's ADRS template written
with the public blocks (``derive_var_extreme_flag``, ``derive_extreme_records``,
``derive_extreme_event`` with the IMWG events of :mod:`derivations.response`), so PFS is
derived as a user's own study would derive it. The PD, LSTA and PDNL records keep RSSEQ,
and the sources point at RS (SRCDOM ``RS``, SRCVAR ``RSDTC``, SRCSEQ ``RSSEQ``). Against
the private ADRS this program had before (docs/notes/tourmaline-adrs.md), the ADaM of both
twins is unchanged: the template's rules (one worst record per date on or after
randomization; the PD and last assessment among the on-study disease assessments) select
the same records from the twins' RS.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd

from adam.errors import InputError
from adam.findings import Finding
from adam.io import DatasetFolder
from adam.metadata import CHAR, NUM, Dataset, Variable, char_width
from adam.parallel import forked
from adam.text import as_categorical
from derivations.common import Col, SubjectIndex, first_rows, group_codes, row_mask, rows_of, values_at
from derivations.dates import checked_dtc_to_dt, convert_dtc_to_dt, derive_vars_dt, find_invalid_dtc
from derivations.events import derive_extreme_event, derive_extreme_records
from derivations.extreme import DateSource, derive_var_extreme_dt
from derivations.filters import sort_records
from derivations.flags import derive_var_extreme_flag, derive_var_obs_number, derive_var_relative_flag
from derivations.merge import derive_var_merged_exist_flag, derive_vars_merged
from derivations.nextline import derive_vars_nextline
from derivations.program import collect
from derivations.response import IMWG, response_events
from derivations.tte import CensorSource, EventSource, derive_param_tte

KEYS = ["STUDYID", "USUBJID"]
TRTN = {"Ixazomib": 1.0, "Placebo": 2.0}
SUBSEQUENT = "SUBSEQUENT ANTI-MYELOMA THERAPY"
CLASS_FLAGS = {"STCORTFL": "CORTICOSTEROID", "STIMIDFL": "IMID", "STPIFL": "PROTEASOME INHIBITOR",
               "STCD38FL": "ANTI-CD38 ANTIBODY", "STALKFL": "ALKYLATING AGENT"}
DEATH_CAUSES = {"DEATH DUE TO PROGRESSIVE DISEASE": "PROGRESSIVE DISEASE",
                "DEATH DUE TO ADVERSE EVENT": "ADVERSE EVENT", "DEATH DUE TO OTHER CAUSE": "OTHER"}

D, C, N = "DATE9.", CHAR, NUM
#: name, label, type, length (None: longest value), display format
ADSL_VARS = [
    ("STUDYID", "Study Identifier", C, None, None),
    ("USUBJID", "Unique Subject Identifier", C, None, None),
    ("SUBJID", "Subject Identifier for the Study", C, None, None),
    ("SITEID", "Study Site Identifier", C, None, None),
    ("AGE", "Age", N, 8, None),
    ("AGEU", "Age Units", C, None, None),
    ("AGEGR1", "Pooled Age Group 1", C, 11, None),
    ("SEX", "Sex", C, 1, None),
    ("RACE", "Race", C, None, None),
    ("COUNTRY", "Country", C, 3, None),
    ("ARM", "Description of Planned Arm", C, None, None),
    ("ARMCD", "Planned Arm Code", C, None, None),
    ("ACTARM", "Description of Actual Arm", C, None, None),
    ("ACTARMCD", "Actual Arm Code", C, None, None),
    ("TRT01P", "Planned Treatment for Period 01", C, 8, None),
    ("TRT01PN", "Planned Treatment for Period 01 (N)", N, 8, None),
    ("TRT01A", "Actual Treatment for Period 01", C, 8, None),
    ("TRT01AN", "Actual Treatment for Period 01 (N)", N, 8, None),
    ("RANDDT", "Date of Randomization", N, 8, D),
    ("TRTSDT", "Date of First Exposure to Treatment", N, 8, D),
    ("TRTEDT", "Date of Last Exposure to Treatment", N, 8, D),
    ("ITTFL", "Intent-To-Treat Population Flag", C, 1, None),
    ("SAFFL", "Safety Population Flag", C, 1, None),
    ("DCUTDT", "Date of Data Cut", N, 8, D),
    ("DTHFL", "Subject Death Flag", C, 1, None),
    ("DTHDT", "Date of Death", N, 8, D),
    ("DTHDTF", "Date of Death Imputation Flag", C, 1, None),
    ("DTHCAUS", "Cause of Death", C, None, None),
    ("LSTALVDT", "Date Last Known Alive", N, 8, D),
    ("EOTSTT", "End of Treatment Status", C, 12, None),
    ("DCTREAS", "Reason for Discontinuation of Treatment", C, None, None),
    ("NTRTREAS", "Reason Randomized Subject Not Treated", C, None, None),
    ("EOSSTT", "End of Study Status", C, 12, None),
    ("DCSREAS", "Reason for Discontinuation from Study", C, None, None),
    ("STRAT1R", "Stratum: Induction Regimen", C, None, None),
    ("STRAT2R", "Stratum: Pre-induction ISS Stage", C, None, None),
    ("STRAT3R", "Stratum 3 (MM3 Response; MM4 Age)", C, None, None),
    ("STRAT4R", "Stratum 4: Response Before Rand (MM4)", C, None, None),
    ("ISSGR1", "Pre-induction ISS Stage Group", C, 3, None),
    ("RESPGR1", "Response at Study Entry Group", C, 12, None),
    ("CYTOGR1", "Cytogenetic Risk Group", C, 13, None),
    ("INDPIGR1", "Induction Regimen Group", C, 10, None),
    ("MRDGR1", "MRD Status at Study Entry Group", C, 8, None),
    ("FRAILGR1", "Frailty Group (MM4)", C, 9, None),
    ("SUBTHFL", "Any Subsequent Anti-Cancer Therapy Flag", C, 1, None),
    ("STCORTFL", "Subsequent Corticosteroid Flag", C, 1, None),
    ("STIMIDFL", "Subsequent IMiD Flag", C, 1, None),
    ("STPIFL", "Subsequent Proteasome Inhibitor Flag", C, 1, None),
    ("STCD38FL", "Subsequent Anti-CD38 Antibody Flag", C, 1, None),
    ("STALKFL", "Subsequent Alkylating Agent Flag", C, 1, None),
    ("NACTDT", "Start Date of Next Anti-Myeloma Therapy", N, 8, D),
    ("NACTTRT", "Next-Line Therapy Components", C, None, None),
    ("NLPIFL", "Next-Line Therapy Includes a PI Flag", C, 1, None),
]
ADSL_TO_ADTTE = ["TRT01P", "TRT01PN", "TRT01A", "TRT01AN", "ITTFL", "SAFFL",
                 "STRAT1R", "STRAT2R", "STRAT3R", "STRAT4R", "NLPIFL"]
ADTTE_VARS = [
    ("STUDYID", "Study Identifier", C, None, None),
    ("USUBJID", "Unique Subject Identifier", C, None, None),
    ("PARAMCD", "Parameter Code", C, 8, None),
    ("PARAM", "Parameter", C, None, None),
    ("PARAMN", "Parameter (N)", N, 8, None),
    ("STARTDT", "Time to Event Origin Date for Subject", N, 8, D),
    ("ADT", "Analysis Date", N, 8, D),
    ("AVAL", "Analysis Value", N, 8, None),
    ("AVALU", "Analysis Value Unit", C, 4, None),
    ("CNSR", "Censor", N, 8, None),
    ("EVNTDESC", "Event or Censoring Description", C, None, None),
    ("CNSDTDSC", "Censor Date Description", C, None, None),
    ("SRCDOM", "Source Data", C, 8, None),
    ("SRCVAR", "Source Variable", C, 8, None),
    ("SRCSEQ", "Source Sequence Number", N, 8, None),
] + [v for v in ADSL_VARS if v[0] in ADSL_TO_ADTTE]
PARAMS = {
    "OS": (1, "Overall Survival (days)"),
    "PFS": (2, "Progression-Free Survival (days)"),
    "PFS2": (3, "Progression-Free Survival 2 (days)"),
    "TTNT": (4, "Time to Next Anti-Myeloma Therapy (days)"),
}

# The TOURMALINE sources (their texts are this study's, not admiralonco's: see
# derivations.sources for those). ``adsl`` holds DTHDT, DTHCAUS, LSTALVDT, RANDDT, NACTDT;
# ``adrs`` the parameters of :func:`derive_adrs` (PARAMCD, AVALC, ADT, ASEQ or RSSEQ):
# ``PD``/``Y`` the first progression, ``LSTA`` the last disease assessment, ``PDNL``/``Y``
# the first progression after the start of the next line.
DEATH_DUE_TO_PD = "PROGRESSIVE DISEASE"
death_event = EventSource(
    "adsl", date="DTHDT",
    set_values_to={"EVNTDESC": "DEATH", "SRCDOM": "ADSL", "SRCVAR": "DTHDT"})
death_pd_event = EventSource(
    "adsl", date="DTHDT", filter=f"DTHCAUS == '{DEATH_DUE_TO_PD}'",
    set_values_to={"EVNTDESC": "DEATH DUE TO PROGRESSIVE DISEASE", "SRCDOM": "ADSL",
                   "SRCVAR": "DTHDT"})
pd_event = EventSource(
    "adrs", date="ADT", filter="PARAMCD == 'PD' and AVALC == 'Y'",
    set_values_to={"EVNTDESC": "PD", "SRCDOM": "ADRS", "SRCVAR": "ADT", "SRCSEQ": Col("ASEQ")})
pd_on_next_line_event = EventSource(
    "adrs", date="ADT", filter="PARAMCD == 'PDNL' and AVALC == 'Y'",
    set_values_to={"EVNTDESC": "PD ON NEXT-LINE THERAPY", "SRCDOM": "ADRS", "SRCVAR": "ADT",
                   "SRCSEQ": Col("ASEQ")})
next_line_event = EventSource(
    "adsl", date="NACTDT",
    set_values_to={"EVNTDESC": "START OF NEXT-LINE THERAPY", "SRCDOM": "ADSL", "SRCVAR": "NACTDT"})
lastalive_censor = CensorSource(
    "adsl", date="LSTALVDT",
    set_values_to={"EVNTDESC": "LAST KNOWN ALIVE DATE", "CNSDTDSC": "LAST KNOWN ALIVE DATE",
                   "SRCDOM": "ADSL", "SRCVAR": "LSTALVDT"})
lasta_censor = CensorSource(
    "adrs", date="ADT", filter="PARAMCD == 'LSTA'",
    set_values_to={"EVNTDESC": "LAST TUMOR ASSESSMENT", "CNSDTDSC": "LAST TUMOR ASSESSMENT",
                   "SRCDOM": "ADRS", "SRCVAR": "ADT", "SRCSEQ": Col("ASEQ")})
rand_censor = CensorSource(
    "adsl", date="RANDDT",
    set_values_to={"EVNTDESC": "RANDOMIZATION", "CNSDTDSC": "RANDOMIZATION DATE",
                   "SRCDOM": "ADSL", "SRCVAR": "RANDDT"})

# SDTM-traced versions of those sources
_RS_TRACE = {"SRCDOM": "RS", "SRCVAR": "RSDTC", "SRCSEQ": Col("RSSEQ")}
PD = replace(pd_event, set_values_to={"EVNTDESC": "PROGRESSIVE DISEASE", **_RS_TRACE})
PD_NEXT_LINE = replace(pd_on_next_line_event,
                       set_values_to={"EVNTDESC": "PROGRESSIVE DISEASE ON NEXT-LINE THERAPY", **_RS_TRACE})
LAST_ASSESSMENT = replace(lasta_censor, set_values_to={
    "EVNTDESC": "LAST DISEASE ASSESSMENT", "CNSDTDSC": "LAST DISEASE ASSESSMENT", **_RS_TRACE})
SOURCES = {
    "OS": ([death_event], [lastalive_censor]),
    "PFS": ([PD, death_event], [LAST_ASSESSMENT, rand_censor]),
    "PFS2": ([PD_NEXT_LINE, death_event], [lastalive_censor]),
    "TTNT": ([next_line_event, death_pd_event], [lastalive_censor]),
}


def derive(sdtm: dict, study) -> dict[str, Dataset]:
    """``{'adsl': ADSL, 'adtte': ADTTE}`` of a TOURMALINE twin from its SDTM datasets."""
    return derive_with_findings(sdtm, study)[0]


def derive_with_findings(sdtm: dict, study) -> tuple[dict[str, Dataset], list[Finding]]:
    """:func:`derive` and the derivation findings (invalid dates, time-to-event notes)."""
    return collect(derive_in_stages(sdtm, study))


def derive_in_stages(sdtm: dict, study):
    """The study's dataset program (see :mod:`derivations.program`): yields ADSL, then
    ADTTE; returns the derivation findings."""
    sdtm = Sdtm(sdtm, elsewhere=["ex"])
    dosing = forked(_dose_dates, sdtm)             # EX (the largest domain) on the other core
    adsl_findings: list[Finding] = []
    rs_findings: list[Finding] = []
    tte_findings: list[Finding] = []
    try:
        assessments = _assessments(sdtm, rs_findings)  # used by ADSL and ADTTE, parsed once
        adsl = derive_adsl(sdtm, study, adsl_findings, assessments, dosing)
    except BaseException:
        dosing.cancel()                            # its result will not be asked for
        raise
    sdtm.release(*sdtm.sdtm)                       # ADTTE needs ADSL and the assessments only
    yield "adsl", _dataset("ADSL", "Subject-Level Analysis Dataset", adsl, ADSL_VARS)
    adrs = derive_adrs(sdtm, adsl, tte_findings, assessments, ovr_records=False)
    del assessments                                # not read again: freed before the time-to-event steps
    adtte = derive_adtte(sdtm, adsl, tte_findings, adrs=adrs)
    yield "adtte", _dataset("ADTTE", "Time-to-Event Analysis Dataset", adtte, ADTTE_VARS)
    return adsl_findings + rs_findings + tte_findings


# ---------------------------------------------------------------- helpers

#: the SDTM variables the program reads (besides the keys, and DM and TS whole), asked for
#: together at a domain's first use so that each file is read once; in order of first use
#: (a folder reads the next while the program works on one)
SDTM_READ = {
    "rs": ["RSTESTCD", "RSCAT", "RSSEQ", "RSDTC", "RSSTRESC"],
    "ds": ["DSSTDTC", "DSSEQ", "DSDECOD", "DSSCAT", "DSTERM"],
    "ex": ["EXSTDTC", "EXENDTC", "EXDOSE", "EXTRT", "EXSEQ"],
    "suppdm": ["QNAM", "QVAL"],
    "lb": ["LBCAT", "LBTESTCD", "LBSEQ", "LBSTRESC"],
    "cm": ["CMSCAT", "CMCAT", "CMCLAS", "CMDECOD", "CMSTDTC", "CMGRPID"],
    "ss": ["SSDTC", "SSTESTCD", "SSSTRESC"],
}

#: the subject of a record as one integer (its DM subject's number), so the merges below
#: match integers instead of STUDYID/USUBJID text; never written to the ADaM datasets
SID = "__SID"
BY = [SID]


class Sdtm:
    """The SDTM domains of one derivation, each record numbered by its DM subject
    (:data:`SID`; subjects not in DM get numbers after those of DM)."""

    def __init__(self, sdtm, elsewhere=()):
        """``elsewhere``: domains read by another process (left out of the read-ahead)."""
        self.sdtm = sdtm.sdtm if isinstance(sdtm, Sdtm) else sdtm
        if isinstance(sdtm, DatasetFolder):
            self.sdtm.read_ahead([(name, KEYS + columns) for name, columns in SDTM_READ.items()
                                  if name not in elsewhere])
            for name in elsewhere:                  # used by this program, read in another process
                self.sdtm.used.setdefault(name)
        dm = self.frame("dm")
        self.dm_sid = group_codes(dm, KEYS)
        first = first_rows(self.dm_sid)
        self.subjects = SubjectIndex(dm.iloc[first], KEYS)
        self.n_subjects = len(first)
        self._ids: dict[str, np.ndarray] = {}

    def __contains__(self, name: str) -> bool:
        return name in self.sdtm

    def frame(self, name: str, columns=None) -> pd.DataFrame:
        """The frame of a domain: whole, or with (at least) the keys and ``columns`` when
        the SDTM is a :class:`~adam.io.DatasetFolder` (only those are read)."""
        if name not in self.sdtm:
            raise InputError(f"SDTM domain {name.upper()} is missing (needed for the TOURMALINE ADaM)")
        if isinstance(self.sdtm, DatasetFolder):   # one pass per file; text as categoricals
            return self.sdtm.frame(name, None if columns is None
                                   else KEYS + list(columns) + SDTM_READ.get(name, []))
        ds = self.sdtm[name]
        return ds.frame if isinstance(ds, Dataset) else ds

    def release(self, *names: str) -> None:
        """Free what was read of these domains once the program is done with them (a
        :class:`~adam.io.DatasetFolder` forgets them; a dict of datasets is left as given)."""
        for name in names:
            self._ids.pop(name, None)
            if isinstance(self.sdtm, DatasetFolder):
                self.sdtm.release(name)

    def ids(self, frame: pd.DataFrame) -> np.ndarray:
        """:data:`SID` of each record of ``frame``."""
        sid = self.subjects.ids(frame)
        unknown = np.flatnonzero(sid < 0)
        if len(unknown):
            others = pd.DataFrame({k: values_at(frame[k], unknown) for k in KEYS})
            sid[unknown] = self.n_subjects + group_codes(others, KEYS)
        return sid

    def domain(self, name: str, columns, rows=None, **new) -> pd.DataFrame:
        """The records of a domain meeting ``rows`` (a boolean mask, default all) with
        :data:`SID`, the ``columns`` it has (text read coded stays categorical) and the
        ``new`` columns (values for all records): the steps below never copy variables
        they do not use."""
        frame = self.frame(name, columns)
        keep = slice(None) if rows is None or np.all(rows) else np.flatnonzero(rows)  # all: views
        if name not in self._ids:
            self._ids[name] = self.ids(frame)
        data = {SID: self._ids[name][keep]}
        data.update({c: rows_of(frame[c], keep) for c in columns if c in frame.columns})
        data.update({c: np.asarray(v)[keep] for c, v in new.items()})
        # one array per column (taken rows, or views of arrays nothing else changes): no
        # copy, one block each (no consolidation)
        return pd.DataFrame(data, index=frame.index[keep], copy=False)


def _as_sdtm(sdtm) -> Sdtm:
    return sdtm if isinstance(sdtm, Sdtm) else Sdtm(sdtm)


def _any_equal(frame: pd.DataFrame, **values) -> np.ndarray:
    """Rows where any of the named columns holds one of its listed values (all rows
    when a column is missing, so the steps using it report it)."""
    if any(c not in frame.columns for c in values):
        return np.ones(len(frame), dtype=bool)
    mask = np.zeros(len(frame), dtype=bool)
    for col, wanted in values.items():
        mask |= frame[col].isin(wanted).to_numpy()
    return mask


def _add(adsl: pd.DataFrame, derivation, *args, uses=(), **kwargs) -> pd.DataFrame:
    """``adsl`` with the variables that ``derivation`` (a primitive taking the dataset
    first) adds, run on :data:`SID` and the ``uses`` variables only, so ADSL is not
    copied at each step."""
    base = adsl[BY + [c for c in uses if c in adsl.columns]]
    out = derivation(base, *args, **kwargs)
    for col in out.columns:
        if col not in base.columns:
            adsl[col] = out[col]
    return adsl


def _selected(frame: pd.DataFrame, columns, rows=None) -> pd.DataFrame:
    """``frame``'s ``rows`` (positions, default all) and ``columns`` as a new frame with
    a fresh index, one array per column (no consolidation copy; without ``rows`` the
    arrays are shared with ``frame``)."""
    data = {c: rows_of(frame[c], slice(None) if rows is None else rows) for c in columns}
    return pd.DataFrame(data, columns=list(columns), copy=False)


def _dataset(name: str, label: str, frame: pd.DataFrame, table) -> Dataset:
    """The variables of ``table`` that ``frame`` has, text as categoricals (each
    distinct value hashed once, here, not again by each check and by the writer)."""
    cols = [v for v in table if v[0] in frame.columns]
    frame = _selected(frame, [v[0] for v in cols])
    variables = []
    for var, lab, typ, length, fmt in cols:
        if typ == CHAR:
            if frame[var].dtype == object:
                frame[var] = as_categorical(frame[var].to_numpy())
            length = max(length or 1, max(1, char_width(frame[var])))
        variables.append(Variable(var, lab, typ, length, fmt))
    return Dataset(name, frame, label, variables)


def _mapped(values: pd.Series, mapping: dict) -> pd.Series:
    return values.map(mapping).astype(object).where(values.isin(list(mapping)), np.nan)


# ---------------------------------------------------------------- ADSL

def derive_adsl(sdtm, study, findings: list, assessments: pd.DataFrame | None = None,
                dosing=None) -> pd.DataFrame:
    """ADSL (with :data:`SID`) from the SDTM domains (a dict or :class:`Sdtm`);
    ``dosing``: :func:`_dose_dates` already started (a future), else computed here."""
    sdtm = _as_sdtm(sdtm)
    if assessments is None:
        assessments = _assessments(sdtm, [])
    ds = sdtm.domain("ds", ["DSSEQ", "DSDECOD", "DSSCAT", "DSTERM"],
                     DSSTDT=checked_dtc_to_dt(sdtm.frame("ds", ["DSSTDTC"]), "DSSTDTC", "DS", findings))
    rand = derive_vars_merged(pd.DataFrame({SID: sdtm.dm_sid}), ds, BY, order=["DSSTDT", "DSSEQ"],
                              new_vars={"RANDDT": "DSSTDT"}, filter_add="DSDECOD == 'RANDOMIZED'",
                              mode="first", exist_flag="ITTFL")
    itt = np.flatnonzero((rand["ITTFL"] == "Y").to_numpy())
    adsl = sdtm.frame("dm").take(itt)
    adsl.index = pd.RangeIndex(len(itt))     # a new frame: renumbered without a copy
    for col in rand.columns:
        adsl[col] = rand[col].to_numpy()[itt]
    adsl = _cutoff(adsl, sdtm, study)
    adsl = _strata_and_subgroups(adsl, sdtm)
    sdtm.release("rs", "lb", "suppdm")
    adsl = _treatment(adsl, dosing.result() if dosing is not None else _dose_dates(sdtm), findings)
    adsl = _death_and_last_alive(adsl, sdtm, ds, assessments, findings)
    adsl = _disposition(adsl, ds)
    adsl = _subsequent_therapy(adsl, sdtm, assessments, findings)
    return adsl


def _dose_dates(sdtm: Sdtm) -> tuple[pd.DataFrame, list[Finding]]:
    """First and last dose dates (TRTSDT, TRTEDT) of every DM subject (row :data:`SID`)
    from the EX records with a dose (or placebo), and the findings on EX dates."""
    findings: list[Finding] = []
    ex = sdtm.frame("ex", ["EXSTDTC", "EXENDTC", "EXDOSE", "EXTRT"])
    start = checked_dtc_to_dt(ex, "EXSTDTC", "EX", findings)
    end = checked_dtc_to_dt(ex, "EXENDTC", "EX", findings).fillna(start)
    ex = sdtm.domain("ex", ["EXSEQ"], rows=row_mask(ex, "EXDOSE > 0 or EXTRT == 'PLACEBO'"),
                     EXSTDT=start, EXENDT=end)
    dates = pd.DataFrame({SID: np.arange(sdtm.n_subjects)})
    dates = _add(dates, derive_vars_merged, ex, BY, order=["EXSTDT", "EXSEQ"],
                 new_vars={"TRTSDT": "EXSTDT"}, mode="first")
    dates = _add(dates, derive_vars_merged, ex, BY, order=["EXENDT", "EXSEQ"],
                 new_vars={"TRTEDT": "EXENDT"}, mode="last")
    sdtm.release("ex")
    return dates, findings


def _treatment(adsl: pd.DataFrame, dosing: tuple[pd.DataFrame, list[Finding]], findings: list) -> pd.DataFrame:
    dates, dose_findings = dosing
    findings += dose_findings
    subject = adsl[SID].to_numpy()
    for col in ("TRTSDT", "TRTEDT"):
        adsl[col] = dates[col].to_numpy()[subject]
    adsl["SAFFL"] = np.where(adsl["TRTSDT"].notna(), "Y", "N").astype(object)
    adsl["TRT01P"] = adsl["ARM"]
    adsl["TRT01PN"] = adsl["TRT01P"].map(TRTN).astype(float)
    adsl["TRT01A"] = adsl["ACTARM"].where(adsl["ACTARM"].isin(list(TRTN)), np.nan)
    adsl["TRT01AN"] = adsl["TRT01A"].map(TRTN).astype(float)
    return adsl


def _cutoff(adsl: pd.DataFrame, sdtm: Sdtm, study) -> pd.DataFrame:
    cutoff = getattr(study, "data_cutoff", None)
    if "ts" in sdtm:
        ts = sdtm.frame("ts")
        rows = ts.loc[ts["TSPARMCD"] == "DCUTDTC", "TSVAL"]
        if len(rows):
            cutoff = rows.iloc[0]
    adsl["DCUTDT"] = convert_dtc_to_dt(pd.Series([cutoff] * len(adsl), index=adsl.index, dtype=object))
    return adsl


def _strata_and_subgroups(adsl: pd.DataFrame, sdtm: Sdtm) -> pd.DataFrame:
    supp = sdtm.domain("suppdm", ["QNAM", "QVAL"])
    for n in (1, 2, 3, 4):
        if (supp["QNAM"] == f"STRAT{n}").any():
            adsl = _add(adsl, derive_vars_merged, supp, BY, new_vars={f"STRAT{n}R": "QVAL"},
                        filter_add=f"QNAM == 'STRAT{n}'")
    age = adsl["AGE"]
    groups = np.select([age < 60, age < 75], ["<60", ">=60 to <75"], ">=75").astype(object)
    adsl["AGEGR1"] = pd.Series(groups, index=adsl.index).where(age.notna(), np.nan)
    # only the records some step below selects (filter_add then runs on far fewer)
    rs, lb = sdtm.frame("rs", ["RSTESTCD", "RSCAT"]), sdtm.frame("lb", ["LBCAT", "LBTESTCD"])
    cm = sdtm.frame("cm", ["CMSCAT"])
    rs = sdtm.domain("rs", ["RSSEQ", "RSTESTCD", "RSCAT", "RSSTRESC"],
                     rows=_any_equal(rs, RSTESTCD=["ISSSTAGE", "FRAILTY"], RSCAT=["RESPONSE AT STUDY ENTRY"]))
    lb = sdtm.domain("lb", ["LBSEQ", "LBTESTCD", "LBCAT", "LBSTRESC"],
                     rows=_any_equal(lb, LBCAT=["CYTOGENETICS"], LBTESTCD=["MRD"]))
    cm = sdtm.domain("cm", ["CMCAT", "CMSCAT", "CMCLAS"], rows=_any_equal(cm, CMSCAT=["INDUCTION"]))
    adsl = _add(adsl, derive_vars_merged, rs, BY, new_vars={"ISSGR1": "RSSTRESC"},
                filter_add="RSTESTCD == 'ISSSTAGE'", order=["RSSEQ"], mode="last")
    adsl = _add(adsl, derive_vars_merged, rs, BY, new_vars={"RESPGR1": "RSSTRESC"},
                filter_add="RSCAT == 'RESPONSE AT STUDY ENTRY'", order=["RSSEQ"], mode="last")
    adsl["RESPGR1"] = _mapped(adsl["RESPGR1"], {"CR": "CR", "VGPR": "VGPR or less", "PR": "VGPR or less"})
    adsl = _add(adsl, derive_var_merged_exist_flag, lb, BY, "CYTOGR1", "LBSTRESC == 'POSITIVE'",
                true_value="High risk", false_value="Standard risk", filter_add="LBCAT == 'CYTOGENETICS'")
    adsl = _add(adsl, derive_var_merged_exist_flag, cm, BY, "INDPIGR1", "CMCLAS == 'PROTEASOME INHIBITOR'",
                true_value="PI-exposed", false_value="PI-naive",
                filter_add="CMCAT == 'PRIOR ANTI-MYELOMA THERAPY' and CMSCAT == 'INDUCTION'")
    adsl = _add(adsl, derive_vars_merged, lb, BY, new_vars={"MRDGR1": "LBSTRESC"},
                filter_add="LBTESTCD == 'MRD'", order=["LBSEQ"], mode="last")
    adsl["MRDGR1"] = _mapped(adsl["MRDGR1"], {"POSITIVE": "Positive", "NEGATIVE": "Negative"})
    if (rs["RSTESTCD"] == "FRAILTY").any():
        adsl = _add(adsl, derive_vars_merged, rs, BY, new_vars={"FRAILGR1": "RSSTRESC"},
                    filter_add="RSTESTCD == 'FRAILTY'", order=["RSSEQ"], mode="last")
        adsl["FRAILGR1"] = _mapped(adsl["FRAILGR1"], {"FRAIL": "Frail", "NON-FRAIL": "Non-frail"})
    return adsl


def _assessments(sdtm: Sdtm, findings: list) -> pd.DataFrame:
    """RS overall-response assessments with their dates (RSDT)."""
    rs = sdtm.frame("rs", ["RSTESTCD", "RSCAT"])
    rows = (rs["RSTESTCD"] == "OVRLRESP").to_numpy() & (rs["RSCAT"] != "RESPONSE AT STUDY ENTRY").to_numpy()
    rs = sdtm.domain("rs", KEYS + ["RSSEQ", "RSDTC", "RSCAT", "RSSTRESC"], rows=rows)
    rs["RSDT"] = checked_dtc_to_dt(rs, "RSDTC", "RS", findings)
    return rs


def _death_and_last_alive(adsl, sdtm: Sdtm, ds, rs, findings) -> pd.DataFrame:
    adsl = _add(adsl, derive_vars_merged, rs, BY, order=["RSDT"], new_vars={"__LASTRS": "RSDT"},
                mode="last", filter_add=lambda f: f["RSDT"].notna())
    findings.extend(find_invalid_dtc(adsl, "DTHDTC", "DM"))
    adsl = _add(adsl, derive_vars_dt, "DTH", "DTHDTC", highest_imputation="M", date_imputation="first",
                min_dates=["RANDDT", "TRTEDT", "__LASTRS"], max_dates=["DCUTDT"],
                uses=["DTHDTC", "RANDDT", "TRTEDT", "__LASTRS", "DCUTDT", "DTHDTF"])
    adsl = _add(adsl, derive_vars_merged, ds, BY, new_vars={"DTHCAUS": "DSTERM"}, order=["DSSEQ"],
                mode="last", filter_add="DSSCAT == 'END OF STUDY' and DSDECOD == 'DEATH'")
    adsl["DTHCAUS"] = _mapped(adsl["DTHCAUS"], DEATH_CAUSES)
    ss = sdtm.domain("ss", ["SSTESTCD", "SSSTRESC"],
                     SSDT=checked_dtc_to_dt(sdtm.frame("ss", ["SSDTC"]), "SSDTC", "SS", findings))
    alive = [DateSource("ss", "SSDT", "SSTESTCD == 'SURVSTAT' and SSSTRESC == 'ALIVE'"),
             DateSource("adsl", "TRTEDT"), DateSource("adsl", "RANDDT")]
    base = adsl[BY + ["TRTEDT", "RANDDT"]]
    adsl["LSTALVDT"] = derive_var_extreme_dt(base, "LSTALVDT", alive, {"adsl": base, "ss": ss},
                                             subject_keys=BY)["LSTALVDT"]
    adsl["LSTALVDT"] = adsl["DTHDT"].where(adsl["DTHDT"].notna(), adsl["LSTALVDT"])
    return adsl.drop(columns=["__LASTRS"])


def _disposition(adsl: pd.DataFrame, ds: pd.DataFrame) -> pd.DataFrame:
    adsl = _add(adsl, derive_vars_merged, ds, BY, new_vars={"__EOT": "DSDECOD"}, order=["DSSEQ"],
                mode="last", filter_add="DSSCAT == 'END OF TREATMENT'")
    eot = adsl["__EOT"]
    status = np.where(eot.isna(), "ONGOING", np.where(eot == "COMPLETED", "COMPLETED", "DISCONTINUED"))
    treated = adsl["SAFFL"] == "Y"
    adsl["EOTSTT"] = pd.Series(status, index=adsl.index, dtype=object).where(treated, np.nan)
    adsl["DCTREAS"] = eot.where(treated & eot.notna() & (eot != "COMPLETED"), np.nan)
    adsl["NTRTREAS"] = eot.where(~treated & eot.notna(), np.nan)
    adsl = _add(adsl, derive_vars_merged, ds, BY, new_vars={"DCSREAS": "DSDECOD"}, order=["DSSEQ"],
                mode="last", filter_add="DSSCAT == 'END OF STUDY'")
    adsl["EOSSTT"] = np.where(adsl["DCSREAS"].notna(), "DISCONTINUED", "ONGOING").astype(object)
    return adsl.drop(columns="__EOT")


def _line_numbers(grpid: pd.Series) -> np.ndarray:
    """The trailing number of CMGRPID (``LINE 2`` -> 2), parsed once per distinct value."""
    codes, uniques = pd.factorize(grpid)
    numbers = pd.to_numeric(pd.Series(uniques, dtype=object).str.extract(r"(\d+)\s*$")[0],
                            errors="coerce").to_numpy(dtype=float)
    return np.append(numbers, np.nan)[np.where(codes < 0, len(numbers), codes)]


def _subsequent_therapy(adsl: pd.DataFrame, sdtm: Sdtm, rs: pd.DataFrame, findings: list) -> pd.DataFrame:
    cm = sdtm.frame("cm", ["CMCAT"])
    cm = sdtm.domain("cm", KEYS + ["CMCLAS", "CMDECOD", "CMSTDTC", "CMGRPID"],
                     rows=(cm["CMCAT"] == SUBSEQUENT).to_numpy())
    adsl = _add(adsl, derive_var_merged_exist_flag, cm, BY, "SUBTHFL", lambda f: np.ones(len(f), bool),
                false_value="N", missing_value="N")
    for flag, klass in CLASS_FLAGS.items():
        adsl = _add(adsl, derive_var_merged_exist_flag, cm, BY, flag, f"CMCLAS == '{klass}'",
                    false_value="N", missing_value="N")
    findings.extend(find_invalid_dtc(cm, "CMSTDTC", "CM"))
    first_pd = derive_vars_merged(adsl[BY], rs, BY, order=["RSDT"], new_vars={"PDDT": "RSDT"},
                                  mode="first", filter_add=lambda f: (f["RSSTRESC"] == "PD") & f["RSDT"].notna())
    cm = derive_vars_merged(cm, adsl[BY + ["RANDDT"]].assign(PDDT=first_pd["PDDT"]), BY,
                            new_vars=["RANDDT", "PDDT"])
    cm = derive_vars_dt(cm, "CMST", "CMSTDTC", highest_imputation="M", date_imputation="first",
                        min_dates=[cm["RANDDT"] + pd.Timedelta(days=1), "PDDT"])
    cm["CMLINE"] = _line_numbers(cm["CMGRPID"])
    return _add(adsl, derive_vars_nextline, cm, BY, start_date="RANDDT", date="CMSTDT", drug="CMDECOD",
                line="CMLINE", is_pi="CMCLAS == 'PROTEASOME INHIBITOR'", uses=["RANDDT"])


# ---------------------------------------------------------------- ADTTE

#: the ADSL variables the time-to-event sources use
TTE_ADSL_VARS = ["USUBJID", "RANDDT", "DCUTDT", "DTHDT", "DTHCAUS", "LSTALVDT", "NACTDT"]


#: the response criteria of the twins' disease assessments (admiralonco's IMWG vignette)
CRITERIA = IMWG
ON_STUDY = "ON-STUDY DISEASE ASSESSMENT"
#: the ADRS variables the time-to-event sources and the response parameters read
ADRS_VARS = BY + ["PARAMCD", "AVALC", "ADT", "RSSEQ"]
#: the OVR records ANL01FL chooses among (IMWG vignette: a known response on or after RANDDT)
ANL01FL_FILTER = "AVAL.notna() and ADT >= RANDDT"


def derive_adrs(sdtm, adsl: pd.DataFrame, findings: list, assessments: pd.DataFrame | None = None,
                response: bool = False, ovr_records: bool = True) -> pd.DataFrame:
    """ADRS as admiralonco's ADRS template and IMWG vignette derive it, with the public
    blocks, for the ITT subjects of ``adsl`` (each record keeps RSSEQ, the SDTM record
    the time-to-event sources point at):

    - ``OVR``: the RS overall responses of the on-study disease assessments (RSCAT
      ``ON-STUDY DISEASE ASSESSMENT``; ADT = RSDTC, records without a valid date left
      out; AVALC = RSSTRESC, AVAL by :data:`CRITERIA`); ANL01FL (IMWG vignette): among
      the records with an AVAL on or after RANDDT, one per date, the worst (lowest AVAL,
      then RSSEQ);
    - ``PD``: ``Y`` at the first OVR PD with ANL01FL, ``N`` for the other ITT subjects;
    - ``LSTA``: the last OVR record with ANL01FL (the last disease assessment);
    - ``PDNL``: ``Y`` at the first progression (RS OVRLRESP ``PD`` of any category but
      the response at study entry) after the start of the next line (NACTDT).

    ``response=True`` adds ANL02FL (OVR up to the first PD) and the response parameters
    of the IMWG criteria (RSP, CB, BOR, CRSP, CBOR; :func:`~derivations.response.response_events`)
    and numbers the records (ASEQ); the time-to-event parameters need neither, so
    ``derive`` leaves them out, and the OVR records too (``ovr_records=False``). Then only
    the OVR records PD and LSTA can be chosen from are flagged (:func:`_pd_and_last_dates`;
    the same PD and LSTA records, on about a tenth of the records)."""
    rs = _assessments(_as_sdtm(sdtm), findings) if assessments is None else assessments
    dated = rs["RSDT"].notna().to_numpy()
    columns = {"RSSEQ": "RSSEQ", "RSSTRESC": "AVALC", "RSDT": "ADT"}

    def records(rows):            # only the variables the steps read: 10^7 records at 10^6 subjects
        frame = _selected(rs, BY + list(columns), np.flatnonzero(rows))
        frame.columns = BY + list(columns.values())
        return frame

    itt = adsl.loc[(adsl["ITTFL"] == "Y").to_numpy(), BY + ["RANDDT", "NACTDT"]]
    progressions = records(dated & (rs["RSSTRESC"] == CRITERIA.progression).to_numpy())
    on_study = dated & (rs["RSCAT"] == ON_STUDY).to_numpy()
    if not (response or ovr_records):
        on_study = _pd_and_last_dates(rs, on_study, itt)
    ovr = derive_vars_merged(records(on_study), itt, BY, new_vars=["RANDDT"])
    del rs, records, dated, on_study   # the RS records are not read again (freed if the caller let go)
    ovr["AVAL"] = CRITERIA.aval_of(ovr["AVALC"])
    ovr = derive_var_extreme_flag(ovr, BY + ["ADT"], ["AVAL", "RSSEQ"], "ANL01FL", mode="first",
                                  filter=ANL01FL_FILTER)
    ref = itt[BY]
    first_pd = derive_extreme_records(None, ovr, ref, BY, order=["ADT", "RSSEQ"], mode="first",
                                      filter_add=f"AVALC == '{CRITERIA.progression}' and ANL01FL == 'Y'",
                                      exist_flag="AVALC", false_value="N",
                                      keep_source_vars=ADRS_VARS, set_values_to={"PARAMCD": "PD"})
    lsta = derive_extreme_records(None, ovr, None, BY, order=["ADT", "RSSEQ"], mode="last",
                                  filter_add="ANL01FL == 'Y'", keep_source_vars=ADRS_VARS,
                                  set_values_to={"PARAMCD": "LSTA"})
    progressions = derive_vars_merged(progressions, itt, BY, new_vars=["NACTDT"])
    pdnl = derive_extreme_records(None, progressions, None, BY, order=["ADT", "RSSEQ"], mode="first",
                                  filter_add="ADT > NACTDT", keep_source_vars=ADRS_VARS,
                                  set_values_to={"PARAMCD": "PDNL", "AVALC": "Y"})
    parts = [first_pd, lsta, pdnl]
    if response:
        parts += _response_parameters(ovr, itt[BY + ["RANDDT"]])
    if ovr_records:
        ovr["PARAMCD"] = np.full(len(ovr), "OVR", dtype=object)
        parts.insert(0, ovr)
    adrs = pd.concat(parts, ignore_index=True, sort=False)
    if response:
        adrs = derive_var_obs_number(adrs, BY, ["PARAMCD", "ADT", "RSSEQ"])
    return adrs


def _pd_and_last_dates(rs: pd.DataFrame, rows: np.ndarray, itt: pd.DataFrame) -> np.ndarray:
    """The records of ``rows`` (a mask of the assessments ``rs``) that PD and LSTA can be
    chosen from, as a mask: those meeting :data:`ANL01FL_FILTER` on each subject's last
    date with such a record, or on a date with such a PD. ANL01FL is chosen per subject and
    date among the records meeting the filter, so over these whole (subject, date) groups
    it flags the records it flags over all; the PD record (the first PD with ANL01FL) is on
    a date with a PD, and the LSTA record (the last with ANL01FL, one per date) on the last
    date. At 10^6 subjects ~10^7 on-study records become ~10^6, and only arrays of single
    columns are made here (no frame of the 10^7 records, no text per record)."""
    sid = rs[SID].to_numpy()
    adt = rs["RSDT"].to_numpy()
    size = max(int(sid.max(initial=-1)), int(itt[SID].max()) if len(itt) else -1) + 1
    randdt = itt["RANDDT"].to_numpy()
    by_subject = np.full(size, np.datetime64("NaT"), dtype=randdt.dtype)   # as the merge: NaT for the others
    by_subject[itt[SID].to_numpy()] = randdt
    lean = pd.DataFrame({"AVAL": CRITERIA.aval_of(rs["RSSTRESC"]), "ADT": adt, "RANDDT": by_subject[sid]},
                        copy=False)
    meets = rows & row_mask(lean, ANL01FL_FILTER, "filter")
    del lean
    day = adt.view(np.int64)                        # NaT (the least int64) never meets the filter
    low = np.iinfo(np.int64).min
    last = np.full(size, low, dtype=np.int64)
    np.maximum.at(last, sid, np.where(meets, day, low))
    keep = meets & (day == last[sid])
    # and the dates with a PD (those of the PDs not on the last date: in the twins, few)
    progression = np.flatnonzero(meets & ~keep & (rs["RSSTRESC"] == CRITERIA.progression).to_numpy())
    if len(progression):
        with_pd = np.zeros(size, dtype=bool)
        with_pd[sid[progression]] = True
        others = np.flatnonzero(meets & ~keep & with_pd[sid])   # these subjects' other records
        dates = np.unique(day[progression])         # (subject, date) as one integer
        at = np.minimum(np.searchsorted(dates, day[others]), len(dates) - 1)
        pairs = pd.Index(np.unique(sid[progression] * len(dates) + np.searchsorted(dates, day[progression])))
        found = (pairs.get_indexer(sid[others] * len(dates) + at) >= 0) & (dates[at] == day[others])
        keep[others[found]] = True
    return keep


def _response_parameters(ovr: pd.DataFrame, adsl: pd.DataFrame) -> list[pd.DataFrame]:
    """RSP, CB, BOR, CRSP and CBOR of the IMWG criteria over the OVR records that count
    (ANL01FL, and ANL02FL: up to the first PD), as admiralonco's IMWG vignette."""
    ovr = derive_var_relative_flag(ovr, BY, ["ADT", "RSSEQ"], "ANL02FL", f"AVALC == '{CRITERIA.progression}'",
                                   "first", "before", inclusive=True)
    source = ovr.loc[((ovr["ANL01FL"] == "Y") & (ovr["ANL02FL"] == "Y")).to_numpy()]
    sources = {"ovr": source, "adsl": adsl}
    ev = response_events(CRITERIA, keep_adsl_vars=["RANDDT"])
    params = [("RSP", [ev["rsp_y"], ev["no_data_n"]], ["event_nr", "ADT"]),
              ("CB", [ev["rsp_y"], ev["cb_y"], ev["no_data_n"]], ["-AVALC", "ADT", "event_nr"]),
              ("BOR", ev["bor"], ["event_nr", "ADT"]),
              ("CRSP", ev["crsp"] + [ev["no_data_n"]], ["-AVALC", "ADT", "event_nr"]),
              ("CBOR", ev["cbor"], ["event_nr", "ADT"])]
    return [derive_extreme_event(None, BY, events, order, "first", sources, "event_nr",
                                 {"PARAMCD": paramcd}) for paramcd, events, order in params]


def derive_adtte(sdtm, adsl: pd.DataFrame, findings: list,
                 assessments: pd.DataFrame | None = None, adrs: pd.DataFrame | None = None) -> pd.DataFrame:
    """ADTTE (with :data:`SID`), one record per ITT subject and parameter, sorted by
    USUBJID and PARAMN; ``adrs``: :func:`derive_adrs`'s parameters (``ovr_records=False``)
    when already derived."""
    if adrs is None:
        adrs = derive_adrs(sdtm, adsl, findings, assessments, ovr_records=False)
    adrs = adrs[ADRS_VARS]
    # the sources' filters compare PARAMCD and AVALC: on codes, not on a string per record
    adrs = adrs.assign(**{c: as_categorical(adrs[c].to_numpy()) for c in ("PARAMCD", "AVALC")
                          if adrs[c].dtype == object})
    itt = adsl.loc[adsl["ITTFL"] == "Y", BY + [v for v in TTE_ADSL_VARS if v in adsl.columns]]
    params = []
    for paramcd, (events, censors) in SOURCES.items():
        paramn, param = PARAMS[paramcd]
        params.append(derive_param_tte(
            itt, {"adsl": itt, "adrs": adrs}, "RANDDT", events, censors,
            {"PARAMCD": paramcd, "PARAM": param, "PARAMN": float(paramn)},
            end_date="DCUTDT", findings=findings, subject_keys=BY))
    adtte = pd.concat(params, ignore_index=True)
    # each parameter's records follow ITT order: sort on the subjects' USUBJID ranks, before
    # the ADSL variables are merged (they are then taken once, in the sorted order)
    rank = pd.factorize(itt["USUBJID"].to_numpy(), sort=True)[0].astype(float)
    order = pd.DataFrame({"USUBJIDN": np.tile(np.where(rank < 0, np.nan, rank), len(params)),
                          "PARAMN": adtte["PARAMN"].to_numpy()})
    adtte = _selected(adtte, adtte.columns, sort_records(order, [], ["USUBJIDN", "PARAMN"]).index.to_numpy())
    adtte["AVALU"] = "DAYS"
    to_adtte = KEYS + [v for v in ADSL_TO_ADTTE if v in adsl.columns]
    return _add(adtte, derive_vars_merged, adsl[BY + to_adtte], BY, new_vars=to_adtte)
