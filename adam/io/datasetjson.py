"""CDISC Dataset-JSON v1.1: read and write with the same metadata as XPT.

Mapping (lossless for what XPT holds): Char -> ``dataType 'string'`` with ``length``;
Num -> ``'double'`` with ``length`` (bytes); numeric dates -> ``'date'`` (ISO 8601 text
in ``rows``) with ``targetDataType 'integer'`` and the SAS ``displayFormat``; datetimes ->
``'datetime'`` likewise. A date or datetime variable holding a value that is not a whole
number of days or seconds (21000.5, 1.5e9 + 0.25 s) is written as ``'double'``: the SAS
number itself (days or seconds since 1960-01-01) with its ``displayFormat`` (v1.1's
"displayFormat ... of numeric float and date values"), so nothing is rounded; such a
column reads back as the same dates. TIME variables are doubles (seconds) with their
format. Missing values are ``null``.

Read exactly or refused (an :class:`InputError` naming file, record and variable): a
column needs a ``dataType``; ``Infinity``, ``NaN`` and numbers beyond a double (``1e400``)
are refused, as are booleans, text in numeric columns that is not a number, numbers in
text columns and integers a double cannot hold exactly. Character ISO 8601 dates
(``dataType`` date/datetime/time without ``targetDataType``) stay text, with no
format; with ``targetDataType`` integer or decimal they become SAS numeric dates
(``DATE9.``/``DATETIME20.``/``TIME8.`` unless a ``displayFormat`` is given). Numeric
columns whose ``displayFormat`` is a date or datetime format hold SAS numbers (days or
seconds since 1960-01-01) and read as dates.
"""

from __future__ import annotations

import json
import math
import re
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pandas as pd

from adam import __version__
from adam.errors import InputError
from adam.io.atomic import atomic_path
from adam.metadata import CHAR, NUM, Dataset, Variable
from adam.io.xpt import _check_date_range, _offset, _sas_time

