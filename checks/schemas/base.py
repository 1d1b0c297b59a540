"""Shared pieces of the SDTM and ADaM pandera models, and the bridge to findings.

A model is a :class:`pandera.DataFrameModel` whose fields read like a data
specification: ``SEX: Var = char(REQ, ct=SEX)``. The helpers :func:`char`, :func:`num`
and :func:`date` set the CDISC core (``Req``/``Exp``/``Perm``), the SAS type, the
controlled terms and the value checks; :func:`schema_findings` validates a frame lazily
and turns every failure into an :class:`adam.findings.Finding` with a stable rule id:

============================== ======== ==========================================
rule id                        severity failure
============================== ======== ==========================================
``<STD>-REQ-VAR``              error    required variable absent (one finding)
``<STD>-EXP-VAR``              warning  expected variable absent (one finding)
``<STD>-VAR-TYPE``             error    values of the wrong type (one finding)
``<STD>-REQ-NULL``             error    required variable blank on a record
``<STD>-KEY-UNIQUE``           error    records sharing the natural keys
``<STD>-<DS>-<VAR>-CT``        warning  value outside a closed codelist
``<STD>-<DS>-<VAR>-INTEGER``   error    a number that must be a whole number
``<STD>-<DS>-<VAR>-RANGE``     error    a number below its lower bound
``SDTM-DTC-ISO8601``           error    ``--DTC`` not in ISO 8601 (partial allowed)
``SDTM-DOMAIN-VALUE``          error    DOMAIN differs from the dataset's domain
``SDTM-DY-VALUE``              error    ``--DY`` 0 or not a whole number
============================== ======== ==========================================

Rules spanning columns or rows are pandera dataframe checks named with their rule id,
declared with :func:`dataframe_rule` so the message and severity live beside them.
"""

from __future__ import annotations

import functools

import re
import string
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import pandera.extensions as extensions
import pandera.pandas as pa
from pandera.errors import SchemaError, SchemaErrors
from pandera.typing import Series

from adam.findings import Finding, FindingTable, coded_text
from adam.metadata import positional
from adam.text import factorize_text, used_codes

REQ, EXP, PERM = "Req", "Exp", "Perm"
CHAR, NUM, DATE = "Char", "Num", "date"

Var = Series[Any]
"""Annotation of every model field: the SAS type is checked by :func:`char`/:func:`num`,
not by the pandas dtype, so an integer column still counts as Num and an all-blank
column as Char."""

# ---------------------------------------------------------------- ISO 8601 (SDTMIG 4.4)
_YEAR, _MONTH = r"(?:\d{4}|-)", r"(?:0[1-9]|1[0-2]|-)"
_DAY = r"(?:0[1-9]|[12]\d|3[01]|-)"
_TIME = r"T(?:[01]\d|2[0-3]|-)(?::(?:[0-5]\d|-)(?::(?:[0-5]\d(?:\.\d+)?|-))?)?"
_DATE = rf"{_YEAR}(?:-{_MONTH}(?:-{_DAY})?)?"
# a missing component inside the value is '-'; trailing missing components are dropped,
# so a part never ends with '-', ':' or 'T' ("2019---15" yes, "2019-05-" no).
_POINT = rf"(?:{_YEAR}-{_MONTH}-{_DAY}{_TIME}|{_DATE})(?<![-:T])"
ISO8601_DTC = re.compile(rf"^{_POINT}(?:/{_POINT})?$")


def is_iso8601(values: pd.Series) -> pd.Series:
    """True where a text value is an SDTM ISO 8601 date/time: complete, right-truncated
    (``2019``, ``2019-05``), with missing middle components (``2019---15``,
    ``-----T07:15``), or an interval ``start/end``; complete calendar dates must exist.
    Blank values are True. Each distinct value is checked once."""
    codes, distinct = pd.factorize(values)
    if len(distinct) == 0:
        return pd.Series(True, index=values.index)
    text = pd.Series(distinct, dtype=object).astype(str)
    ok = text.str.match(ISO8601_DTC).to_numpy(dtype=bool, copy=True)   # written below
    for part in (text, text[text.str.contains("/", regex=False)].str.split("/").str[1]):
        ymd = part.str.extract(r"^(\d{4}-\d{2}-\d{2})", expand=False).dropna()
        real = pd.to_datetime(ymd, format="%Y-%m-%d", errors="coerce")
        ok[ymd.index[real.isna()]] = False
    return pd.Series(np.where(codes >= 0, ok[codes], True), index=values.index)


