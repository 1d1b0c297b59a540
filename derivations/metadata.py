"""Apply a define.xml dataset specification to a derived frame (the xportr chain).

``apply_metadata`` does what ``xportr_order |> xportr_label |> xportr_type |>
xportr_length |> xportr_format |> xportr_df_label`` do in R: keep the specified
variables in define order, set labels, SAS types, lengths and display formats and the
dataset label. ``check_metadata`` reports, as findings, what the frame does not agree
with the specification on: variables missing or extra, values that do not fit the
define length (never silently truncated: the length is widened to fit), values that do
not convert to the specified type, values outside a codelist. ``conform`` does both
in one pass.

Text work is done once per distinct value (``pd.factorize``), so wide frames of millions
of rows stay fast.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from adam.define import CodeList, DatasetSpec, VariableSpec
from adam.findings import Finding
from adam.metadata import CHAR, Dataset, Variable, format_kind

SAS_EPOCH = pd.Timestamp("1960-01-01")


def apply_metadata(frame: pd.DataFrame, spec: DatasetSpec) -> Dataset:
    """``frame`` as a :class:`Dataset` shaped by ``spec``.

    Columns not in ``spec`` are dropped and specified columns absent from ``frame`` are
    left out (``check_metadata`` reports both). Character columns become ``object`` with
    blanks as ``NaN``; numeric columns ``float64``, or ``datetime64[ns]`` when the define
    gives a date/datetime display format. A character length is the define length, or the
    longest value when that is longer.
    """
    return conform(frame, spec)[0]


def check_metadata(frame: pd.DataFrame, spec: DatasetSpec,
                   codelists: dict[str, CodeList] | None = None) -> list[Finding]:
    """Findings for ``frame`` against ``spec`` (rule ids ``META-*``)."""
    return conform(frame, spec, codelists)[1]


def conform(frame: pd.DataFrame, spec: DatasetSpec,
            codelists: dict[str, CodeList] | None = None) -> tuple[Dataset, list[Finding]]:
    """``apply_metadata`` and ``check_metadata`` sharing one conversion of each column."""
    findings = [Finding(spec.name, "META-MISSING", "warning",
                        f"{v.name} is in the define but was not derived", variable=v.name)
                for v in spec.variables if v.name not in frame.columns]
    findings += [Finding(spec.name, "META-EXTRA", "note",
                         f"{c} is not in the define and is dropped", variable=c)
                 for c in frame.columns if c not in spec]
    columns, variables = {}, []
    for v in spec.variables:
        if v.name not in frame.columns:
            continue
        col = _convert(frame[v.name], v)
        columns[v.name] = col.values.to_numpy()
        variables.append(_variable(v, col))
        findings += _type_findings(frame, v, col, spec.name)
        findings += _length_findings(frame, v, col, spec.name)
        if codelists and v.codelist in codelists:
            findings += _codelist_findings(frame, v, col, codelists[v.codelist], spec.name)
    out = pd.DataFrame(columns, index=pd.RangeIndex(len(frame)))
    return Dataset(spec.name, out, spec.label, variables), findings


# -- conversion ---------------------------------------------------------------------------

@dataclass
class _Column:
    values: pd.Series                 # converted to the frame convention
    widths: np.ndarray | None = None  # UTF-8 byte width per row (character only; NaN missing)
    lost: np.ndarray | None = None    # rows with a value that did not convert to a number


def _convert(s: pd.Series, v: VariableSpec) -> _Column:
    s = s.reset_index(drop=True)
    if v.type == CHAR:
        return _char(s)
    kind = format_kind(v.display_format)
    if kind and pd.api.types.is_datetime64_any_dtype(s):
        return _Column(s.astype("datetime64[ns]"), lost=np.zeros(len(s), bool))
    if pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s):
        numbers, lost = s.astype("float64"), np.zeros(len(s), bool)
    else:
        numbers = pd.to_numeric(s, errors="coerce").astype("float64")
        lost = (numbers.isna() & _char(s).values.notna()).to_numpy()
    if kind == "date":
        numbers = SAS_EPOCH + pd.to_timedelta(numbers, unit="D")
    elif kind == "datetime":
        numbers = SAS_EPOCH + pd.to_timedelta(numbers, unit="s")
    return _Column(numbers, lost=lost)


def _char(s: pd.Series) -> _Column:
    """Text with trailing blanks removed and blanks as NaN, and each value's byte width,
    computed once per distinct value."""
    codes, uniques = pd.factorize(s, use_na_sentinel=True)
    distinct = pd.Series(uniques, dtype=object)
    if pd.api.types.is_datetime64_any_dtype(s):
        distinct = pd.Series(pd.DatetimeIndex(uniques).strftime("%Y-%m-%d"), dtype=object)
    elif pd.api.types.is_numeric_dtype(s):
        distinct = distinct.map(_number_text)
    text = distinct.astype(str).str.rstrip()
    text = text.mask(text == "", np.nan)
    width = text.str.encode("utf-8").str.len().to_numpy(dtype="float64")
    take = np.where(codes >= 0, codes, 0)
    missing = codes < 0
    values = pd.Series(text.to_numpy()[take] if len(text) else np.full(len(s), np.nan),
                       dtype=object)
    values[missing] = np.nan
    widths = width[take] if len(width) else np.full(len(s), np.nan)
    widths = np.where(missing, np.nan, widths)
    return _Column(values, widths=widths)


def _number_text(x) -> str:
    x = float(x)
    return str(int(x)) if x.is_integer() else repr(x)


def _variable(v: VariableSpec, col: _Column) -> Variable:
    var = v.to_variable()
    if var.type == CHAR:
        longest = np.nanmax(col.widths) if np.isfinite(col.widths).any() else 0
        var.length = max(var.length or 1, int(longest), 1)
    return var


# -- findings -----------------------------------------------------------------------------

def _first(frame: pd.DataFrame, mask: np.ndarray) -> tuple[int, str | None]:
    """1-based first offending row and its USUBJID."""
    first = int(np.flatnonzero(mask)[0])
    usubjid = frame["USUBJID"].iloc[first] if "USUBJID" in frame.columns else None
    return first + 1, (None if pd.isna(usubjid) else str(usubjid))


def _type_findings(frame, v, col, dataset) -> list[Finding]:
    if col.lost is None or not col.lost.any():
        return []
    record, usubjid = _first(frame, col.lost)
    return [Finding(dataset, "META-TYPE", "error",
                    f"{int(col.lost.sum())} value(s) of {v.name} are not numeric "
                    f"(define DataType {v.data_type})", usubjid, v.name,
                    str(frame[v.name].iloc[record - 1]), record)]


def _length_findings(frame, v, col, dataset) -> list[Finding]:
    if col.widths is None or not v.length:
        return []
    over = np.nan_to_num(col.widths) > v.length
    if not over.any():
        return []
    record, usubjid = _first(frame, over)
    return [Finding(dataset, "META-LENGTH", "warning",
                    f"{int(over.sum())} value(s) of {v.name} are longer than the define "
                    f"length {v.length} (longest {int(np.nanmax(col.widths))}); length "
                    "widened, values kept", usubjid, v.name,
                    str(col.values.iloc[record - 1]), record)]


def _codelist_findings(frame, v, col, codelist, dataset) -> list[Finding]:
    values = col.values
    if codelist.dictionary or not codelist.items or pd.api.types.is_datetime64_any_dtype(values):
        return []
    if v.type == CHAR:
        bad = (values.notna() & ~values.isin(set(codelist.values))).to_numpy()
    else:
        allowed = pd.to_numeric(pd.Series(codelist.values), errors="coerce").to_numpy()
        bad = (values.notna() & ~values.isin(allowed)).to_numpy()
    if not bad.any():
        return []
    record, usubjid = _first(frame, bad)
    odd = sorted({_number_text(x) if v.type != CHAR else str(x) for x in pd.unique(values[bad])})
    return [Finding(dataset, "META-CODELIST", "warning",
                    f"{v.name} has value(s) outside codelist {codelist.oid}: "
                    f"{', '.join(odd[:5])}", usubjid, v.name, odd[0], record)]
