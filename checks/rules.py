"""ADaM conformance rules: declared :class:`Rule` objects, each with a stable rule ID,
a severity, a message and the Pinnacle 21 (P21) ADaM rule it mirrors where one exists
(P21 Community ADaM-IG 1.1 configuration). :func:`check_adam_rules` runs them all on a
dict of :class:`~adam.metadata.Dataset` and returns :class:`~adam.findings.Finding` rows.

Structures are recognised from the data: ``ADSL`` by name, BDS by a ``PARAMCD`` column,
time-to-event (BDS-TTE) by a ``CNSR`` or ``STARTDT`` column or the name ``ADTTE``.
Every check is vectorized over records; only failing records become findings.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable, Iterable

import numpy as np
import pandas as pd

from adam.findings import Finding, FindingTable, coded_text
from adam.metadata import NUM, Dataset, positional
from adam.text import factorize_text
from checks.report import format_value

ADSL_REQUIRED = ("STUDYID", "USUBJID", "SUBJID", "SITEID", "AGE", "AGEU", "SEX", "RACE",
                 "ARM", "TRT01P")
BDS_REQUIRED = ("STUDYID", "USUBJID", "PARAM", "PARAMCD")
POPULATION_FLAGS = ("COMPLFL", "FASFL", "ITTFL", "PPROTFL", "SAFFL", "RANDFL", "ENRLFL")
SUBJECT_KEYS = ("STUDYID", "USUBJID")
DATE_IMPUTATION = ("D", "M", "Y")      # CDISC CT codelist DATEFL
TIME_IMPUTATION = ("H", "M", "S")      # CDISC CT codelist TIMEFL
MAX_LABEL, MAX_NAME, MAX_PARAMCD = 40, 8, 8
MAX_VALUE_BYTES = 200                  # a character value in a SAS v5 transport file
_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
_PARAMCD = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_Y_OR_NULL = re.compile(r"^(.*[RP]FL|ABLFL|ANL\d\dFL)$")
TREATMENT_FLAGS = ("TRTEMFL", "PREFL", "ONTRTFL", "FUPFL", "LVOTFL")


@dataclass(frozen=True)
class Violation:
    """What a check found: the failing records (0-based positions) of one variable, or a
    dataset-level problem (``rows`` empty) with an optional value."""

    variable: str | None
    rows: np.ndarray | None = None
    value: object = None
    detail: str = ""


@dataclass(frozen=True)
class Rule:
    """A conformance rule. ``check(ds, study)`` yields :class:`Violation` objects;
    ``study`` is the dict of all datasets keyed by upper-case name."""

    rule_id: str
    severity: str
    message: str
    p21_id: str | None
    applies: str                       # 'adsl', 'bds', 'tte', 'nonadsl' or 'all'
    check: Callable[[Dataset, dict], Iterable[Violation]]


# --------------------------------------------------------------------------- helpers
def is_adsl(ds: Dataset) -> bool:
    return ds.name == "ADSL"


def is_bds(ds: Dataset) -> bool:
    cols = ds.frame.columns
    return "PARAMCD" in cols or "PARAM" in cols or ds.name == "ADTTE"


def is_tte(ds: Dataset) -> bool:
    cols = ds.frame.columns
    return ds.name == "ADTTE" or (is_bds(ds) and ("CNSR" in cols or "STARTDT" in cols))


def _rows(mask) -> np.ndarray:
    return np.flatnonzero(np.asarray(mask, dtype=bool))


def _text(s: pd.Series) -> pd.Series:
    """Character values as stripped strings, missing kept as NaN."""
    s = s.astype(object)
    return s.where(s.isna(), s.astype(str).str.strip())


def _inconsistent_rows(frame: pd.DataFrame, key: str, dependent: str) -> np.ndarray:
    """Rows whose ``dependent`` value differs from the most frequent one for their ``key``
    (ties: first seen), both populated: the minority side of a broken one-to-one map."""
    keys, _ = _codes(frame[key])
    values, _ = _codes(frame[dependent])
    rows = np.flatnonzero((keys >= 0) & (values >= 0))
    if not len(rows):
        return np.array([], dtype=int)
    keys, values = keys[rows].astype(np.int64), values[rows].astype(np.int64)
    width = int(values.max()) + 1
    pair, pairs = pd.factorize(keys * width + values)       # pairs in order of first sight
    count = np.bincount(pair)
    pair_key = pairs // width
    # per key, the most frequent value; ties: the one seen first
    order = np.lexsort((np.arange(len(pairs)), -count, pair_key))
    best = order[np.r_[True, pair_key[order][1:] != pair_key[order][:-1]]]
    expected = np.full(int(keys.max()) + 1, -1, dtype=np.int64)
    expected[pair_key[best]] = pairs[best] % width
    return rows[values != expected[keys]]


def _codes(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Codes (-1 missing) and distinct values of a column, text hashed per object."""
    array = values.to_numpy()
    return factorize_text(array) if array.dtype == object else pd.factorize(array)