# ---------------------------------------------------------------- registered checks
@extensions.register_check_method(statistics=["kind"])
def sas_type(values: pd.Series, *, kind: str) -> bool:
    """Whole-column type check: Char = text (or all blank), Num = numbers,
    date = ``datetime64`` (ADaM numeric dates)."""
    if values.isna().all():
        return True
    if kind == CHAR:
        if isinstance(values.dtype, pd.CategoricalDtype):   # judged by the values it holds
            values = values.cat.categories[used_codes(values.cat.codes.to_numpy(), len(values.cat.categories))]
        return pd.api.types.infer_dtype(values, skipna=True) == "string"
    if kind == NUM:
        return pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values)
    return pd.api.types.is_datetime64_any_dtype(values)


@extensions.register_check_method(statistics=["terms"])
def controlled_terms(values: pd.Series, *, terms) -> pd.Series:
    """Value in the closed codelist ``terms`` (blank values pass)."""
    return values.isin(terms)


@extensions.register_check_method(statistics=["form"])
def iso8601(values: pd.Series, *, form: str) -> pd.Series:
    """ISO 8601 ``--DTC`` value (``form='sdtm'``: partial dates allowed)."""
    return is_iso8601(values)


@extensions.register_check_method(statistics=["day_zero"])
def study_day(values: pd.Series, *, day_zero: bool) -> pd.Series:
    """A study day (``--DY``): a whole number, and never 0 unless ``day_zero``
    (SDTMIG: day 1 is the reference start date, the day before is -1). Non-numeric
    values pass (the variable's type is checked where it is declared)."""
    num = pd.to_numeric(values, errors="coerce")
    ok = num.isna() | (num == np.floor(num))
    return ok if day_zero else ok & (num != 0)


@extensions.register_check_method(statistics=["minimum"])
def whole_number(values: pd.Series, *, minimum) -> pd.Series:
    """A whole number of at least ``minimum``."""
    num = pd.to_numeric(values, errors="coerce")
    return (num == np.floor(num)) & (num >= minimum)


@extensions.register_check_method(statistics=["max_length"])
def sas_name(values: pd.Series, *, max_length: int) -> pd.Series:
    """A SAS-name-like code: letter or underscore first, then letters, digits,
    underscores, at most ``max_length`` characters (``--TESTCD``, ``QNAM``, ``PARAMCD``)."""
    codes, distinct = factorize_text(values.to_numpy(dtype=object))   # each distinct code once
    ok = pd.Series(distinct, dtype=object).astype(str).str.fullmatch(
        rf"[A-Za-z_][A-Za-z0-9_]{{0,{max_length - 1}}}").to_numpy(dtype=bool)
    return pd.Series(np.append(ok, False)[codes], index=values.index)


# ---------------------------------------------------------------- field helpers
def char(core: str = PERM, *, ct=None, code: int | None = None, **kw):
    """A character variable. ``ct``: closed codelist; ``code``: SAS-name format of that
    maximum length. ``Req`` variables may not be blank."""
    checks = {"sas_type": CHAR}
    if ct is not None:
        checks["controlled_terms"] = sorted(ct)
    if code:
        checks["sas_name"] = code
    return _field(core, CHAR, checks, **kw)


def num(core: str = PERM, *, integer: int | None = None, ge=None, **kw):
    """A numeric variable; ``integer=m``: whole number >= m; ``ge``: lower bound."""
    checks = {"sas_type": NUM}
    if integer is not None:
        checks["whole_number"] = integer
    if ge is not None:
        checks["ge"] = ge
    return _field(core, NUM, checks, **kw)


def date(core: str = PERM, **kw):
    """An ADaM numeric date/datetime held as ``datetime64``."""
    return _field(core, DATE, {"sas_type": DATE}, **kw)


