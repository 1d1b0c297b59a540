"""Figure 1: patient disposition (CONSORT-style) from the ``count`` rows of a
DISPOSITION analysis (``subgroup`` = node label, ARD order = flow order). A row with an
empty ``group_var`` and ``subgroup`` 'Randomized' gives the common top box. Spec key
``branches`` ({exclusion label: flow label}) fixes where an exclusion box branches off
(see :mod:`reports.figures.consort` for the default rules)."""

from __future__ import annotations

import pandas as pd

from reports import fmt, select
from reports.figures.consort import Node, consort_plot
from reports.model import Display, Row, Table
from reports.programs.common import arm_headers


def build(ard, study, spec: dict) -> Display:
    rows = select.analysis(ard, spec["analysis_id"], spec["id"])
    rows = rows[(rows["method"] == "count") & (rows["stat_name"] == "n")]
    arms = select.arms(rows)
    per_arm = rows[rows["group_var"] != ""]
    nodes = []
    for label in pd.unique(per_arm["subgroup"]):
        node_rows = per_arm[per_arm["subgroup"] == label].drop_duplicates("group")
        nodes.append(Node(label, dict(zip(node_rows["group"], node_rows["stat_value"].map(fmt.count)))))
    total = rows[(rows["group_var"] == "") & (rows["subgroup"] == "Randomized")]["stat_value"]
    figure = consort_plot(nodes, arms, total=fmt.count(total.iloc[0]) if len(total) else None,
                          branches=spec.get("branches"),
                          alt="Patient disposition diagram")
    table = Table(columns=["Disposition"] + arm_headers(rows, arms, "count", "n"),
                  rows=[Row([n.label] + [n.counts.get(a, "") for a in arms]) for n in nodes])
    notes = ["Counts are numbers of patients by randomized arm.",
             "Reasons for discontinuation are listed inside the discontinuation box."]
    return Display(tables=[table], figure=figure, footnotes=notes, landscape=True)