def _num_vars(ds: Dataset, suffix: str) -> list[str]:
    return [v.name for v in ds.variables if v.name.endswith(suffix)]


# --------------------------------------------------------------------------- checks
def _adsl_unique(ds, study):
    if "USUBJID" in ds.frame.columns:
        yield Violation("USUBJID", _rows(ds.frame.duplicated(list(
            c for c in SUBJECT_KEYS if c in ds.frame.columns))))


def _required_variables(ds, study):
    needed = ADSL_REQUIRED if is_adsl(ds) else BDS_REQUIRED
    for name in needed:
        if name not in ds.frame.columns:
            yield Violation(name, detail=f"{name} is not present")
    if is_bds(ds) and "AVAL" not in ds.frame.columns and "AVALC" not in ds.frame.columns:
        yield Violation("AVAL", detail="neither AVAL nor AVALC is present")


def _population_flag_present(ds, study):
    if not any(f in ds.frame.columns for f in POPULATION_FLAGS):
        yield Violation(None, detail="none of " + ", ".join(POPULATION_FLAGS) + " is present")


def _required_values(ds, study):
    for name in ("PARAMCD", "PARAM", "USUBJID", "STUDYID"):
        if name in ds.frame.columns:
            yield Violation(name, _rows(ds.frame[name].isna()))


def _subject_in_adsl(ds, study):
    adsl = study.get("ADSL")
    if adsl is None or "USUBJID" not in ds.frame.columns or "USUBJID" not in adsl.frame.columns:
        return
    yield Violation("USUBJID", _rows(~ds.frame["USUBJID"].isin(adsl.frame["USUBJID"])))


def _paramcd_format(ds, study):
    if "PARAMCD" not in ds.frame.columns:
        return
    codes = ds.frame["PARAMCD"].dropna().unique()          # test each distinct code once
    text = pd.Series(codes, dtype=object).astype(str)
    illegal = codes[((text.str.len() > MAX_PARAMCD) | ~text.str.match(_PARAMCD)).to_numpy()]
    yield Violation("PARAMCD", _rows(ds.frame["PARAMCD"].isin(illegal)))


def _pair_check(key: str, dependent: str):
    def check(ds, study):
        if key in ds.frame.columns and dependent in ds.frame.columns:
            yield Violation(dependent, _inconsistent_rows(positional(ds.frame),
                                                          key, dependent))
    return check


def _treatment_pairs(ds, study):
    """TRTxxP/TRTxxPN and TRTxxA/TRTxxAN one-to-one, both directions."""
    cols = set(ds.frame.columns)
    frame = positional(ds.frame)
    for char in sorted(c for c in cols if re.fullmatch(r"TRT\d\d[PA]", c)):
        num = char + "N"
        if num in cols:
            yield Violation(num, _inconsistent_rows(frame, char, num))
            yield Violation(char, _inconsistent_rows(frame, num, char))


