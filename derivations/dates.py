"""Dates and datetimes from SDTM ``--DTC`` values, with R {admiral}'s imputation rules.

Mirrors ``derive_vars_dt``, ``derive_vars_dtm``, ``convert_dtc_to_dt(m)``,
``impute_dtc_dt(m)``, ``compute_dtf`` and ``compute_tmf`` of admiral (1.x):

- A ``--DTC`` is ``YYYY-MM-DDThh:mm:ss`` with trailing parts omitted and ``-`` for a
  missing part (``2019---07``: day 7 of an unknown month; ``--12-15``: unknown year).
  ``2019--01`` is read as ``2019---01`` (admiral's parser does the same).
- ``highest_imputation``: the highest component that may be imputed (``n`` none, ``D``
  day, ``M`` month, ``Y`` year; for datetimes also ``h``, ``m``, ``s``). A missing
  component above it gives a missing result. Unless ``preserve``, a missing component
  makes every lower component missing too (``2019---07`` is imputed like ``2019``).
- ``date_imputation``: ``first`` (01-01), ``mid`` (06-30 when the month is missing, day 15
  when only the day is), ``last`` (12-31, last day of the month) or ``"mm-dd"``
  (``highest_imputation='M'`` only). ``time_imputation``: ``first`` 00:00:00, ``last``
  23:59:59 or ``"hh:mm:ss"``.
- ``min_dates`` / ``max_dates``: the imputed value is raised to the latest minimum /
  lowered to the earliest maximum, but a bound counts only when it lies in the range of
  dates the partial value allows (so known components never change). With
  ``highest_imputation='Y'`` a missing year is imputed from the bounds alone. For
  datetimes, a bound whose values all lie at midnight is taken as a date: 00:00:00 as a
  minimum, 23:59:59 as a maximum (admiral's rule for ``Date`` bounds).
- Imputed values still holding year 0000 or 9999 (nothing to bound them) are missing.
- Flags: ``*DTF`` ``Y``/``M``/``D`` (highest imputed date part, from the ``--DTC``
  layout as admiral's ``compute_dtf``), ``*TMF`` ``H``/``M``/``S`` (highest time part
  imputed or changed by a bound; ``S`` dropped when ``ignore_seconds_flag``).

Stricter than admiral, by design: a value that is not ISO 8601 (``abc``), names an
impossible date or time (``2019-13-45``, ``2019-02-30``, ``T25:00``) or lies outside
what ``datetime64[ns]`` holds (years 1678-2261) is missing even when imputation could
fill it, and :func:`find_invalid_dtc` reports it as a finding. Nothing here raises on
data; bad arguments raise :class:`adam.errors.UsageError`.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from adam.errors import UsageError
from adam.findings import Finding
from derivations.common import (
    as_list, factorize_text, frame_of, like, require_choice, require_columns, subject_of, values_at,
)

DATE_PARTS = ("year", "month", "day")
TIME_PARTS = ("hour", "minute", "second")
PARTS = DATE_PARTS + TIME_PARTS
DT_LEVELS = ("n", "D", "M", "Y")
DTM_LEVELS = ("n", "s", "m", "h", "D", "M", "Y")
PART_LEVEL = {"year": "Y", "month": "M", "day": "D", "hour": "h", "minute": "m", "second": "s"}
MIN_YEAR, MAX_YEAR = 1678, 2261  # whole years that datetime64[ns] holds

_DTC = re.compile(
    r"^(?P<year>\d{4}|-)?(?:-(?P<month>\d{2}|-))?(?:-(?P<day>\d{2}|-))?"
    r"(?:T(?P<hour>\d{2}|-))?(?::(?P<minute>\d{2}|-))?"
    r"(?::(?P<second>\d{2}|-)(?:[.,](?P<frac>\d{1,9}))?)?$"
)
_MISSING_MONTH_SHORT = re.compile(r"^(\d{4})--(\d{2})(?=$|T)")
_MMDD = re.compile(r"^(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$")
_HHMMSS = re.compile(r"^(?:([01][0-9]|2[0-3]):([0-5][0-9]):([0-5][0-9])|24:00:00)$")

PROBLEMS = {
    "format": ("DTC-ISO8601", "is not an ISO 8601 date/datetime"),
    "calendar": ("DTC-CALENDAR", "names an impossible date or time"),
    "range": ("DTC-RANGE", f"lies outside the supported years {MIN_YEAR}-{MAX_YEAR}"),
}


# ---------------------------------------------------------------- parsing

def _distinct(dtc) -> tuple[np.ndarray, pd.Series, pd.Index]:
    """Each value's code into the distinct stripped texts (-1 when missing or blank),
    those texts, and the index of ``dtc`` (a column of a million dates has a few
    thousand distinct values, so everything else works on those)."""
    s = dtc if isinstance(dtc, pd.Series) else pd.Series(np.asarray(dtc, dtype=object), dtype=object)
    codes, uniques = factorize_text(s.to_numpy()) if s.dtype == object else pd.factorize(s)
    clean = pd.Series(uniques, dtype=object).astype(str).str.strip()
    clean_codes, clean_uniques = pd.factorize(clean.where(clean != "", np.nan))
    codes = np.append(clean_codes, -1)[codes]  # code -1 (missing) picks the appended -1
    return codes, pd.Series(clean_uniques, dtype=object), s.index


def _parsed_table(uniques: pd.Series) -> pd.DataFrame:
    """:func:`_parse_distinct` of ``uniques`` plus a last row for missing values."""
    parsed = _parse_distinct(uniques).reset_index(drop=True)
    empty = pd.DataFrame({c: [np.nan] for c in parsed.columns}).astype(parsed.dtypes.to_dict())
    empty["frac"] = 0.0
    return pd.concat([parsed, empty], ignore_index=True)


def _codes(values, index) -> pd.Series:
    """Text codes as an object Series, ``''`` as NaN."""
    values = np.asarray(values, dtype=object)
    return pd.Series(np.where(values == "", np.nan, values), index=index, dtype=object)


def days_in_month(year, month) -> np.ndarray:
    """Days of ``month`` in ``year`` (float arrays; NaN where either is missing; a
    missing year counts as a leap year so ``--02-29`` stays possible)."""
    year = np.asarray(year, dtype=float)
    month = np.asarray(month, dtype=float)
    y = np.where(np.isnan(year), 2000, year)
    leap = ((y % 4 == 0) & (y % 100 != 0)) | (y % 400 == 0)
    base = np.array([np.nan, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31], dtype=float)
    m = np.where((month >= 1) & (month <= 12), month, 0).astype(int)
    out = base[m] + ((m == 2) & leap)
    return np.where(np.isnan(month), np.nan, out)


def parse_dtc(dtc) -> pd.DataFrame:
    """Components of ``--DTC`` values: float columns ``year`` ... ``second`` (NaN when
    missing), ``frac`` (fraction of a second) and ``problem`` (NaN, ``'format'``,
    ``'calendar'`` or ``'range'``). Components of a value with a problem are NaN.
    Each distinct value is parsed once (a column of a million dates has a few thousand)."""
    codes, uniques, index = _distinct(dtc)
    table = _parsed_table(uniques)
    out = table.iloc[codes]  # code -1: the last row (missing)
    out.index = index
    return out


def _parse_distinct(text: pd.Series) -> pd.DataFrame:
    normal = text.str.replace(_MISSING_MONTH_SHORT, r"\1---\2", regex=True)
    parts = normal.str.extract(_DTC)
    out = pd.DataFrame(index=text.index)
    for name in PARTS:
        out[name] = pd.to_numeric(parts[name].where(parts[name] != "-"), errors="coerce").astype(float)
    frac = parts["frac"]
    out["frac"] = pd.to_numeric("0." + frac.where(frac.notna(), "0"), errors="coerce").astype(float)
    bad_format = ~normal.str.match(_DTC, na=False).astype(bool)
    y, m, d = out["year"].to_numpy(), out["month"].to_numpy(), out["day"].to_numpy()
    hh, mi, ss = out["hour"].to_numpy(), out["minute"].to_numpy(), out["second"].to_numpy()
    dim = days_in_month(y, m)
    bad_cal = (
        (m < 1) | (m > 12) | (d < 1) | (d > 31) | (d > dim)
        | (hh > 23) | (mi > 59) | (ss > 59)
    )
    bad_range = (y < MIN_YEAR) | (y > MAX_YEAR)
    problem = np.select([bad_format.to_numpy(), bad_cal, bad_range],
                        ["format", "calendar", "range"], default="")
    out["problem"] = _codes(problem, text.index)
    out.loc[out["problem"].notna(), list(PARTS) + ["frac"]] = np.nan
    out.loc[out["problem"].notna() | out["second"].isna(), "frac"] = 0.0
    return out


def find_invalid_dtc(dataset, dtc: str, name: str) -> list[Finding]:
    """One warning per ``dtc`` value of ``dataset`` that the date functions treat as
    missing because it is not a valid ISO 8601 date/datetime (see module docstring).
    ``name`` is the dataset name written in the findings."""
    frame = frame_of(dataset)
    require_columns(frame, [dtc], "dtc")
    codes, uniques, _ = _distinct(frame[dtc])
    return _invalid(frame, dtc, name, codes, _parsed_table(uniques))


def _invalid(frame: pd.DataFrame, dtc: str, name: str, codes: np.ndarray, parsed: pd.DataFrame) -> list[Finding]:
    table = parsed["problem"].to_numpy()  # its last row (missing values) has no problem
    rows = np.flatnonzero(pd.notna(table)[codes])
    problems = table[codes[rows]]
    values = values_at(frame[dtc], rows)
    subjects = subject_of(frame, rows)
    findings = []
    for pos, value, subject, problem in zip(rows, values, subjects, problems):
        rule, says = PROBLEMS[problem]
        findings.append(Finding(
            dataset=name.upper(), rule_id=rule, severity="warning",
            message=f"{dtc} {str(value)!r} {says}; treated as missing",
            usubjid=subject, variable=dtc, value=str(value), record=int(pos) + 1))
    return findings


def checked_dtc_to_dt(dataset, dtc: str, name: str, findings: list, highest_imputation="n",
                      date_imputation="first", min_dates=None, max_dates=None,
                      preserve=False) -> pd.Series:
    """:func:`convert_dtc_to_dt` of the ``dtc`` column of ``dataset``, appending the
    :func:`find_invalid_dtc` findings to ``findings`` (the column is parsed once)."""
    frame = frame_of(dataset)
    require_columns(frame, [dtc], "dtc")
    distinct = _distinct(frame[dtc])
    parsed = _parsed_table(distinct[1])
    findings.extend(_invalid(frame, dtc, name, distinct[0], parsed))
    comp, rows, index = _impute(frame[dtc], DATE_PARTS, DT_LEVELS, highest_imputation, date_imputation,
                                None, min_dates, max_dates, preserve, (distinct, parsed))
    return _series(_per_row(_to_datetime(comp, DATE_PARTS), rows), index, "datetime64[ns]")


# ---------------------------------------------------------------- argument checks

def _check_imputation(highest, levels, date_imputation, time_imputation, min_dates, max_dates):
    require_choice(highest, levels, "highest_imputation")
    if highest == "Y":
        require_choice(date_imputation, ("first", "last"), "date_imputation")
        if date_imputation == "first" and not min_dates:
            raise UsageError("argument min_dates: required when highest_imputation='Y' "
                             "and date_imputation='first'")
        if date_imputation == "last" and not max_dates:
            raise UsageError("argument max_dates: required when highest_imputation='Y' "
                             "and date_imputation='last'")
    elif highest == "M":
        if date_imputation not in ("first", "mid", "last") and not _MMDD.match(str(date_imputation)):
            raise UsageError(f"argument date_imputation: {date_imputation!r} is not 'first', "
                             "'mid', 'last' or 'mm-dd'")
    elif highest == "D":
        require_choice(date_imputation, ("first", "mid", "last"), "date_imputation")
    if time_imputation is not None and highest != "n":
        if time_imputation not in ("first", "last") and not _HHMMSS.match(str(time_imputation)):
            raise UsageError(f"argument time_imputation: {time_imputation!r} is not 'first', "
                             "'last' or 'hh:mm:ss'")


# ---------------------------------------------------------------- imputation core

def _propagate(parts: dict, names) -> dict:
    """A missing component makes all lower components missing."""
    out = dict(parts)
    for hi, lo in zip(names, names[1:]):
        out[lo] = np.where(np.isnan(out[hi]), np.nan, out[lo])
    return out


def _targets(parts: dict, date_imputation: str, time_imputation: str | None, n: int) -> dict:
    month_missing = np.isnan(parts["month"])
    if date_imputation == "first":
        t = {"year": 0.0, "month": 1.0, "day": 1.0}
    elif date_imputation == "mid":
        t = {"year": np.nan, "month": 6.0, "day": np.where(month_missing, 30.0, 15.0)}
    elif date_imputation == "last":
        t = {"year": 9999.0, "month": 12.0, "day": 28.0}
    else:
        mm, dd = str(date_imputation).split("-")
        t = {"year": np.nan, "month": float(mm), "day": float(dd)}
    if time_imputation is not None:
        if time_imputation == "first":
            hms = (0.0, 0.0, 0.0)
        elif time_imputation == "last":
            hms = (23.0, 59.0, 59.0)
        else:
            hms = tuple(float(x) for x in str(time_imputation).split(":"))
        t.update(zip(TIME_PARTS, hms))
    return {k: np.broadcast_to(np.asarray(v, dtype=float), n).copy() for k, v in t.items()}


def _fill(parts: dict, targets: dict, names, last_day: bool) -> dict:
    """Missing components from ``targets``; with ``last_day`` an imputed day is the
    last day of the (imputed) month."""
    out = {c: np.where(np.isnan(parts[c]), targets[c], parts[c]) for c in names}
    if last_day:
        imputed_day = np.isnan(parts["day"]) & ~np.isnan(targets["day"])
        out["day"] = np.where(imputed_day, days_in_month(out["year"], out["month"]), out["day"])
    return out


def _key(parts: dict, names) -> np.ndarray:
    """Sortable number ``YYYYMMDD[hhmmss]``: comparing keys compares the ISO strings."""
    key = np.zeros(len(parts["year"]))
    for c in names:
        key = key * 100 + parts[c] if c != "year" else parts[c].copy()
    return key


def _unkey(key: np.ndarray, names) -> dict:
    out = {}
    rest = key.copy()
    for c in reversed(names[1:]):
        out[c] = np.mod(rest, 100)
        rest = np.floor_divide(rest, 100)
    out["year"] = rest
    return out


def _bound_key(bound, n: int, names, as_max: bool, at: np.ndarray) -> np.ndarray:
    """Key of a min/max date vector (``Timestamp``, Series or array; scalars broadcast)
    at the positions ``at``."""
    arr = bound.to_numpy() if isinstance(bound, pd.Series) else np.asarray(bound)
    if arr.ndim == 0:
        arr = np.repeat(arr, n)
    if len(arr) != n:
        raise UsageError(f"argument {'max_dates' if as_max else 'min_dates'}: length "
                         f"{len(arr)} does not match {n} dates")
    values = pd.to_datetime(arr)
    if getattr(values, "tz", None) is not None:  # local time components
        values = values.tz_localize(None)
    stamps = np.asarray(values, dtype="datetime64[ns]")
    ok = ~np.isnat(stamps)
    at_midnight = (stamps[ok].view(np.int64) % 86_400_000_000_000 == 0).all()
    stamps, ok = stamps[at], ok[at]
    comp, _ = _components(np.where(ok, stamps, np.datetime64(0, "ns")))
    if len(names) == 6 and as_max and at_midnight:
        comp.update(hour=np.full(len(at), 23.0), minute=np.full(len(at), 59.0),
                    second=np.full(len(at), 59.0))
    key = _key(comp, names)
    return np.where(ok, key, np.nan)


def _components(stamps: np.ndarray) -> tuple[dict, np.ndarray]:
    """Float year ... second (whole seconds) of ``datetime64[ns]`` values, and whether
    each lies at midnight."""
    days, nanos = np.divmod(stamps.astype(np.int64), 86_400_000_000_000)
    day = days.astype("datetime64[D]")
    month = day.astype("datetime64[M]")
    year = month.astype("datetime64[Y]")
    secs = nanos // 1_000_000_000
    comp = {"year": year.astype(np.int64) + 1970.0, "month": (month - year).astype(np.int64) + 1.0,
            "day": (day - month).astype(np.int64) + 1.0, "hour": (secs // 3600).astype(float),
            "minute": (secs % 3600 // 60).astype(float), "second": (secs % 60).astype(float)}
    return comp, nanos == 0


def _impute(dtc, names, levels, highest, date_imputation, time_imputation,
            min_dates, max_dates, preserve, distinct=None) -> tuple[dict, np.ndarray | None, pd.Index]:
    """Imputed components (NaN where no value results), the index of ``dtc`` and
    ``rows``: without bounds the components are those of the distinct values and
    ``rows`` maps each input row to one; with bounds they are per row (``rows`` None)."""
    min_dates, max_dates = as_list(min_dates), as_list(max_dates)
    _check_imputation(highest, levels, date_imputation, time_imputation, min_dates, max_dates)
    if distinct is None:
        (codes, uniques, index) = _distinct(dtc)
        parsed = _parsed_table(uniques)
    else:
        (codes, uniques, index), parsed = distinct
    rows = codes  # code -1 picks the last row of parsed (missing values)
    n = len(parsed)
    raw = {c: parsed[c].to_numpy(dtype=float) for c in names}
    parts = raw if preserve else _propagate(raw, names)
    targets = _targets(parts, date_imputation, time_imputation, n)
    rank = levels.index(highest)
    for c in names:
        if levels.index(PART_LEVEL[c]) > rank:
            targets[c][:] = np.nan
    imputed = _key(_fill(parts, targets, names, last_day=date_imputation == "last"), names)
    key = imputed
    bad = parsed["problem"].notna().to_numpy()
    frac = parsed["frac"].to_numpy()
    if min_dates or max_dates:
        ranged = _propagate(raw, names)
        lower = _key(_fill(ranged, _targets(ranged, "first", "first" if len(names) == 6 else None, n),
                           names, False), names)[rows]
        upper = _key(_fill(ranged, _targets(ranged, "last", "last" if len(names) == 6 else None, n),
                           names, True), names)[rows]
        key, imputed, bad, frac = key[rows], imputed[rows], bad[rows], frac[rows]
        n, rows = len(key), None
        at = np.flatnonzero(lower < upper)  # partial values: a bound can only move these
        lower, upper, moved = lower[at], upper[at], key[at]
        for bound in min_dates:
            b = _bound_key(bound, n, names, as_max=False, at=at)
            inside = (lower <= b) & (b <= upper)
            moved = np.where(inside, np.maximum(moved, b), moved)
        for bound in max_dates:
            b = _bound_key(bound, n, names, as_max=True, at=at)
            inside = (lower <= b) & (b <= upper)
            moved = np.where(inside, np.minimum(moved, b), moved)
        key = key.copy()
        key[at] = moved
    key = np.where(bad, np.nan, key)
    out = _unkey(key, names)
    out["frac"] = np.where(key == imputed, frac, 0.0) if len(names) == 6 else np.zeros(n)
    return out, rows, index


def _per_row(values: np.ndarray, rows: np.ndarray | None) -> np.ndarray:
    return values if rows is None else values[rows]


def _to_text(comp: dict, names) -> pd.Series:
    ok = ~np.isnan(comp["year"])
    for c in names:
        ok &= ~np.isnan(comp[c])
    fields = {c: pd.Series(np.where(ok, comp[c], 0).astype(np.int64)).astype(str)
              .str.zfill(4 if c == "year" else 2) for c in names}
    text = fields["year"] + "-" + fields["month"] + "-" + fields["day"]
    if len(names) == 6:
        text = text + "T" + fields["hour"] + ":" + fields["minute"] + ":" + fields["second"]
    return text.where(ok, np.nan).astype(object)


def _to_datetime(comp: dict, names) -> np.ndarray:
    y, m, d = comp["year"], comp["month"], comp["day"]
    ok = ~(np.isnan(y) | np.isnan(m) | np.isnan(d))
    ok &= (y >= MIN_YEAR) & (y <= MAX_YEAR) & (d <= days_in_month(y, m))
    for c in names[3:]:
        ok &= ~np.isnan(comp[c])
    yi = np.where(ok, y, 1970).astype(np.int64)
    mi = np.where(ok, m, 1).astype(np.int64)
    di = np.where(ok, d, 1).astype(np.int64)
    days = ((yi - 1970) * 12 + (mi - 1)).astype("datetime64[M]").astype("datetime64[D]") \
        + (di - 1).astype("timedelta64[D]")
    ns = days.astype("datetime64[ns]")
    if len(names) == 6:
        secs = (np.where(ok, comp["hour"], 0) * 3600 + np.where(ok, comp["minute"], 0) * 60
                + np.where(ok, comp["second"], 0))
        nanos = np.round((secs + np.where(ok, comp["frac"], 0)) * 1e9).astype(np.int64)
        ns = ns + nanos.astype("timedelta64[ns]")
    return np.where(ok, ns, np.datetime64("NaT", "ns"))


def _series(values, index, dtype=None) -> pd.Series:
    return pd.Series(values, index=index, dtype=dtype)


# ---------------------------------------------------------------- vector functions

def impute_dtc_dt(dtc, highest_imputation="n", date_imputation="first",
                  min_dates=None, max_dates=None, preserve=False) -> pd.Series:
    """Imputed ``YYYY-MM-DD`` text of each ``--DTC`` (admiral ``impute_dtc_dt``); NaN
    where nothing results. Year 0000/9999 is kept here (as in admiral)."""
    comp, rows, index = _impute(dtc, DATE_PARTS, DT_LEVELS, highest_imputation, date_imputation,
                                None, min_dates, max_dates, preserve)
    return _series(_per_row(_to_text(comp, DATE_PARTS).to_numpy(), rows), index, object)


def impute_dtc_dtm(dtc, highest_imputation="h", date_imputation="first", time_imputation="first",
                   min_dates=None, max_dates=None, preserve=False) -> pd.Series:
    """Imputed ``YYYY-MM-DDThh:mm:ss`` text of each ``--DTC`` (admiral ``impute_dtc_dtm``)."""
    comp, rows, index = _impute(dtc, PARTS, DTM_LEVELS, highest_imputation, date_imputation,
                                time_imputation, min_dates, max_dates, preserve)
    return _series(_per_row(_to_text(comp, PARTS).to_numpy(), rows), index, object)


def convert_dtc_to_dt(dtc, highest_imputation="n", date_imputation="first",
                      min_dates=None, max_dates=None, preserve=False) -> pd.Series:
    """``--DTC`` values as a ``datetime64[ns]`` date Series (admiral ``convert_dtc_to_dt``).
    ``min_dates``/``max_dates``: lists of date Series/arrays/scalars."""
    comp, rows, index = _impute(dtc, DATE_PARTS, DT_LEVELS, highest_imputation, date_imputation,
                                None, min_dates, max_dates, preserve)
    return _series(_per_row(_to_datetime(comp, DATE_PARTS), rows), index, "datetime64[ns]")


def convert_dtc_to_dtm(dtc, highest_imputation="h", date_imputation="first", time_imputation="first",
                       min_dates=None, max_dates=None, preserve=False) -> pd.Series:
    """``--DTC`` values as a ``datetime64[ns]`` datetime Series (admiral ``convert_dtc_to_dtm``)."""
    comp, rows, index = _impute(dtc, PARTS, DTM_LEVELS, highest_imputation, date_imputation,
                                time_imputation, min_dates, max_dates, preserve)
    return _series(_per_row(_to_datetime(comp, PARTS), rows), index, "datetime64[ns]")


def compute_dtf(dtc, dt) -> pd.Series:
    """Date imputation flag (admiral ``compute_dtf``): ``Y``, ``M`` or ``D`` for the
    highest date part missing in ``dtc`` when ``dt`` has a value, else NaN."""
    codes, uniques, index = _distinct(dtc)
    has_dt = pd.Series(pd.to_datetime(np.asarray(dt))).notna().to_numpy()
    layout = np.append(_date_flag_if_imputed(uniques), "Y")  # NA dtc -> Y
    flag = np.where(has_dt, layout[codes], "")  # code -1: the appended flag
    return _codes(flag, index)


def _date_flag_if_imputed(text: pd.Series) -> np.ndarray:
    """The flag each (distinct, non-missing) ``--DTC`` gets when its date has a value:
    admiral's rules on the length of the date part and the place of ``--``."""
    valid = _parse_distinct(text)["problem"].isna().to_numpy()
    s = text.fillna("")
    date_part = s.str.split("T", n=1).str[0].where(s.str.contains("T"), s.str.slice(0, 10))
    n = date_part.str.len().to_numpy()
    hyphens = (date_part.str.find("--") + 1).to_numpy()
    conditions = [
        ((s.str.len().to_numpy() >= 10) & (n == 10) & valid) | ~valid,
        n < 4,
        (n < 10) & (hyphens == 1),
        n == 4,
        (n < 10) & (hyphens == 5),
        n == 7,
        (n < 10) & (hyphens == 8),
    ]
    return np.select(conditions, ["", "Y", "Y", "M", "M", "D", "D"], default="")


