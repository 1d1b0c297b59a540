"""PROC COMPARE-style QC of two datasets (double programming).

:func:`compare_datasets` matches observations on ID ``keys`` (datacompy does the row
matching and the tolerant value comparison) and reports what SAS PROC COMPARE reports:
observations and variables found in only one dataset, values that differ (numbers
within ``abs_tol + rel_tol * |base|``; dates and datetimes as the SAS numbers they are,
days or seconds with their fractions, so values less than a day apart differ; text exactly) and
metadata that differs (label, type, length, format; and the dataset label).
Variables whose types conflict are listed as metadata differences and, as in SAS, not
compared value by value.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from adam.errors import UsageError
from adam.io.atomic import write_text
from adam.metadata import Dataset
from checks.report import format_value, render

ATTRIBUTES = ("label", "type", "length", "format")
_OBS_B, _OBS_C = "__OBS_BASE__", "__OBS_COMPARE__"


@dataclass
class CompareResult:
    """Everything PROC COMPARE prints, as frames. ``n_differences`` counts each
    unequal value, each attribute difference, each observation and each variable found
    in only one dataset."""

    base: Dataset
    compare: Dataset
    keys: list[str]
    abs_tol: float
    rel_tol: float
    vars_only_base: list[str]
    vars_only_compare: list[str]
    obs_only_base: pd.DataFrame        # keys + OBS (1-based record in BASE)
    obs_only_compare: pd.DataFrame     # keys + OBS (1-based record in COMPARE)
    value_diffs: pd.DataFrame          # keys + VARIABLE, BASE, COMPARE, DIFF
    metadata_diffs: pd.DataFrame       # VARIABLE, ATTRIBUTE, BASE, COMPARE
    variable_stats: pd.DataFrame       # VARIABLE, TYPE, LEN, NDIF, MAXDIF per compared var
    n_obs_common: int
    n_obs_unequal: int
    compared: list[str] = field(default_factory=list)

    @property
    def n_differences(self) -> int:
        return (len(self.vars_only_base) + len(self.vars_only_compare)
                + len(self.obs_only_base) + len(self.obs_only_compare)
                + len(self.value_diffs) + len(self.metadata_diffs))

    @property
    def identical(self) -> bool:
        return self.n_differences == 0

    def summary_text(self, max_listing: int = 50) -> str:
        """The report SAS PROC COMPARE prints: data set, variables, observation and
        values comparison summaries, then the listing of differences (at most
        ``max_listing`` rows per variable)."""
        return "\n".join(_summary_lines(self, max_listing)) + "\n"

    def write_html(self, path: str | Path, inputs=(), max_listing: int = 500) -> Path:
        """Self-contained HTML version of :meth:`summary_text` (atomic)."""
        html = render("compare.html.j2", result=self, max_listing=max_listing,
                      summary=self.summary_text(max_listing=0))
        return write_text(path, html, inputs=inputs)

    @property
    def method(self) -> str:
        if self.rel_tol:
            return f"Method=RELATIVE, Criterion={self.rel_tol:.1E} (absolute {self.abs_tol:.1E})"
        return f"Method=ABSOLUTE, Criterion={self.abs_tol:.1E}"

    def listing(self, variable: str) -> pd.DataFrame:
        """The value differences of one variable."""
        return self.value_diffs[self.value_diffs["VARIABLE"] == variable]

    @property
    def n_vars_unequal(self) -> int:
        return int((self.variable_stats["NDIF"] > 0).sum())


def compare_datasets(base: Dataset, compare: Dataset, keys: list[str],
                     abs_tol: float = 1e-10, rel_tol: float = 0) -> CompareResult:
    """Compare ``compare`` against ``base`` by ID ``keys`` (see module docstring)."""
    keys = list(keys)
    _check_keys(base, keys, "BASE")
    _check_keys(compare, keys, "COMPARE")
    bmeta, cmeta = base.meta, compare.meta
    common = [v for v in bmeta if v in cmeta and v not in keys]
    meta_diffs = _metadata_diffs(base, compare, [*keys, *common])
    conflicting = {v for v in common if bmeta[v].type != cmeta[v].type}
    compared = [v for v in common if v not in conflicting]

    units = _time_units(base, compared)
    left = _prepared(base, keys, compared, units).assign(
        **{_OBS_B: np.arange(1, len(base) + 1)})
    right = _prepared(compare, keys, compared, units).assign(
        **{_OBS_C: np.arange(1, len(compare) + 1)})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import datacompy  # deferred: costs ~0.5 s to import
        cmp = datacompy.PandasCompare(left, right, join_columns=keys, abs_tol=abs_tol,
                                      rel_tol=rel_tol, df1_name="base", df2_name="compare",
                                      cast_column_names_lower=False)
    rows = cmp.intersect_rows
    diffs, stats = _value_diffs(rows, keys, compared, bmeta, units)
    unequal = (~rows[[f"{v}_match" for v in compared]].all(axis=1)).sum() if compared else 0
    return CompareResult(
        base=base, compare=compare, keys=keys, abs_tol=abs_tol, rel_tol=rel_tol,
        vars_only_base=[v for v in bmeta if v not in cmeta],
        vars_only_compare=[v for v in cmeta if v not in bmeta],
        obs_only_base=_only(cmp.df1_unq_rows, keys, _OBS_B),
        obs_only_compare=_only(cmp.df2_unq_rows, keys, _OBS_C),
        value_diffs=diffs, metadata_diffs=meta_diffs, variable_stats=stats,
        n_obs_common=len(rows), n_obs_unequal=int(unequal), compared=compared)


def _check_keys(ds: Dataset, keys: list[str], role: str) -> None:
    if not keys:
        raise UsageError("give at least one ID key (--keys)")
    missing = [k for k in keys if k not in ds.frame.columns]
    if missing:
        raise UsageError(f"{role} dataset {ds.name} has no key variable "
                         f"{', '.join(missing)}", variable=missing[0])
    dup = ds.frame.duplicated(keys)
    if dup.any():
        record = int(np.flatnonzero(dup.to_numpy())[0]) + 1
        raise UsageError(f"keys {','.join(keys)} do not identify observations uniquely in "
                         f"{role} dataset {ds.name}", record=record)


def _time_units(ds: Dataset, compared: list[str]) -> dict[str, str]:
    """Datetime columns compared as numbers, as SAS does: 'D' (days) when the format is
    a date format, else 's' (seconds)."""
    return {n: ("D" if ds[n].kind == "date" else "s") for n in compared
            if pd.api.types.is_datetime64_any_dtype(ds.frame[n])}


def _prepared(ds: Dataset, keys: list[str], compared: list[str], units: dict[str, str]
              ) -> pd.DataFrame:
    """Key and compared columns; datetimes as float days (date formats, with the fraction
    of the day: 21000.5 is not 21000) or seconds, as SAS compares them."""
    frame = ds.frame[[*keys, *compared]].reset_index(drop=True).copy()
    for name, unit in units.items():
        if pd.api.types.is_datetime64_any_dtype(frame[name]):
            frame[name] = _to_number(frame[name], unit)
    return frame


def _to_number(s: pd.Series, unit: str) -> pd.Series:
    """Days or seconds since 1970 with their fraction: whole units and the rest converted
    apart (ns as one float would round away differences below ~0.25 us)."""
    per = pd.Timedelta(1, unit=unit).value
    ns = s.to_numpy(dtype="datetime64[ns]").view("int64")
    whole = ns // per
    value = whole.astype(float) + (ns - whole * per) / per
    value[s.isna().to_numpy()] = np.nan
    return pd.Series(value, index=s.index)


def _from_number(values: pd.Series, unit: str) -> pd.Series:
    return pd.to_datetime(values.astype(float) * pd.Timedelta(1, unit=unit).value, unit="ns")


def _metadata_diffs(base: Dataset, compare: Dataset, names: list[str]) -> pd.DataFrame:
    rows = []
    if (base.label or "") != (compare.label or ""):
        rows.append(("(dataset)", "label", base.label, compare.label))
    bmeta, cmeta = base.meta, compare.meta
    for name in names:
        for attr in ATTRIBUTES:
            b, c = getattr(bmeta[name], attr), getattr(cmeta[name], attr)
            if (b or None) != (c or None):
                rows.append((name, attr, b, c))
    return pd.DataFrame(rows, columns=["VARIABLE", "ATTRIBUTE", "BASE", "COMPARE"])


def _value_diffs(rows: pd.DataFrame, keys: list[str], compared: list[str], meta,
                 units: dict[str, str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Listing of unequal values (COMPARE - BASE in ``DIFF``; days or seconds for
    datetimes, shown back as datetimes) and per-variable counts."""
    parts, stats = [], []
    for name in compared:
        bad = ~rows[f"{name}_match"].to_numpy(dtype=bool)
        b, c = rows[f"{name}_base"][bad], rows[f"{name}_compare"][bad]
        diff = _difference(b, c)
        if name in units:
            b, c = _from_number(b, units[name]), _from_number(c, units[name])
        maxdif = float(np.nanmax(np.abs(diff))) if bad.any() and np.isfinite(diff).any() else 0.0
        stats.append((name, meta[name].type, meta[name].length, int(bad.sum()), maxdif))
        if bad.any():
            part = rows.loc[bad, keys].copy()
            part["VARIABLE"] = name
            part["BASE"] = b.to_numpy()
            part["COMPARE"] = c.to_numpy()
            part["DIFF"] = diff
            parts.append(part)
    columns = [*keys, "VARIABLE", "BASE", "COMPARE", "DIFF"]
    diffs = (pd.concat(parts, ignore_index=True) if parts
             else pd.DataFrame(columns=columns))
    stat_frame = pd.DataFrame(stats, columns=["VARIABLE", "TYPE", "LEN", "NDIF", "MAXDIF"])
    return diffs[columns], stat_frame