def _record_treatment(ds, study):
    """TRTP/TRTA equal ADSL TRTxxP/TRTxxA of the record's period (APERIOD, else 01)."""
    adsl = study.get("ADSL")
    if adsl is None or "USUBJID" not in ds.frame.columns:
        return
    period = (pd.to_numeric(ds.frame["APERIOD"], errors="coerce").fillna(1)
              if "APERIOD" in ds.frame.columns else pd.Series(1.0, index=ds.frame.index))
    for record_var, kind in (("TRTP", "P"), ("TRTA", "A")):
        names = [c for c in adsl.frame.columns if re.fullmatch(rf"TRT\d\d{kind}", c)]
        if record_var not in ds.frame.columns or not names:
            continue
        long = (adsl.frame.drop_duplicates("USUBJID")[["USUBJID", *names]]
                .melt("USUBJID", var_name="NAME", value_name="EXPECTED"))
        long["PERIOD"] = long["NAME"].str[3:5].astype(float)
        keys = pd.DataFrame({"USUBJID": ds.frame["USUBJID"].to_numpy(),
                             "PERIOD": period.to_numpy()})
        expected = keys.merge(long, on=["USUBJID", "PERIOD"], how="left")
        known = expected["NAME"].notna().to_numpy()
        mine = ds.frame[record_var].to_numpy()
        theirs = expected["EXPECTED"].to_numpy()
        differs = ~((mine == theirs) | (pd.isna(mine) & pd.isna(theirs)))
        yield Violation(record_var, _rows(known & differs),
                        detail=f"{record_var} differs from ADSL TRTxx{kind} of the period")


def _cnsr_present(ds, study):
    if "CNSR" not in ds.frame.columns:
        yield Violation("CNSR", detail="CNSR is not present in a time-to-event dataset")


def _tte_dates_present(ds, study):
    cols = ds.frame.columns
    if "STARTDT" not in cols and "STARTDTM" not in cols:
        yield Violation("STARTDT", detail="STARTDT is not present")
    if "ADT" not in cols and "ADTM" not in cols:
        yield Violation("ADT", detail="neither ADT nor ADTM is present")


def _cnsr_values(ds, study):
    if "CNSR" not in ds.frame.columns:
        return
    raw = ds.frame["CNSR"]
    cnsr = pd.to_numeric(raw, errors="coerce")
    bad = cnsr.isna() | (cnsr < 0) | (cnsr != np.floor(cnsr))
    yield Violation("CNSR", _rows(bad))


def _date_metadata(suffix: str, kind: str, extra: tuple = ()):
    def check(ds, study):
        names = set(_num_vars(ds, suffix)) | {n for n in extra if n in ds.frame.columns}
        for name in sorted(names):
            var = ds[name]
            if var.type != NUM:
                yield Violation(name, value=var.type, detail=f"{name} is not numeric")
            elif var.kind != kind:
                yield Violation(name, value=var.format,
                                detail=f"{name} has no SAS {kind} format (format {var.format!r})")
    return check


def _days(ds, a: str, b: str) -> pd.Series:
    """``a - b`` in days; datetime columns as dates, plain numbers as SAS day counts."""
    x, y = ds.frame[a], ds.frame[b]
    if pd.api.types.is_datetime64_any_dtype(x) and pd.api.types.is_datetime64_any_dtype(y):
        return (x.dt.normalize() - y.dt.normalize()).dt.days.astype(float)
    return pd.to_numeric(x, errors="coerce") - pd.to_numeric(y, errors="coerce")


def _adt_not_before_start(ds, study):
    if {"ADT", "STARTDT"} <= set(ds.frame.columns):
        yield Violation("ADT", _rows(_days(ds, "ADT", "STARTDT") < 0))


def _aval_days(ds, study):
    if {"ADT", "STARTDT", "AVAL"} <= set(ds.frame.columns):
        expected = _days(ds, "ADT", "STARTDT") + 1
        aval = pd.to_numeric(ds.frame["AVAL"], errors="coerce")
        known = expected.notna()
        bad = known & ~np.isclose(aval.fillna(np.inf), expected.fillna(0), rtol=0, atol=1e-8)
        yield Violation("AVAL", _rows(bad))


def _flag_values(names: Callable[[Dataset], list[str]], allowed: tuple, nullable: bool):
    def check(ds, study):
        for name in names(ds):
            s = ds.frame[name]
            bad = ~s.isin(allowed) & s.notna()
            if not nullable:
                bad |= s.isna()
            yield Violation(name, _rows(bad))
    return check


def _population_flags(ds):
    return [c for c in ds.frame.columns if c in POPULATION_FLAGS] if is_adsl(ds) else []


def _y_or_null_flags(ds):
    return [c for c in ds.frame.columns if _Y_OR_NULL.match(c) and c not in POPULATION_FLAGS]


def _treatment_flags(ds):
    return [c for c in ds.frame.columns if c in TREATMENT_FLAGS]


