"""Analysis Results Data: one row per statistic (``shared/spec/ard.md``).

Statistics modules return results; the analysis runner turns them into rows with
:func:`ard_rows`; reports read them back with :func:`read_ard` and select with
:func:`ard_value`. Floats are written ``repr``-exact; an empty value means not estimable.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd

COLUMNS = ["study", "analysis_id", "paramcd", "population", "method", "group_var", "group",
           "subgroup_var", "subgroup", "timepoint", "stat_name", "stat_value", "options"]

STAT_NAMES = {
    "km": {"n", "n_events", "n_censored", "median", "median_lcl", "median_ucl", "q25", "q75",
           "surv", "surv_lcl", "surv_ucl", "n_risk"},
    "logrank": {"chisq", "df", "p_value"},
    "cox": {"hr", "hr_lcl", "hr_ucl", "log_hr", "se_log_hr", "p_value", "p_score", "p_lr",
            "p_interaction"},
    "zph": {"chisq", "df", "p_value"},
    "ipcw": {"hr", "hr_lcl", "hr_ucl", "p_value"},
    "msm": {"hr", "hr_lcl", "hr_ucl", "p_value"},
    "km-curve": {"surv", "n_censor"},
    "summary": {"n", "mean", "sd", "median", "q1", "q3", "min", "max"},
    "revkm": {"median_fu", "median_fu_lcl", "median_fu_ucl"},
    "rmst": {"rmst", "rmst_se"},
    "count": {"n", "pct", "denom"},
}


def format_options(options: dict | None) -> str:
    """``{'ties': 'efron', 'strata': ['A', 'B']}`` -> ``'ties=efron;strata=A,B'`` (keys sorted)."""
    if not options:
        return ""
    parts = []
    for key in sorted(options):
        val = options[key]
        if val is None or val == [] or val == ():
            continue
        if isinstance(val, (list, tuple)):
            val = ",".join(str(v) for v in val)
        parts.append(f"{key}={val}")
    return ";".join(parts)


def parse_options(text: str) -> dict[str, str]:
    if not isinstance(text, str) or not text:
        return {}
    return dict(part.split("=", 1) for part in text.split(";") if "=" in part)


def _clean(value):
    if value is None:
        return np.nan
    if isinstance(value, (bool, np.bool_)):
        return float(value)
    value = float(value)
    return np.nan if math.isinf(value) or math.isnan(value) else value


def ard_rows(stats: dict, *, study: str, analysis_id: str, method: str, paramcd: str = "",
             population: str = "", group_var: str = "", group: str = "", subgroup_var: str = "",
             subgroup: str = "", timepoint=None, options: dict | None = None) -> list[dict]:
    """Rows for a ``{stat_name: value}`` mapping sharing the same keys.
    ``None``/``NaN``/``inf`` become an empty value (not estimable)."""
    opts = format_options(options)
    tp = "" if timepoint is None else timepoint
    return [dict(study=study, analysis_id=analysis_id, paramcd=paramcd, population=population,
                 method=method, group_var=group_var, group=group, subgroup_var=subgroup_var,
                 subgroup=subgroup, timepoint=tp, stat_name=name, stat_value=_clean(value),
                 options=opts)
            for name, value in stats.items()]


def ard_frame(rows: list[dict]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=COLUMNS)
    for col in ("stat_value", "timepoint"):
        frame[col] = pd.to_numeric(frame[col].astype(object).where(frame[col] != "", None),
                                   errors="coerce").astype(float)
    return frame


def write_ard(frame: pd.DataFrame, path: str | Path) -> Path:
    """Write ``ard.csv`` atomically with full-precision floats."""
    from adam.io.atomic import atomic_path

    out = frame.reindex(columns=COLUMNS).copy()
    for col in ("stat_value", "timepoint"):
        out[col] = out[col].map(_repr_number)
    with atomic_path(path) as tmp:
        out.to_csv(tmp, index=False, encoding="utf-8", lineterminator="\n")
    return Path(path)


def _repr_number(value) -> str:
    if value is None or value == "":
        return ""
    try:
        f = float(value)
    except (TypeError, ValueError):
        return str(value)
    if math.isnan(f):
        return ""
    return str(int(f)) if f.is_integer() and abs(f) < 2**53 else repr(f)


def read_ard(path: str | Path) -> pd.DataFrame:
    """Read an ``ard.csv`` (or the ``ard.csv`` of a folder): text columns as strings ('' for
    empty), ``stat_value`` and ``timepoint`` as floats (``NaN`` empty). Anything that is not
    a whole ARD is an :class:`~adam.errors.InputError` naming the file, record and column:
    not UTF-8, not CSV, a missing column, a record cut short, a value that is not a number,
    two records for one statistic."""
    import csv
    import io

    from adam.errors import InputError

    path = Path(path)
    if path.is_dir():
        if not (path / "ard.csv").exists():
            raise InputError("no ard.csv in this folder", file=path)
        path = path / "ard.csv"
    if not path.exists():
        raise InputError("ARD not found", file=path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror or exc}", file=path) from None
    if not raw:
        raise InputError("empty file (0 bytes); an ARD has at least its header row", file=path)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[:exc.start].count(b"\n") + 1
        raise InputError(f"not UTF-8 text (byte 0x{raw[exc.start]:02x} on line {line}); an ARD is "
                         "UTF-8 CSV", file=path) from None
    try:
        rows = [row for row in csv.reader(io.StringIO(text, newline="")) if row]
    except csv.Error as exc:
        raise InputError(f"not a readable CSV: {exc}", file=path) from None
    if not rows:
        raise InputError("no header row: an ARD has at least its header row", file=path)
    header, body = rows[0], rows[1:]
    missing = [c for c in COLUMNS if c not in header]
    if missing:
        raise InputError(f"not an ARD: missing column(s) {', '.join(missing)}", file=path)
    for r, row in enumerate(body):
        if len(row) != len(header):
            cut = " (the file is cut short?)" if r == len(body) - 1 and len(row) < len(header) else ""
            raise InputError(f"has {len(row)} fields, the header {len(header)}{cut}", file=path,
                             record=r + 1)
    frame = pd.DataFrame(body, columns=header, dtype=object)
    for col in ("stat_value", "timepoint"):
        values = pd.to_numeric(frame[col].astype(object).where(frame[col] != "", None),
                               errors="coerce").astype(float)
        text_values = (values.isna() & (frame[col] != "")).to_numpy()
        if text_values.any():
            r = int(np.flatnonzero(text_values)[0])
            raise InputError(f"not a number: {frame[col].iloc[r]!r}", file=path, record=r + 1,
                             variable=col)
        frame[col] = values
    keys = [c for c in COLUMNS if c != "stat_value"]
    repeated = frame.duplicated(keys).to_numpy()
    if repeated.any():
        r = int(np.flatnonzero(repeated)[0])
        row = frame.iloc[r]
        hashes = pd.util.hash_pandas_object(frame[keys], index=False).to_numpy()
        first = int(np.flatnonzero(hashes == hashes[r])[0])
        raise InputError(f"a second value for statistic {row['stat_name']!r} of {row['analysis_id']} "
                         f"{row['method']} {row['group']!r} (first on record {first + 1}); an ARD has "
                         "one row per statistic", file=path, record=r + 1, variable="stat_value")
    return frame


def ard_value(ard: pd.DataFrame, stat_name: str, default=np.nan, **keys):
    """The single ``stat_value`` matching ``stat_name`` and column ``keys``
    (e.g. ``analysis_id='OS-PRIMARY', method='cox'``); ``default`` when absent."""
    mask = ard["stat_name"] == stat_name
    for key, val in keys.items():
        if key == "timepoint":
            mask &= np.isclose(ard[key].astype(float), float(val))
        else:
            mask &= ard[key] == val
    hits = ard.loc[mask, "stat_value"]
    if len(hits) > 1:
        raise ValueError(f"ARD has {len(hits)} rows for {stat_name} {keys}")
    return default if hits.empty else hits.iloc[0]