def _difference(b: pd.Series, c: pd.Series) -> np.ndarray:
    """COMPARE - BASE for numbers; NaN for text or missing."""
    if pd.api.types.is_numeric_dtype(b) and pd.api.types.is_numeric_dtype(c):
        return (c.astype(float) - b.astype(float)).to_numpy()
    return np.full(len(b), np.nan)


def _only(frame: pd.DataFrame, keys: list[str], obs: str) -> pd.DataFrame:
    out = frame[[*keys, obs]].rename(columns={obs: "OBS"}).sort_values("OBS")
    return out.reset_index(drop=True)


__all__ = ["CompareResult", "compare_datasets", "format_value"]


# ------------------------------------------------------------------- text listing
def _table(header: list[str], rows: list[list], indent: str = "  ") -> list[str]:
    """Left-aligned text columns, numbers right-aligned, with an underline row."""
    cells = [[format_value(c) for c in r] for r in rows]
    widths = [max([len(h)] + [len(r[i]) for r in cells]) for i, h in enumerate(header)]
    numeric = [all(isinstance(r[i], (int, float, np.integer, np.floating)) for r in rows)
               and bool(rows) for i in range(len(header))]

    def line(values):
        return indent + "  ".join(v.rjust(w) if num else v.ljust(w)
                                  for v, w, num in zip(values, widths, numeric)).rstrip()
    return [line(header), line(["-" * w for w in widths]), *(line(r) for r in cells)]