def _other_flags(ds):
    special = set(_population_flags(ds)) | set(_y_or_null_flags(ds)) | set(TREATMENT_FLAGS)
    return [c for c in ds.frame.columns if c.endswith("FL") and c not in special]


def _suffix(suffix):
    return lambda ds: [c for c in ds.frame.columns if c.endswith(suffix)
                       and ds[c].type != NUM]


def _label_present(ds, study):
    for v in ds.variables:
        if not (v.label or "").strip():
            yield Violation(v.name, detail=f"{v.name} has no label")


def _label_length(ds, study):
    for v in ds.variables:
        if len(v.label or "") > MAX_LABEL:
            yield Violation(v.name, value=v.label,
                            detail=f"label has {len(v.label)} characters")


def _variable_name(ds, study):
    for v in ds.variables:
        if len(v.name) > MAX_NAME or not _NAME.match(v.name):
            yield Violation(v.name, value=v.name)


def _value_length(ds, study):
    """Character values longer than an XPT v5 file holds, in bytes of the dataset's
    encoding (UTF-8 when it was not read from a file): a Dataset-JSON dataset can hold
    them, its submission XPT cannot."""
    encoding = ds.encoding or "utf-8"
    for v in ds.variables:
        col = ds.frame[v.name]
        if v.type == NUM or 4 * _longest_text(col) <= MAX_VALUE_BYTES:   # 4: bytes a character
            continue                                                     # may take at most
        codes, distinct = factorize_text(col.to_numpy(dtype=object))
        nbytes = np.array([len(str(x).encode(encoding, errors="replace")) for x in distinct], dtype=np.int64)
        yield Violation(v.name, _rows(np.append(nbytes > MAX_VALUE_BYTES, False)[codes]),
                        detail=f"more than {MAX_VALUE_BYTES} bytes in {encoding}")


def _longest_text(col: pd.Series) -> int:
    """The most characters of a text value of ``col`` (0 when none is text), looking at
    each distinct value once (a categorical's categories)."""
    if isinstance(col.dtype, pd.CategoricalDtype):
        values = np.asarray(col.cat.categories, dtype=object)
    else:
        values = factorize_text(col.to_numpy(dtype=object))[1]
    try:
        return max(map(len, values), default=0)
    except TypeError:                      # not all text: the text values
        longest = pd.Series(values, dtype=object).str.len().max()
        return 0 if pd.isna(longest) else int(longest)


def _adsl_label(ds, study):
    if ds.label != "Subject-Level Analysis Dataset":
        yield Violation(None, value=ds.label)


def _copied_from_adsl(ds, study):
    """Every variable present in both this dataset and ADSL equals ADSL's value for the
    subject (missing equals missing). Compared as stored: dates as dates."""
    adsl = study.get("ADSL")
    if adsl is None or "USUBJID" not in ds.frame.columns or "USUBJID" not in adsl.frame.columns:
        return
    shared = [c for c in ds.frame.columns if c in adsl.frame.columns and c != "USUBJID"]
    if not shared:
        return
    subjects = adsl.frame["USUBJID"].to_numpy()
    first = ~pd.Series(subjects).duplicated().to_numpy()
    rows = np.flatnonzero(first)
    at = pd.Index(subjects[rows]).get_indexer(ds.frame["USUBJID"].to_numpy())
    in_adsl = at >= 0
    for name in shared:
        mine = pd.Series(ds.frame[name].to_numpy(), copy=False)
        theirs = pd.Series(adsl.frame[name].to_numpy()[rows], copy=False)
        suspect = np.flatnonzero(in_adsl & ~_equal_values(mine, theirs, at))
        if len(suspect) and (pd.api.types.is_object_dtype(mine)
                             or pd.api.types.is_object_dtype(theirs)):
            # text that differs only by surrounding blanks or str/number storage is equal
            a = _text(mine.iloc[suspect])
            b = _text(pd.Series(theirs.to_numpy()[at[suspect]], index=a.index))
            suspect = suspect[~((a == b) | (a.isna() & b.isna())).to_numpy()]
        yield Violation(name, suspect, detail="differs from ADSL")


