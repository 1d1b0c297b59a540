"""CDISC Dataset-JSON v1.1: read and write with the same metadata as XPT.

Mapping (lossless for what XPT holds): Char -> ``dataType 'string'`` with ``length``;
Num -> ``'double'`` with ``length`` (bytes); numeric dates -> ``'date'`` (ISO 8601 text
in ``rows``) with ``targetDataType 'integer'`` and the SAS ``displayFormat``; datetimes ->
``'datetime'`` likewise. Missing values are ``null``.
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
        if var.kind:
            col["targetDataType"] = "integer"
        if var.format:
            col["displayFormat"] = var.format
        columns.append(col)
        data.append(_json_values(ds.frame[var.name], var))
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


def _json_values(series: pd.Series, var: Variable) -> list:
    if var.kind == "date":
        return [None if pd.isna(v) else v.strftime("%Y-%m-%d") for v in series]
    if var.kind == "datetime":
        return [None if pd.isna(v) else v.strftime("%Y-%m-%dT%H:%M:%S") for v in series]
    if var.type == NUM:
        arr = pd.to_numeric(series, errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
        return [None if math.isnan(v) else (int(v) if v.is_integer() and abs(v) < 2**53 else v)
                for v in arr.tolist()]
    return [None if (v is None or (isinstance(v, float) and math.isnan(v))) else str(v)
            for v in series.tolist()]


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
            doc = json.load(fh)
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
        dtype = col.get("dataType", "string")
        is_num = dtype in _NUMERIC_TYPES or dtype in _TEMPORAL_TYPES and col.get("targetDataType") in ("integer", "decimal")
        fmt = col.get("displayFormat") or None
        if dtype in ("date", "datetime") and not fmt:
            fmt = "DATE9." if dtype == "date" else "DATETIME20."
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
    _check_cells(rows, variables, path)
    frame = pd.DataFrame(rows, columns=[v.name for v in variables], dtype=object)
    for var in variables:
        frame[var.name] = _from_json(frame[var.name], var, path)
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
        dtype = col.get("dataType", "string")
        if dtype == "boolean":
            raise InputError(f"column {i}: dataType boolean is not supported (SAS transport files "
                             "hold numbers and text only); write it as integer 1/0 or as string",
                             file=path, **where)
        if dtype not in _DATA_TYPES:
            raise InputError(f"column {i}: unknown dataType {dtype!r} (Dataset-JSON v1.1: "
                             f"{', '.join(sorted(_DATA_TYPES))})", file=path, **where)


def _check_cells(rows: list, variables: list, path: Path) -> None:
    """An :class:`InputError` naming the record and variable of the first cell that is an
    object or array (a cell holds one value), or text that is not valid Unicode (a lone
    surrogate such as ``"\\ud800"``)."""
    for j, var in enumerate(variables):
        values = [row[j] for row in rows]
        kinds = set(map(type, values))
        if kinds & {dict, list}:
            r = next(r for r, v in enumerate(values) if isinstance(v, (dict, list)))
            raise InputError(f"a cell holds {_shown(values[r])}, not a single value", file=path,
                             record=r + 1, variable=var.name)
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


def _from_json(series: pd.Series, var: Variable, path: Path) -> pd.Series:
    if var.kind in ("date", "datetime"):
        out = pd.to_datetime(series, errors="coerce", format="ISO8601")
        # pandas 3 parses outside datetime64[ns] (another unit): missing here, as pandas 2 had it
        out = out.where((out >= pd.Timestamp.min) & (out <= pd.Timestamp.max))
        codes, distinct = pd.factorize(series)   # each distinct value looked at once
        complete = np.array([isinstance(v, str) and bool(_COMPLETE[var.kind].match(v)) for v in distinct],
                            dtype=bool)
        bad = (out.isna() & series.notna()).to_numpy() | ~np.append(complete, True)[codes]  # -1: missing
        if bad.any():
            r = int(np.flatnonzero(bad)[0])
            raise InputError(_temporal_problem(series.iloc[r], var.kind), file=path, record=r + 1,
                             variable=var.name)
        return out.astype("datetime64[ns]")
    if var.type == NUM:
        out = pd.to_numeric(series, errors="coerce")
        bad = out.isna() & series.notna()
        if bad.any():
            r = int(np.flatnonzero(bad.to_numpy())[0])
            raise InputError(f"not a number: {series.iloc[r]!r}", file=path, record=r + 1,
                             variable=var.name)
        return out.astype("float64")
    return series.where(series.notna() & (series != ""), np.nan)