def _field(core, kind, checks, nullable=None, **kw):
    if nullable is None:
        nullable = core != REQ
    return pa.Field(nullable=nullable, required=core == REQ, **checks, **kw,
                    metadata={"core": core, "type": kind})


# ---------------------------------------------------------------- rules and models
@dataclass(frozen=True)
class Rule:
    """A cross-column or cross-row rule: its id, severity, message and the variable
    reported on each failing record."""

    rule_id: str
    severity: str
    message: str
    variable: str | None = None


RULES: dict[str, Rule] = {}


def dataframe_rule(rule_id: str, severity: str, message: str, variable: str | None = None):
    """Decorate a model method ``(cls, frame) -> bool Series`` as a pandera dataframe
    check named ``rule_id``. ``message`` is filled with the failing row's values; in
    ``message`` and ``variable`` ``--`` stands for the domain code, as in the SDTMIG.
    (pandera may later report the check under its method name: both are registered,
    so method names must be unique across models.)"""
    def decorate(method):
        RULES[rule_id] = RULES[method.__name__] = Rule(rule_id, severity, message, variable)

        @functools.wraps(method)
        def rule(cls, frame):
            out = method(cls, frame)
            if isinstance(out, (pd.Series, np.ndarray)) and out.dtype == bool and out.all():
                return True   # every row passes: one value, nothing for pandera to post-process
            return out
        return pa.dataframe_check(name=rule_id)(rule)
    return decorate


def one_to_one(frame: pd.DataFrame, code: str, label: str):
    """Per row: its ``code`` has a single ``label`` and its ``label`` a single ``code``
    (PARAMCD/PARAM, ARMCD/ARM, --TESTCD/--TEST). True when a column is absent."""
    if not has_columns(frame, code, label):
        return True
    pairs = frame[[code, label]]
    n_labels = pairs.groupby(code, dropna=False, observed=True)[label].transform("nunique")
    n_codes = pairs.groupby(label, dropna=False, observed=True)[code].transform("nunique")
    return (n_labels <= 1) & (n_codes <= 1)


def has_columns(frame: pd.DataFrame, *names) -> bool:
    """Whether every column is present (a rule on absent columns passes: the missing
    variable is reported once by its own rule)."""
    return all(n in frame.columns for n in names)


class Model(pa.DataFrameModel):
    """Base of every model: extra variables are allowed; ``Config.name`` is the
    dataset (SDTM domain code or ADaM dataset name)."""

    class Config:
        strict = False
        name = "DATASET"


# ---------------------------------------------------------------- findings
def as_frame(dataset) -> pd.DataFrame:
    """The frame of a :class:`~adam.metadata.Dataset` (or a frame) with a 0..n-1 index
    and empty text (``''``, as raw XPT readers give) as missing, per the frame
    conventions; the caller's frame is not modified."""
    frame = positional(getattr(dataset, "frame", dataset))
    for col in frame.columns:
        values = frame[col]
        if isinstance(values.dtype, pd.CategoricalDtype):
            if "" in values.cat.categories:
                frame[col] = values.cat.remove_categories([""])
        elif values.dtype == object:
            empty = _empty_text(values.to_numpy())
            if empty.any():
                frame[col] = values.mask(empty)
    return frame


def _empty_text(values: np.ndarray) -> np.ndarray:
    """True where a value is ``''``: numpy's element-wise comparison (a string of another
    length, or a number, differs at once: ~10 ns a value, far cheaper than hashing), or
    value by value when an element cannot be compared so (``pd.NA``, arrays in a
    hostile frame)."""
    try:
        return np.asarray(values == "", dtype=bool).reshape(len(values))
    except (TypeError, ValueError):
        return np.fromiter((isinstance(v, str) and v == "" for v in values), dtype=bool, count=len(values))


_SEVERITY = {"column_in_dataframe": "error", "sas_type": "error", "not_nullable": "error",
             "multiple_fields_uniqueness": "error", "controlled_terms": "warning",
             "iso8601": "error", "whole_number": "error", "greater_than_or_equal_to": "error",
             "sas_name": "error", "domain_code": "error", "study_day": "error"}


