"""Table 1: subsequent anti-cancer therapies, n (%) per arm (``count`` rows of the
analysis, e.g. SUBSEQ-THERAPY; one row per ``subgroup`` label in ARD order)."""

from __future__ import annotations

from reports import select
from reports.model import Display, Table
from reports.programs.common import arm_headers
from reports.programs.counts import count_rows

FOOTNOTES = [
    "n (%): number (percentage) of patients; percentage = n / N x 100, N = number of patients "
    "in the column header.",
    "A patient is counted once per therapy class and may have received several classes.",
]


def build(ard, study, spec: dict) -> Display:
    rows = select.analysis(ard, spec["analysis_id"], spec["id"])
    rows = rows[rows["method"] == "count"]
    arms = select.arms(rows)
    table = Table(columns=[spec.get("row_header", "Therapy class")]
                  + arm_headers(rows, arms, "count", "denom"),
                  rows=count_rows(rows, arms))
    return Display(tables=[table], footnotes=FOOTNOTES)