def _summary_lines(r: CompareResult, max_listing: int) -> list[str]:
    b, c = r.base, r.compare
    out = ["The COMPARE Procedure",
           f"Comparison of BASE {b.name} with COMPARE {c.name}",
           f"({r.method})", "", "Data Set Summary", ""]
    out += _table(["Dataset", "NObs", "NVar", "Label"],
                  [[f"BASE {b.name}", len(b), len(b.variables), b.label],
                   [f"COMPARE {c.name}", len(c), len(c.variables), c.label]])
    conflicting = sorted(set(r.metadata_diffs.loc[r.metadata_diffs.ATTRIBUTE == "type",
                                                  "VARIABLE"]))
    differing = r.metadata_diffs[r.metadata_diffs.VARIABLE != "(dataset)"]
    n_common = len([v for v in b.meta if v in c.meta])
    out += ["", "Variables Summary", "",
            f"Number of Variables in Common: {n_common}.",
            f"Number of Variables in BASE but not in COMPARE: {len(r.vars_only_base)}.",
            f"Number of Variables in COMPARE but not in BASE: {len(r.vars_only_compare)}.",
            f"Number of Variables with Conflicting Types: {len(conflicting)}.",
            f"Number of Variables with Differing Attributes: "
            f"{differing.VARIABLE.nunique()}.",
            f"Number of ID Variables: {len(r.keys)}."]
    for title, names in (("BASE", r.vars_only_base), ("COMPARE", r.vars_only_compare)):
        if names:
            out += ["", f"Variables only in {title}: {', '.join(names)}"]
    if len(r.metadata_diffs):
        out += ["", "Listing of Differing Attributes", ""]
        out += _table(["Variable", "Attribute", "BASE", "COMPARE"],
                      r.metadata_diffs.values.tolist())
    out += ["", "Observation Summary", "",
            f"Number of Observations in Common: {r.n_obs_common}.",
            f"Number of Observations in BASE but not in COMPARE: {len(r.obs_only_base)}.",
            f"Number of Observations in COMPARE but not in BASE: {len(r.obs_only_compare)}.",
            f"Total Number of Observations Read from BASE: {len(b)}.",
            f"Total Number of Observations Read from COMPARE: {len(c)}.", "",
            f"Number of Observations with Some Compared Variables Unequal: {r.n_obs_unequal}.",
            f"Number of Observations with All Compared Variables Equal: "
            f"{r.n_obs_common - r.n_obs_unequal}."]
    for title, frame in (("BASE", r.obs_only_base), ("COMPARE", r.obs_only_compare)):
        if len(frame):
            out += ["", f"Observations only in {title}", ""]
            out += _table([*r.keys, "Obs"], frame.head(max_listing or len(frame)).values.tolist())
    stats = r.variable_stats
    maxdif = stats["MAXDIF"].max() if len(stats) else 0.0
    out += ["", "Values Comparison Summary", "",
            f"Number of Variables Compared with All Observations Equal: "
            f"{len(stats) - r.n_vars_unequal}.",
            f"Number of Variables Compared with Some Observations Unequal: {r.n_vars_unequal}.",
            f"Total Number of Values which Compare Unequal: {len(r.value_diffs)}.",
            f"Maximum Difference: {format_value(float(maxdif or 0.0))}."]
    unequal = stats[stats.NDIF > 0]
    if len(unequal):
        out += ["", "Variables with Unequal Values", ""]
        out += _table(["Variable", "Type", "Len", "Ndif", "MaxDif"], unequal.values.tolist())
        if max_listing:
            out += ["", "Value Comparison Results for Variables"]
            for name in unequal.VARIABLE:
                part = r.listing(name)
                out += ["", f"Variable {name}", ""]
                rows = part[[*r.keys, "BASE", "COMPARE", "DIFF"]].head(max_listing)
                out += _table([*r.keys, "Base", "Compare", "Diff."], rows.values.tolist())
                if len(part) > max_listing:
                    out.append(f"  ... {len(part) - max_listing} more")
    out += ["", "NOTE: No unequal values were found. All values compared are exactly equal."
            if r.identical else f"NOTE: {r.n_differences} difference(s) found."]
    return out
