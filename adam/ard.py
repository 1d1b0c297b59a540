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
    """Read an ``ard.csv``: text columns as strings ('' for empty), ``stat_value`` and
    ``timepoint`` as floats (``NaN`` empty)."""
    from adam.errors import InputError

    path = Path(path)
    if path.is_dir():
        path = path / "ard.csv"
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    except (OSError, UnicodeDecodeError, pd.errors.ParserError) as exc:
        raise InputError(f"cannot read ARD: {exc}", file=path) from None
    missing = [c for c in COLUMNS if c not in frame.columns]
    if missing:
        raise InputError(f"not an ARD: missing column(s) {', '.join(missing)}", file=path)
    for col in ("stat_value", "timepoint"):
        frame[col] = pd.to_numeric(frame[col].astype(object).where(frame[col] != "", None),
                                   errors="coerce").astype(float)
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