def schema_findings(model: type[Model], frame: pd.DataFrame, dataset: str,
                    standard: str = "SDTM") -> FindingTable:
    """Validate ``frame`` against ``model`` (lazily) and return the failures as
    findings (a :class:`~adam.findings.FindingTable`, compact); never raises for bad
    data. ``record`` is the 1-based row."""
    frame = positional(frame)
    schema = model.to_schema()
    findings = _absent_expected(schema, frame, dataset, standard)
    try:
        with warnings.catch_warnings():  # pandera's own pandas deprecation noise
            warnings.simplefilter("ignore", FutureWarning)
            schema.validate(frame, lazy=True, inplace=True)  # frame: ours (positional), no copy
    except SchemaErrors as exc:
        findings += _failure_findings(exc.failure_cases, schema, frame, dataset, standard)
    except (SchemaError, TypeError, ValueError) as exc:  # e.g. unhashable cell values
        findings.append(Finding(dataset, f"{standard}-SCHEMA", "error",
                                f"{dataset} could not be validated: {exc}"))
    return FindingTable.concat(findings).unique()  # a column matched by two fields: once


def _absent_expected(schema, frame, dataset, standard) -> list[Finding]:
    return [Finding(dataset, f"{standard}-EXP-VAR", "warning",
                    f"expected variable {name} is not in {dataset}", variable=name)
            for name, col in schema.columns.items()
            if (col.metadata or {}).get("core") == EXP and not col.regex
            and name not in frame.columns]


def _check_name(check: str) -> str:
    return str(check).split("(", 1)[0]


def _failure_findings(cases: pd.DataFrame, schema, frame, dataset, standard) -> list[Finding]:
    cases = cases.assign(name=cases["check"].map(_check_name))
    missing = set(cases.loc[cases["name"] == "column_in_dataframe", "failure_case"])
    bad_type = set(cases.loc[cases["name"] == "sas_type", "column"])
    # pandera still runs uniqueness on the key columns present: not meaningful
    if missing & set(schema.unique or ()):
        cases = cases[cases["name"] != "multiple_fields_uniqueness"]
    # a column of the wrong type gets one finding, not one per value check
    cases = cases[~cases["column"].isin(bad_type) | (cases["name"] == "sas_type")]
    out = []
    for name, group in cases.groupby("name", sort=False):
        if name == "multiple_fields_uniqueness":
            out.append(_duplicate_key_findings(schema, frame, dataset, standard))
        elif name == "not_nullable":
            out.append(_blank_required_findings(group, frame, dataset, standard))
        elif name in RULES:
            out.append(_rule_findings(RULES[name], group, frame, dataset))
        else:
            out.append(_column_findings(name, group, schema, frame, dataset, standard))
    return out


def _record_info(ids, index) -> tuple[int | None, str | None]:
    """(1-based record, USUBJID) of a 0-based row index (``None`` for dataset level);
    ``ids`` is the USUBJID array of the frame (or ``None``)."""
    if index is None or (isinstance(index, float) and np.isnan(index)):
        return None, None
    i = int(index)
    return i + 1, (None if ids is None else _text(ids[i]))


def _ids(frame: pd.DataFrame):
    return frame["USUBJID"].to_numpy() if "USUBJID" in frame.columns else None


def _text(value) -> str | None:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    if isinstance(value, (float, np.floating)) and float(value).is_integer():
        return str(int(value))
    if isinstance(value, (pd.Timestamp, np.datetime64)):
        value = pd.Timestamp(value)
        return value.date().isoformat() if value == value.normalize() else value.isoformat()
    return str(value)