def compute_tmf(dtc, dtm, ignore_seconds_flag: bool = True) -> pd.Series:
    """Time imputation flag (admiral ``compute_tmf``): ``H``, ``M`` or ``S`` for the
    highest time part missing in ``dtc`` or changed in ``dtm``; NaN when ``dtm`` is
    missing or nothing was imputed. With ``ignore_seconds_flag`` (admiral's default)
    ``S`` is not set, and ``dtc`` values holding seconds are a usage error."""
    parsed = parse_dtc(dtc)
    dtm = pd.Series(pd.to_datetime(np.asarray(dtm)), index=parsed.index)
    got = {"hour": dtm.dt.hour, "minute": dtm.dt.minute, "second": dtm.dt.second}
    flag = np.full(len(parsed), "", dtype=object)
    for part, letter in zip(TIME_PARTS, "HMS"):
        raw = parsed[part].to_numpy()
        hit = (flag == "") & (np.isnan(raw) | (raw != got[part].to_numpy(dtype=float)))
        flag = np.where(hit, letter, flag)
    if ignore_seconds_flag:
        if parsed["second"].notna().any():
            raise UsageError("argument ignore_seconds_flag: dtc holds seconds; "
                             "use ignore_seconds_flag=False")
        flag = np.where(flag == "S", "", flag)
    flag = np.where(dtm.isna().to_numpy(), "", flag)
    return _codes(flag, parsed.index)


