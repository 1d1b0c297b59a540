"""Apply a define.xml dataset specification to a derived frame (the xportr chain).

``apply_metadata`` does what ``xportr_order |> xportr_label |> xportr_type |>
xportr_length |> xportr_format |> xportr_df_label`` do in R: keep the specified
variables in define order, set labels, SAS types, lengths and display formats and the
dataset label. ``check_metadata`` reports, as findings, what the frame does not agree
with the specification on: variables missing or extra, values that do not fit the
define length (never silently truncated: the length is widened to fit), values that do
not convert to the specified type, values outside a codelist.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from adam.define import CodeList, DatasetSpec, VariableSpec
from adam.findings import Finding
from adam.metadata import CHAR, Dataset, Variable, blank_to_missing, char_width, format_kind

SAS_EPOCH = pd.Timestamp("1960-01-01")


def apply_metadata(frame: pd.DataFrame, spec: DatasetSpec) -> Dataset:
    """``frame`` as a :class:`Dataset` shaped by ``spec``.

    Columns not in ``spec`` are dropped and specified columns absent from ``frame`` are
    left out (``check_metadata`` reports both). Character columns become ``object`` with
    blanks as ``NaN``; numeric columns ``float64``, or ``datetime64[ns]`` when the define
    gives a date/datetime display format. A character length is the define length, or the
    longest value when that is longer.
    """
    present = [v for v in spec.variables if v.name in frame.columns]
    columns = {v.name: _coerce(frame[v.name], v) for v in present}
    out = pd.DataFrame(columns, index=frame.index).reset_index(drop=True)
    variables = [_variable(v, out[v.name]) for v in present]
    return Dataset(spec.name, out, spec.label, variables)


def check_metadata(frame: pd.DataFrame, spec: DatasetSpec,
                   codelists: dict[str, CodeList] | None = None) -> list[Finding]:
    """Findings for ``frame`` against ``spec`` (rule ids ``META-*``)."""
    findings = [Finding(spec.name, "META-MISSING", "warning",
                        f"{v.name} is in the define but was not derived", variable=v.name)
                for v in spec.variables if v.name not in frame.columns]
    findings += [Finding(spec.name, "META-EXTRA", "note",
                         f"{c} is not in the define and is dropped", variable=c)
                 for c in frame.columns if c not in spec]
    for v in spec.variables:
        if v.name not in frame.columns:
            continue
        values = _coerce(frame[v.name], v)
        findings += _type_findings(frame, v, values, spec.name)
        findings += _length_findings(frame, v, values, spec.name)
        if codelists and v.codelist in codelists:
            findings += _codelist_findings(frame, v, values, codelists[v.codelist], spec.name)
    return findings


# -- helpers ------------------------------------------------------------------------------

def _variable(v: VariableSpec, values: pd.Series) -> Variable:
    var = v.to_variable()
    if var.type == CHAR:
        var.length = max(var.length or 1, char_width(values), 1)
    return var


def _coerce(s: pd.Series, v: VariableSpec) -> pd.Series:
    """``s`` converted to the frame convention of the specified SAS type."""
    if v.type == CHAR:
        if pd.api.types.is_datetime64_any_dtype(s):
            s = s.dt.strftime("%Y-%m-%d")
        elif pd.api.types.is_float_dtype(s):
            s = s.map(_number_text, na_action="ignore")
        return blank_to_missing(s.where(s.notna(), np.nan))
    kind = format_kind(v.display_format)
    if kind and pd.api.types.is_datetime64_any_dtype(s):
        return s.astype("datetime64[ns]")
    numbers = pd.to_numeric(s, errors="coerce").astype("float64")
    if kind == "date":
        return SAS_EPOCH + pd.to_timedelta(numbers, unit="D")
    if kind == "datetime":
        return SAS_EPOCH + pd.to_timedelta(numbers, unit="s")
    return numbers


def _number_text(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else repr(float(x))


def _rows(frame: pd.DataFrame, mask: np.ndarray) -> tuple[int, str | None]:
    """1-based first offending row and its USUBJID."""
    first = int(np.flatnonzero(mask)[0])
    usubjid = frame["USUBJID"].iloc[first] if "USUBJID" in frame.columns else None
    return first + 1, (None if pd.isna(usubjid) else str(usubjid))


def _type_findings(frame, v, values, dataset) -> list[Finding]:
    if v.type == CHAR:
        return []
    lost = (values.isna() & frame[v.name].notna()
            & (frame[v.name].astype(str).str.strip() != "")).to_numpy()
    if not lost.any():
        return []
    record, usubjid = _rows(frame, lost)
    return [Finding(dataset, "META-TYPE", "error",
                    f"{int(lost.sum())} value(s) of {v.name} are not numeric "
                    f"(define DataType {v.data_type})", usubjid, v.name,
                    str(frame[v.name].iloc[record - 1]), record)]


def _length_findings(frame, v, values, dataset) -> list[Finding]:
    if v.type != CHAR or not v.length:
        return []
    widths = values.map(lambda x: len(str(x).encode("utf-8")), na_action="ignore")
    over = (widths.fillna(0) > v.length).to_numpy()
    if not over.any():
        return []
    record, usubjid = _rows(frame, over)
    return [Finding(dataset, "META-LENGTH", "warning",
                    f"{int(over.sum())} value(s) of {v.name} are longer than the define "
                    f"length {v.length} (longest {int(widths.max())}); length widened, "
                    "values kept", usubjid, v.name, str(values.iloc[record - 1]), record)]


def _codelist_findings(frame, v, values, codelist, dataset) -> list[Finding]:
    if codelist.dictionary or not codelist.items:
        return []
    allowed = set(codelist.values)
    text = values if v.type == CHAR else values.map(_number_text, na_action="ignore")
    if pd.api.types.is_datetime64_any_dtype(values):
        return []
    bad = (text.notna() & ~text.isin(allowed)).to_numpy()
    if not bad.any():
        return []
    record, usubjid = _rows(frame, bad)
    odd = sorted(set(text[bad].astype(str)))
    return [Finding(dataset, "META-CODELIST", "warning",
                    f"{v.name} has value(s) outside codelist {codelist.oid}: "
                    f"{', '.join(odd[:5])}", usubjid, v.name, odd[0], record)]