def _column_findings(name, group, schema, frame, dataset, standard) -> list[Finding]:
    """Findings of one per-variable check, worded once per variable."""
    ids = _ids(frame)
    out = []
    for var, cases in group.groupby("column", sort=False):
        if name == "column_in_dataframe":
            out += [Finding(dataset, f"{standard}-REQ-VAR", "error",
                            f"required variable {v} is not in {dataset}", variable=v)
                    for v in cases["failure_case"]]
            continue
        if name == "sas_type":
            kind = _TYPE_WORDS.get(_metadata(schema, var).get("type"), "of its declared type")
            out.append(Finding(dataset, f"{standard}-VAR-TYPE", "error",
                               f"{var} must be {kind}, found {frame[var].dtype} values",
                               variable=var))
            continue
        rule, template = _describe(name, var, schema, dataset, standard)
        index = pd.to_numeric(cases["index"], errors="coerce").to_numpy(dtype=float)
        have = ~np.isnan(index)
        at = index[have].astype(np.int64)
        records = np.where(have, np.nan_to_num(index, nan=-2).astype(np.int64) + 1, -1)
        usubjid = _scatter(coded_text(ids, at, _text), have) if ids is not None else None
        values = coded_text(cases["failure_case"].to_numpy(dtype=object), np.arange(len(cases)), _text)
        texts = np.append(values[1], None)      # the message of each distinct value, once
        messages = np.array([template.format(var=var, value=t, quoted=repr(t)) for t in texts], dtype=object)
        out.append(FindingTable.build(len(cases), dataset=dataset, rule_id=rule,
                                      severity=_SEVERITY.get(name, "error"),
                                      message=(np.where(values[0] >= 0, values[0], len(texts) - 1), messages),
                                      usubjid=usubjid, variable=var, value=values, record=records,
                                      suffix=True))
    return out


def _scatter(coded: tuple, have: np.ndarray) -> tuple:
    """(codes, uniques) of the rows where ``have`` is True spread over all rows (-1 elsewhere)."""
    codes = np.full(len(have), -1, dtype=np.int32)
    codes[have] = coded[0]
    return codes, coded[1]


def _describe(name, var, schema, dataset, standard) -> tuple[str, str]:
    """Rule id and message template (``{var}``, ``{value}``, ``{quoted}``) of a check."""
    stat = lambda key: _statistic(schema, var, name, key)  # noqa: E731
    prefix = f"{standard}-{dataset}-{var}"
    if name == "controlled_terms":
        allowed = ", ".join(stat("terms") or ()) or "its codelist"
        return f"{prefix}-CT", f"{{var}} = {{quoted}} is not one of {allowed} (blank allowed)"
    if name == "iso8601":
        return f"{standard}-DTC-ISO8601", "{var} = {quoted} is not ISO 8601"
    if name == "whole_number":
        return (f"{prefix}-INTEGER",
                f"{{var}} = {{value}} is not a whole number >= {stat('minimum')}")
    if name == "greater_than_or_equal_to":
        return f"{prefix}-RANGE", f"{{var}} = {{value}} is below {stat('min_value')}"
    if name == "sas_name":
        return (f"{prefix}-FORMAT", f"{{var}} = {{quoted}} is not a valid code (at most "
                                    f"{stat('max_length')} letters, digits or _, "
                                    f"not starting with a digit)")
    if name == "domain_code":
        return f"{standard}-DOMAIN-VALUE", f"DOMAIN = {{quoted}} but the dataset is {dataset}"
    if name == "study_day":
        return (f"{standard}-DY-VALUE",
                "{var} = {value} is not a study day (a whole number, never 0)")
    return f"{prefix}-{name.upper()}", f"{{var}} = {{quoted}} fails the check {name}"


def _metadata(schema, var) -> dict:
    cols = _columns_of(schema, var)
    return (cols[0].metadata or {}) if cols else {}


def _columns_of(schema, var) -> list:
    """Schema columns applying to ``var``: its own, else the regex ones matching it."""
    if var in schema.columns:
        return [schema.columns[var]]
    return [c for n, c in schema.columns.items() if c.regex and re.match(n, var)]


_TYPE_WORDS = {CHAR: "character (Char)", NUM: "numeric (Num)", DATE: "a datetime64 date"}


def _statistic(schema, var, check_name, stat):
    for col in _columns_of(schema, var):
        for check in col.checks:
            if _check_name(check.name) == check_name:
                return check.statistics.get(stat)
    return None