# ---------------------------------------------------------------- dataset functions

def _bounds(frame: pd.DataFrame, bounds, arg: str) -> list:
    out = []
    for b in as_list(bounds):
        if isinstance(b, str):
            require_columns(frame, [b], arg)
            out.append(frame[b])
        else:
            out.append(b)
    return out


def derive_vars_dt(dataset, new_vars_prefix: str, dtc: str, highest_imputation: str = "n",
                   date_imputation: str = "first", flag_imputation: str = "auto",
                   min_dates=None, max_dates=None, preserve: bool = False):
    """Add ``<prefix>DT`` (and ``<prefix>DTF``) from the ``dtc`` column (admiral
    ``derive_vars_dt``). ``min_dates``/``max_dates``: column names or Series.
    ``flag_imputation``: ``auto`` (flag when ``highest_imputation != 'n'``), ``date``
    or ``none``. An existing ``<prefix>DTF`` is kept, as in admiral."""
    frame = frame_of(dataset)
    require_columns(frame, [dtc], "dtc")
    require_choice(flag_imputation, ("auto", "date", "none"), "flag_imputation")
    out = frame.copy()
    dt_name, dtf_name = f"{new_vars_prefix}DT", f"{new_vars_prefix}DTF"
    out[dt_name] = convert_dtc_to_dt(frame[dtc], highest_imputation, date_imputation,
                                     _bounds(frame, min_dates, "min_dates"),
                                     _bounds(frame, max_dates, "max_dates"), preserve)
    wants_flag = flag_imputation == "date" or (flag_imputation == "auto" and highest_imputation != "n")
    if wants_flag and dtf_name not in out.columns:
        out[dtf_name] = compute_dtf(frame[dtc], out[dt_name])
    return like(dataset, out)


