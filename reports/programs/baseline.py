"""Baseline characteristics table: per ADSL variable (``subgroup_var``) either its
``summary`` statistics (n, mean, sd, median, min, max) or its levels as n (%)."""

from __future__ import annotations

import pandas as pd

from reports import fmt, select
from reports.model import Display, Row, Table
from reports.programs.common import arm_headers, variable_label
from reports.programs.counts import count_rows

SUMMARY_LINES = [("n", ("n",), "{0}"), ("Mean (SD)", ("mean", "sd"), "{0} ({1})"),
                 ("Median", ("median",), "{0}"),
                 ("Q1, Q3", ("q1", "q3"), "{0}, {1}"), ("Min, max", ("min", "max"), "{0}, {1}")]
DIGITS = {"n": 0, "mean": 1, "sd": 2, "median": 1, "q1": 1, "q3": 1}


def _number(stat: str, value) -> str:
    if stat in DIGITS:
        return fmt.fixed(value, DIGITS[stat], missing="")
    if fmt.is_missing(value):
        return ""
    return fmt.fixed(value, 0 if float(value).is_integer() else 1)


def _summary_rows(rows: pd.DataFrame, arms: list[str]) -> list[Row]:
    """Summary lines whose statistics the ARD has (e.g. no Q1, Q3 line without q1/q3)."""
    per_arm = [select.stats(rows, method="summary", group=arm) for arm in arms]
    return [Row([label] + [pattern.format(*(_number(s, st.get(s)) for s in names)) for st in per_arm],
                indent=1)
            for label, names, pattern in SUMMARY_LINES if any(n in st for st in per_arm for n in names)]


#: CDISC controlled terms shown as words (display only; the ARD keeps the codes)
DECODES = {"SEX": {"F": "Female", "M": "Male", "U": "Unknown", "UNDIFFERENTIATED": "Undifferentiated"}}
TITLE_CASED = {"RACE", "ETHNIC", "COUNTRY_NAME"}
SMALL_WORDS = {"or", "and", "of", "not", "the"}


def decoded(var: str, value: str) -> str:
    """'F' -> 'Female'; 'BLACK OR AFRICAN AMERICAN' -> 'Black or African American'."""
    if value in DECODES.get(var, {}):
        return DECODES[var][value]
    if var in TITLE_CASED and value.isupper():
        words = value.lower().split()
        return " ".join(w if i and w in SMALL_WORDS else w.capitalize() for i, w in enumerate(words))
    return value


def build(ard, study, spec: dict) -> Display:
    rows = select.analysis(ard, spec["analysis_id"], spec["id"])
    arms = select.arms(rows)
    body: list[Row] = []
    for var in pd.unique(rows["subgroup_var"]):
        part = rows[rows["subgroup_var"] == var]
        body.append(Row([variable_label(spec, var)] + [""] * len(arms), bold=True))
        if (part["method"] == "summary").any():
            body += _summary_rows(part, arms)
        else:
            lines = count_rows(part, arms, indent=1)
            for line in lines:
                line.cells[0] = decoded(var, line.cells[0])
            body += [r for r in lines if r.cells[0] != "Missing"] + [r for r in lines if r.cells[0] == "Missing"]
    table = Table(columns=[spec.get("row_header", "Characteristic")]
                  + arm_headers(rows, arms, "count", "denom"), rows=body)
    notes = ["n (%): number (percentage) of patients; N: number of patients in the population.",
             "SD: standard deviation."]
    return Display(tables=[table], footnotes=notes)