def _duplicate_key_findings(schema, frame, dataset, standard) -> list[Finding]:
    """One finding per record repeating the keys of an earlier record."""
    ids = _ids(frame)
    keys = list(schema.unique)
    first = frame.reset_index().groupby(keys, dropna=False, sort=False, observed=True)["index"].transform("min")
    rows = np.flatnonzero(frame.duplicated(keys, keep="first").to_numpy())
    if not len(rows):
        return []
    parts = [coded_text(frame[k], rows, _text) for k in keys]
    parts = [np.append(u, None)[np.where(c >= 0, c, len(u))] for c, u in parts]
    values = [", ".join(map(str, v)) for v in zip(*parts)]
    earlier = first.to_numpy()[rows] + 1
    return FindingTable.build(len(rows), dataset=dataset, rule_id=f"{standard}-KEY-UNIQUE", severity="error",
                              message=[f"same {', '.join(keys)} as record {e}" for e in earlier.tolist()],
                              usubjid=coded_text(ids, rows, _text) if ids is not None else None,
                              variable=", ".join(keys), value=values, record=rows + 1, suffix=True)


def _blank_required_findings(group, frame, dataset, standard) -> list[Finding]:
    """A blank required value per record; one finding when the whole column is blank."""
    ids = _ids(frame)
    out = []
    for var, cases in group.groupby("column", sort=False):
        if len(frame) > 1 and frame[var].isna().all():
            out.append(Finding(dataset, f"{standard}-REQ-NULL", "error",
                               f"required variable {var} is blank on all {len(frame)} records",
                               variable=var))
            continue
        rows = cases["index"].to_numpy(dtype=np.int64)
        out.append(FindingTable.build(len(rows), dataset=dataset, rule_id=f"{standard}-REQ-NULL",
                                      severity="error", message=f"required variable {var} is blank",
                                      usubjid=coded_text(ids, rows, _text) if ids is not None else None,
                                      variable=var, record=rows + 1, suffix=True))
    return out


def _rule_findings(rule: Rule, group, frame, dataset) -> list[Finding]:
    rows = sorted({int(i) for i in group["index"].dropna()})
    message = rule.message.replace("--", dataset)
    variable = rule.variable.replace("--", dataset) if rule.variable else None
    if not rows:  # no failing record: the rule itself could not be evaluated
        reason = "; ".join(map(str, group["failure_case"].dropna().unique()))
        return [Finding(dataset, rule.rule_id, "error",
                        f"{rule.rule_id} could not be evaluated on {dataset}: {reason}",
                        variable=variable)]
    return record_findings(frame, rows, dataset, rule.rule_id, variable, message, rule.severity)


def record_findings(frame: pd.DataFrame, rows, dataset: str, rule_id: str, variable: str,
                    message: str, severity: str = "error") -> FindingTable:
    """One finding per 0-based row in ``rows`` (a compact
    :class:`~adam.findings.FindingTable`). ``message`` is a template filled with the
    row's values and ``record`` (1-based), e.g. ``"USUBJID {USUBJID!r} is not in DM"``;
    `` (record N)`` is appended. Each distinct combination of the values the template
    names is formatted once."""
    rows = np.asarray(rows, dtype=np.int64).reshape(-1)
    if not len(rows):
        return FindingTable.empty()
    fields = {f for _, f, _, _ in string.Formatter().parse(message) if f}
    columns = [c for c in fields | {variable, "USUBJID"} if c in frame.columns]
    coded = {c: coded_text(frame[c], rows, _text) for c in columns}
    texts = {c: np.append(u, None) for c, (_, u) in coded.items()}
    codes = {c: np.where(k >= 0, k, len(texts[c]) - 1) for c, (k, _) in coded.items()}
    named = sorted(c for c in columns if c in fields)
    if "record" in fields or not named:
        combo = np.arange(len(rows)) if "record" in fields else np.zeros(len(rows), dtype=np.int64)
    else:
        combo = FindingTable._key(*(codes[c] for c in named))
    at = np.flatnonzero(~pd.Series(combo).duplicated().to_numpy())      # combo c first at at[c]
    messages = np.array([message.format(record=int(rows[i]) + 1, **{c: texts[c][codes[c][i]] for c in columns})
                         for i in at], dtype=object)
    return FindingTable.build(len(rows), dataset=dataset, rule_id=rule_id, severity=severity,
                              message=(combo.astype(np.int32), messages),
                              usubjid=coded.get("USUBJID"), variable=variable,
                              value=coded.get(variable), record=rows + 1, suffix=True)