def derive_vars_dtm(dataset, new_vars_prefix: str, dtc: str, highest_imputation: str = "h",
                    date_imputation: str = "first", time_imputation: str = "first",
                    flag_imputation: str = "auto", min_dates=None, max_dates=None,
                    preserve: bool = False, ignore_seconds_flag: bool = True):
    """Add ``<prefix>DTM``, ``<prefix>DTF`` and ``<prefix>TMF`` from ``dtc`` (admiral
    ``derive_vars_dtm``). ``flag_imputation``: ``auto`` (DTF when
    ``highest_imputation`` is a date level, TMF unless it is ``n``), ``both``,
    ``date``, ``time`` or ``none``."""
    frame = frame_of(dataset)
    require_columns(frame, [dtc], "dtc")
    require_choice(flag_imputation, ("auto", "both", "date", "time", "none"), "flag_imputation")
    out = frame.copy()
    dtm_name = f"{new_vars_prefix}DTM"
    out[dtm_name] = convert_dtc_to_dtm(frame[dtc], highest_imputation, date_imputation,
                                       time_imputation, _bounds(frame, min_dates, "min_dates"),
                                       _bounds(frame, max_dates, "max_dates"), preserve)
    auto = flag_imputation == "auto"
    if flag_imputation in ("both", "date") or (auto and highest_imputation in ("D", "M", "Y")):
        if f"{new_vars_prefix}DTF" not in out.columns:
            out[f"{new_vars_prefix}DTF"] = compute_dtf(frame[dtc], out[dtm_name])
    if flag_imputation in ("both", "time") or (auto and highest_imputation != "n"):
        out[f"{new_vars_prefix}TMF"] = compute_tmf(frame[dtc], out[dtm_name], ignore_seconds_flag)
    return like(dataset, out)