def _equal_values(mine: pd.Series, theirs: pd.Series, at: np.ndarray) -> np.ndarray:
    """Per row of ``mine``: equal to ``theirs[at]`` (missing equals missing; ``at`` -1:
    no such row, never equal). Values are compared once per distinct pair of values."""
    mine_codes, mine_values = _codes(mine)
    their_codes, their_values = _codes(theirs)
    try:   # each distinct value of mine -> the code of the equal value of theirs
        lookup = pd.Index(their_values, dtype=object).get_indexer(pd.Index(mine_values, dtype=object))
    except (TypeError, ValueError):   # values that cannot be hashed together: by value
        lookup = None
    theirs_at = np.where(at >= 0, their_codes[np.maximum(at, 0)], -2)
    if lookup is None:
        other = theirs.to_numpy()[np.maximum(at, 0)]
        return np.asarray((mine.to_numpy() == other) | (pd.isna(mine.to_numpy()) & pd.isna(other)),
                          dtype=bool) & (at >= 0)
    lookup = np.where(lookup >= 0, lookup, -3)                                 # -3: not in theirs
    mapped = np.where(mine_codes >= 0, lookup[np.maximum(mine_codes, 0)] if len(lookup) else -3, -1)
    return mapped == theirs_at


# --------------------------------------------------------------------------- catalogue
RULES: tuple[Rule, ...] = (
    Rule("ADSL-001", "error", "ADSL has more than one record for a USUBJID", "AD0054",
         "adsl", _adsl_unique),
    Rule("ADAM-001", "error", "Required variable is not present", "AD0047", "adsl",
         _required_variables),
    Rule("ADAM-002", "error", "Required variable is not present", "AD0047", "bds",
         _required_variables),
    Rule("ADSL-002", "error", "No subject-level population flag variable is present",
         "AD0048", "adsl", _population_flag_present),
    Rule("ADAM-003", "error", "Required variable value is null", "AD0196", "bds",
         _required_values),
    Rule("ADAM-004", "error", "USUBJID does not exist in ADSL", "AD0256", "nonadsl",
         _subject_in_adsl),
    Rule("BDS-001", "error", "Illegal PARAMCD value (more than 8 characters or not a "
         "letter/underscore followed by letters, digits, underscores)", "AD0143", "bds",
         _paramcd_format),
    Rule("BDS-002", "error", "Inconsistent value for PARAM within a unique PARAMCD",
         "AD0141", "bds", _pair_check("PARAMCD", "PARAM")),
    Rule("BDS-003", "error", "Inconsistent value for PARAMCD within a unique PARAM",
         "AD0142", "bds", _pair_check("PARAM", "PARAMCD")),
    Rule("ADAM-005", "error", "Inconsistent value between TRTxxP/TRTxxA and its numeric "
         "version", "AD0076B/AD0077B/AD0242B/AD0243B", "all", _treatment_pairs),
    Rule("ADAM-017", "error", "Record-level treatment differs from ADSL", None, "nonadsl",
         _record_treatment),
    Rule("TTE-001", "error", "CNSR is not present in a time-to-event dataset", "AD0170",
         "tte", _cnsr_present),
    Rule("TTE-002", "error", "CNSR is not an integer >= 0", "AD0169", "tte", _cnsr_values),
    Rule("TTE-005", "error", "Time-to-event origin or analysis date variable is not present",
         "AD0245/AD0246", "tte", _tte_dates_present),
    Rule("TTE-003", "error", "ADT is before STARTDT", None, "tte", _adt_not_before_start),
    Rule("TTE-004", "error", "AVAL is not ADT - STARTDT + 1 (days)", None, "tte", _aval_days),
    Rule("ADAM-006", "error", "*DT variable is not numeric with a SAS date format",
         "AD0041/AD0041A/AD0058", "all", _date_metadata("DT", "date", ("STARTDT", "ADT"))),
    Rule("ADAM-007", "error", "*DTM variable is not numeric with a SAS datetime format",
         "AD0043/AD0043A/AD0060", "all", _date_metadata("DTM", "datetime")),
    Rule("ADSL-003", "error", "Population flag value is not Y or N", "AD0005/AD0019",
         "adsl", _flag_values(_population_flags, ("Y", "N"), nullable=False)),
    Rule("ADAM-008", "error", "Record/parameter-level flag value is not Y or null",
         "AD0033/AD0034/AD0176/AD0178", "all",
         _flag_values(_y_or_null_flags, ("Y",), nullable=True)),
    # ADaMIG 1.2 made treatment flags Y/null; legacy specs (e.g. CDISCPILOT01) use Y/N
    Rule("ADAM-016", "warning", "Treatment flag (TRTEMFL, PREFL, ONTRTFL, FUPFL, LVOTFL) "
         "value is not Y or null", "AD0269", "all",
         _flag_values(_treatment_flags, ("Y",), nullable=True)),
    Rule("ADAM-009", "error", "*FL value is not Y, N or null", "AD0005", "all",
         _flag_values(_other_flags, ("Y", "N"), nullable=True)),
    Rule("ADAM-010", "error", "*DTF value is not D, M or Y (DATEFL codelist)", "CT2001",
         "all", _flag_values(_suffix("DTF"), DATE_IMPUTATION, nullable=True)),
    Rule("ADAM-011", "error", "*TMF value is not H, M or S (TIMEFL codelist)", "CT2001",
         "all", _flag_values(_suffix("TMF"), TIME_IMPUTATION, nullable=True)),
    Rule("ADAM-012", "warning", "Variable label is missing", None, "all", _label_present),
    Rule("ADAM-013", "error", "Variable label length is greater than 40 characters",
         "AD0016", "all", _label_length),
    Rule("ADAM-014", "error", "Illegal variable name (more than 8 characters or not a "
         "letter followed by letters, digits, underscores)", "AD0013", "all",
         _variable_name),
    Rule("ADAM-018", "error", "Character value is longer than a SAS v5 transport file holds",
         None, "all", _value_length),
    Rule("ADSL-004", "warning", "ADSL dataset label is not 'Subject-Level Analysis Dataset'",
         "AD0320", "adsl", _adsl_label),
    Rule("ADAM-015", "error", "Variable copied from ADSL differs from its ADSL value", None,
         "nonadsl", _copied_from_adsl),
)