VERSION = "1.1.0"
_NUMERIC_TYPES = {"integer", "float", "double", "decimal"}
_TEMPORAL_TYPES = {"date", "datetime", "time"}
#: what a numeric date / datetime holds: a complete date (and time); no partial values
_COMPLETE = {"date": re.compile(r"^\d{4}-\d{2}-\d{2}$"),
             "datetime": re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?$")}


def write_dataset_json(ds: Dataset, path: str | Path, inputs=(), study_oid: str = "",
                       metadata_version_oid: str = "") -> Path:
    """Write ``ds`` as Dataset-JSON v1.1 (UTF-8), atomically."""
    columns, data = [], []
    for var in ds.variables:
        col = {"itemOID": f"IT.{ds.name}.{var.name}", "name": var.name, "label": var.label or "",
               "dataType": _data_type(var), "length": var.length}
        values = _json_values(ds.frame[var.name], var)
        if var.kind and values is None:        # a fraction of a day / second: the SAS number
            col["dataType"] = "double"
            values = _json_numbers(_sas_time(ds.frame[var.name].to_numpy(dtype="datetime64[ns]"),
                                             86400 if var.kind == "date" else 1))
        elif var.kind:
            col["targetDataType"] = "integer"
        if var.format:
            col["displayFormat"] = var.format
        columns.append(col)
        data.append(values)
    now = datetime.now(timezone.utc).replace(microsecond=0).isoformat()
    doc = {
        "datasetJSONCreationDateTime": now.replace("+00:00", ""),
        "datasetJSONVersion": VERSION,
        "fileOID": f"adamant.{ds.name}",
        "originator": "adamant",
        "sourceSystem": {"name": "adamant", "version": __version__},
        "studyOID": study_oid or _first(ds.frame, "STUDYID"),
        "metaDataVersionOID": metadata_version_oid or "MDV.1",
        "itemGroupOID": f"IG.{ds.name}",
        "records": len(ds.frame),
        "name": ds.name,
        "label": ds.label or "",
        "columns": columns,
        "rows": [list(r) for r in zip(*data)] if data else [],
    }
    with atomic_path(path, inputs) as tmp:
        with open(tmp, "w", encoding="utf-8") as fh:
            json.dump(doc, fh, ensure_ascii=False, allow_nan=False)
    return Path(path)


def _first(frame: pd.DataFrame, col: str) -> str:
    if col in frame and frame[col].notna().any():
        return str(frame[col].dropna().iloc[0])
    return ""


def _data_type(var: Variable) -> str:
    if var.type == CHAR:
        return "string"
    return var.kind or "double"


def _json_values(series: pd.Series, var: Variable) -> list | None:
    """The column's JSON values; for a date / datetime holding a fraction of a day /
    second, ``None`` (ISO 8601 text of a date cannot hold it)."""
    if var.kind in ("date", "datetime"):
        ns = series.to_numpy(dtype="datetime64[ns]")
        per = 86400 * 10 ** 9 if var.kind == "date" else 10 ** 9
        if (ns[~np.isnat(ns)].view("int64") % per).any():
            return None
        fmt = "%Y-%m-%d" if var.kind == "date" else "%Y-%m-%dT%H:%M:%S"
        return [None if pd.isna(v) else v.strftime(fmt) for v in series]
    if var.type == NUM:
        return _json_numbers(pd.to_numeric(series, errors="coerce").to_numpy(dtype="float64", na_value=np.nan))
    return [None if (v is None or (isinstance(v, float) and math.isnan(v))) else str(v)
            for v in series.tolist()]


def _json_numbers(arr: np.ndarray) -> list:
    return [None if math.isnan(v) else (int(v) if v.is_integer() and abs(v) < 2**53 else v)
            for v in arr.tolist()]


class _Constant(str):
    """``Infinity``, ``-Infinity`` or ``NaN`` where the JSON text has it (not JSON: RFC 8259)."""


def read_dataset_json(path: str | Path) -> Dataset:
    """Read a Dataset-JSON v1.1 file (``columns`` + ``rows``) into a :class:`Dataset`."""
    path = Path(path)
    if not path.exists():
        raise InputError("file not found", file=path)
    if path.is_dir():
        raise InputError("is a folder, not a Dataset-JSON file", file=path)
    if path.stat().st_size == 0:
        raise InputError("empty file (0 bytes)", file=path)
    try:
        with open(path, encoding="utf-8") as fh:
            doc = json.load(fh, parse_constant=_Constant)
    except RecursionError:
        raise InputError("not Dataset-JSON: arrays or objects nested too deeply", file=path) from None
    except UnicodeDecodeError:
        raise InputError("not UTF-8 text; Dataset-JSON must be UTF-8", file=path) from None
    except json.JSONDecodeError as exc:
        raise InputError(f"not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})",
                         file=path) from None
    if not isinstance(doc, dict) or not isinstance(doc.get("columns"), list):
        raise InputError("not Dataset-JSON v1.1: no 'columns' array at the top level", file=path)
    rows = doc.get("rows", [])
    if not isinstance(rows, list):
        raise InputError("'rows' is not an array", file=path)
    _check_shape(doc, path)
    variables = []
    for i, col in enumerate(doc["columns"]):
        if not isinstance(col, dict) or not col.get("name"):
            raise InputError(f"column {i + 1} has no name", file=path)
        dtype = col["dataType"]
        is_num = dtype in _NUMERIC_TYPES or dtype in _TEMPORAL_TYPES and col.get("targetDataType") in ("integer", "decimal")
        fmt = col.get("displayFormat") or None
        if is_num and dtype in _TEMPORAL_TYPES and not fmt:   # numeric dates only: text stays text
            fmt = {"date": "DATE9.", "datetime": "DATETIME20.", "time": "TIME8."}[dtype]
        if any(v.name == col["name"] for v in variables):
            first = [v.name for v in variables].index(col["name"]) + 1
            raise InputError(f"column {i + 1} repeats the name of column {first}", file=path,
                             variable=col["name"])
        variables.append(Variable(col["name"], label=col.get("label", "") or "",
                                  type=NUM if is_num else CHAR,
                                  length=col.get("length") or (8 if is_num else None),
                                  format=fmt))
    ncol = len(variables)
    for r, row in enumerate(rows, start=1):
        if not isinstance(row, list) or len(row) != ncol:
            raise InputError(f"row has {len(row) if isinstance(row, list) else 'no'} values, "
                             f"expected {ncol}", file=path, record=r)
    types = [col["dataType"] for col in doc["columns"]]
    _check_cells(rows, variables, types, path)
    frame = pd.DataFrame(rows, columns=[v.name for v in variables], dtype=object)
    for var, dtype in zip(variables, types):
        frame[var.name] = _from_json(frame[var.name], var, path, dtype)
    records = doc.get("records")
    if isinstance(records, int) and records != len(frame):
        raise InputError(f"'records' says {records} but there are {len(frame)} rows", file=path)
    return Dataset(doc.get("name") or path.stem, frame, doc.get("label", "") or "", variables)


_DATA_TYPES = _NUMERIC_TYPES | _TEMPORAL_TYPES | {"string", "URI"}
_TEXT_ATTRIBUTES = ("name", "label", "dataType", "targetDataType", "displayFormat", "itemOID")


def _check_shape(doc: dict, path: Path) -> None:
    """An :class:`InputError` naming the column and attribute when the dataset's or a
    column's metadata is not of the type Dataset-JSON v1.1 gives it (text where text is
    due, a whole number of bytes as ``length``), or a ``dataType`` this tool cannot hold."""
    for key in ("name", "label"):
        if doc.get(key) is not None and not isinstance(doc[key], str):
            raise InputError(f"dataset {key} must be text, not {_shown(doc[key])}", file=path)
    for i, col in enumerate(doc["columns"], start=1):
        if not isinstance(col, dict):
            raise InputError(f"column {i} is {_shown(col)}, not an object", file=path)
        name = col.get("name")
        where = {"variable": name} if isinstance(name, str) and name else {}
        for key in _TEXT_ATTRIBUTES:
            if col.get(key) is not None and not isinstance(col[key], str):
                raise InputError(f"column {i}: {key} must be text, not {_shown(col[key])}",
                                 file=path, **where)
        length = col.get("length")
        if length is not None and (isinstance(length, bool) or not isinstance(length, int) or length < 1):
            raise InputError(f"column {i}: length must be a whole number >= 1, not {_shown(length)}",
                             file=path, **where)
        if "dataType" not in col:
            raise InputError(f"column {i} has no dataType (required by Dataset-JSON v1.1: "
                             "string, integer, double, date, ...)", file=path, **where)
        dtype = col["dataType"]
        if dtype == "boolean":
            raise InputError(f"column {i}: dataType boolean is not supported (SAS transport files "
                             "hold numbers and text only); write it as integer 1/0 or as string",
                             file=path, **where)
        if dtype not in _DATA_TYPES:
            raise InputError(f"column {i}: unknown dataType {dtype!r} (Dataset-JSON v1.1: "
                             f"{', '.join(sorted(_DATA_TYPES))})", file=path, **where)


def _check_cells(rows: list, variables: list, types: list, path: Path) -> None:
    """An :class:`InputError` naming the record and variable of the first cell that is an
    object or array (a cell holds one value), ``Infinity`` or ``NaN`` (not JSON), a
    boolean, a number in a text column, an integer a double cannot hold exactly, or text
    that is not valid Unicode (a lone surrogate such as ``"\\ud800"``)."""
    for j, (var, dtype) in enumerate(zip(variables, types)):
        values = [row[j] for row in rows]
        kinds = set(map(type, values))

        def fail(test, message):
            r = next(r for r, v in enumerate(values) if test(v))
            raise InputError(message(values[r]), file=path, record=r + 1, variable=var.name)

        if kinds & {dict, list}:
            fail(lambda v: isinstance(v, (dict, list)), lambda v: f"a cell holds {_shown(v)}, not a single value")
        if _Constant in kinds:
            fail(lambda v: type(v) is _Constant,
                 lambda v: f"{v} is not a JSON number (RFC 8259 has no Infinity or NaN; a SAS number cannot hold it)")
        if bool in kinds:
            fail(lambda v: type(v) is bool,
                 lambda v: f"a boolean ({_shown(v)}) in a {dtype} column (write it as a number or as text)")
        if var.type == CHAR and kinds - {str, type(None)}:
            fail(lambda v: v is not None and type(v) is not str,
                 lambda v: f"a number ({_shown(v)}) in a {dtype} column: its values are JSON strings")
        if var.type == NUM and int in kinds:
            fail_big = [v for v in values if type(v) is int and abs(v) > 2 ** 53 and int(float(v)) != v]
            if fail_big:
                fail(lambda v: type(v) is int and abs(v) > 2 ** 53 and int(float(v)) != v,
                     lambda v: f"integer {_shown(v)} cannot be held exactly by a double (a SAS number "
                               "has 53 bits): write it as text in a string column")
        if str in kinds:
            try:
                "".join(v for v in values if type(v) is str).encode("utf-8")
            except UnicodeEncodeError:
                r = next(r for r, v in enumerate(values) if type(v) is str and not _is_unicode(v))
                raise InputError(f"not valid Unicode text: {values[r]!r} (a lone surrogate)",
                                 file=path, record=r + 1, variable=var.name) from None


def _is_unicode(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _shown(value) -> str:
    """A short description of a JSON value for a message."""
    if isinstance(value, dict):
        return "an object {...}" if value else "an object {}"
    if isinstance(value, list):
        return "an array [...]" if value else "an array []"
    text = json.dumps(value, ensure_ascii=True)
    return text if len(text) <= 40 else text[:37] + "..."


def _temporal_problem(value, kind: str) -> str:
    """Why ``value`` cannot be a numeric ``kind`` ('date' or 'datetime')."""
    from datetime import date

    partial = isinstance(value, str) and re.match(r"^\d{4}(-\d{2})?$", value)
    if partial or kind == "datetime" and isinstance(value, str) and _COMPLETE["date"].match(value):
        return (f"partial {kind} {value!r}: a numeric {kind} needs "
                f"{'year, month and day' if kind == 'date' else 'a complete date and time'}")
    if isinstance(value, str) and _COMPLETE[kind].match(value):
        try:
            date.fromisoformat(value[:10])
        except ValueError:
            return f"not an ISO 8601 {kind}: {value!r} (no such calendar date)"
        return (f"{kind} {value!r} is outside the range this tool holds "
                f"({pd.Timestamp.min.date()} to {pd.Timestamp.max.date()})")
    return f"not an ISO 8601 {kind}: {value!r}"


_TIME = re.compile(r"^(\d{2}):(\d{2})(?::(\d{2}(?:\.\d{1,9})?))?$")


def _from_json(series: pd.Series, var: Variable, path: Path, dtype: str = "string") -> pd.Series:
    if var.type == NUM and dtype == "time":
        return _times(series, var, path)
    if var.type == NUM and dtype in ("date", "datetime"):
        out = _iso_datetimes(series, var, path, dtype)
        if var.kind in ("date", "datetime"):
            return out
        return pd.Series(_sas_time(out.to_numpy(dtype="datetime64[ns]"), 86400 if dtype == "date" else 1),
                         index=series.index)
    if var.kind in ("date", "datetime"):       # SAS numbers with a date / datetime format
        values = _numbers(series, var, path)
        _check_date_range(values.to_numpy(), var, path)
        return pd.Series(_offset(values.to_numpy(), 86400 if var.kind == "date" else 1), index=series.index)
    if var.type == NUM:
        return _numbers(series, var, path)
    return series.where(series.notna() & (series != ""), np.nan)


def _times(series: pd.Series, var: Variable, path: Path) -> pd.Series:
    """ISO 8601 times (hh:mm[:ss[.f]]) -> seconds since midnight."""
    out = np.full(len(series), np.nan)
    for r, value in enumerate(series.tolist()):
        if value is None:
            continue
        m = _TIME.match(value) if isinstance(value, str) else None
        if not m or int(m.group(1)) > 24 or int(m.group(2)) > 59 or float(m.group(3) or 0) >= 61:
            raise InputError(f"not an ISO 8601 time: {value!r}", file=path, record=r + 1, variable=var.name)
        out[r] = int(m.group(1)) * 3600 + int(m.group(2)) * 60 + float(m.group(3) or 0)
    return pd.Series(out, index=series.index)


def _numbers(series: pd.Series, var: Variable, path: Path) -> pd.Series:
    out = pd.to_numeric(series, errors="coerce")
    bad = out.isna() & series.notna()
    if bad.any():
        r = int(np.flatnonzero(bad.to_numpy())[0])
        raise InputError(f"not a number: {series.iloc[r]!r}", file=path, record=r + 1,
                         variable=var.name)
    out = out.astype("float64")
    infinite = np.isinf(out.to_numpy())
    if infinite.any():
        r = int(np.flatnonzero(infinite)[0])
        raise InputError(f"number out of range: {_shown(series.iloc[r])} (beyond the largest double, e.g. "
                         "1e400; a SAS number cannot hold it)", file=path, record=r + 1, variable=var.name)
    return out


def _iso_datetimes(series: pd.Series, var: Variable, path: Path, kind: str) -> pd.Series:
    """Complete ISO 8601 dates or datetimes (``kind``) -> datetime64[ns]."""
    text = series.map(lambda v: isinstance(v, str))
    if (~text & series.notna()).any():             # a number where ISO 8601 text is due
        r = int(np.flatnonzero((~text & series.notna()).to_numpy())[0])
        raise InputError(f"not an ISO 8601 {kind}: {_shown(series.iloc[r])}", file=path, record=r + 1,
                         variable=var.name)
    out = pd.to_datetime(series.where(text, None), errors="coerce", format="ISO8601")
    # pandas 3 parses outside datetime64[ns] (another unit): missing here, as pandas 2 had it
    out = out.where((out >= pd.Timestamp.min) & (out <= pd.Timestamp.max))
    codes, distinct = pd.factorize(series)   # each distinct value looked at once
    complete = np.array([isinstance(v, str) and bool(_COMPLETE[kind].match(v)) for v in distinct],
                        dtype=bool)
    bad = (out.isna() & series.notna()).to_numpy() | ~np.append(complete, True)[codes]  # -1: missing
    if bad.any():
        r = int(np.flatnonzero(bad)[0])
        raise InputError(_temporal_problem(series.iloc[r], kind), file=path, record=r + 1,
                         variable=var.name)
    return out.astype("datetime64[ns]")