_APPLIES = {
    "adsl": is_adsl,
    "bds": is_bds,
    "tte": is_tte,
    "nonadsl": lambda ds: not is_adsl(ds),
    "all": lambda ds: True,
}


def rules_table(rules: Iterable[Rule] = RULES) -> pd.DataFrame:
    """The rule catalogue (for documentation and reports)."""
    return pd.DataFrame([(r.rule_id, r.severity, r.applies, r.p21_id or "", r.message)
                         for r in rules],
                        columns=["rule_id", "severity", "applies_to", "p21_id", "message"])


# --------------------------------------------------------------------------- runner
def check_adam_rules(datasets: dict[str, Dataset], rules: Iterable[Rule] = RULES
                     ) -> list[Finding]:
    """Run every rule that applies to each dataset; one finding per failing record
    (record-level rules) or per failing variable (metadata rules)."""
    study = {ds.name: ds for ds in datasets.values()}
    findings: list = []
    for ds in study.values():
        for rule in rules:
            if _APPLIES[rule.applies](ds):
                for violation in rule.check(ds, study):
                    findings.append(_to_findings(rule, ds, violation))
    return FindingTable.concat(findings)     # compact: one row of codes per failing record


def _message(rule: Rule, detail: str) -> str:
    text = f"{rule.message}: {detail}" if detail else rule.message
    return f"{text} [P21 {rule.p21_id}]" if rule.p21_id else text


def _to_findings(rule: Rule, ds: Dataset, v: Violation) -> list[Finding] | FindingTable:
    message = _message(rule, v.detail)
    if v.rows is None:
        return [Finding(ds.name, rule.rule_id, rule.severity, message, variable=v.variable,
                        value=_fmt(v.value))]
    if len(v.rows) == 0:
        return []
    frame = ds.frame        # the failing rows only, each distinct value formatted once
    rows = np.asarray(v.rows, dtype=np.int64)
    usubjid = coded_text(frame["USUBJID"], rows, _subject) if "USUBJID" in frame.columns else None
    values = coded_text(frame[v.variable], rows, _fmt) if v.variable in frame.columns else None
    return FindingTable.build(len(rows), dataset=ds.name, rule_id=rule.rule_id, severity=rule.severity,
                              message=message, usubjid=usubjid, variable=v.variable, value=values,
                              record=rows + 1, suffix=True)   # the record in the message too,
    # as the CSV has no record column


def _subject(value) -> str | None:
    return None if pd.isna(value) else str(value)


def _fmt(value) -> str | None:
    return format_value(value) or None
