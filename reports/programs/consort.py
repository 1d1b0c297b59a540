"""Figure 1: patient disposition (CONSORT flow) from the ``count`` rows of a DISPOSITION
analysis: ``subgroup`` = box label, ``options`` ``parent=`` (``A|B``: a box joining A and
B) and ``partition=`` give the tree (see :mod:`reports.figures.consort`), ARD order =
drawing order; the ``Total`` group of the root gives the common 'Randomized' box. Spec
key ``safety_analysis_id``: a ``count`` analysis of the safety population by actual
treatment, whose n per arm the footnote reconciles with the treated boxes."""

from __future__ import annotations

import pandas as pd

from adam.ard import parse_options
from adam.errors import UsageError
from reports import fmt, select
from reports.figures.consort import Node, Tree, consort_plot, short
from reports.model import Display, Row, Table
from reports.programs.common import arm_headers


def tree_of(rows: pd.DataFrame, arms: list[str]) -> Tree:
    """The boxes of the flow (ARD order) with their formatted n per arm."""
    nodes: dict[str, Node] = {}
    for label in pd.unique(rows["subgroup"]):
        mine = rows[rows["subgroup"] == label].drop_duplicates("group")
        options = parse_options(mine["options"].iloc[0])
        parents = [p for p in options.get("parent", "").split("|") if p]
        nodes[label] = Node(label, {g: fmt.count(v) for g, v in zip(mine["group"], mine["stat_value"])
                                    if g in arms},
                            parents, options.get("partition", ""))
    return Tree(nodes)


def build(ard, study, spec: dict) -> Display:
    rows = select.analysis(ard, spec["analysis_id"], spec["id"])
    rows = rows[(rows["method"] == "count") & (rows["stat_name"] == "n")]
    arms = [a for a in select.arms(rows) if a != "Total"]
    tree = tree_of(rows, arms)
    if not any(n.parents for n in tree.nodes.values()):
        raise UsageError(f"output {spec['id']}: the rows of {spec['analysis_id']} name no parent box "
                         "(options parent=...), so they make no flow diagram")
    roots = tree.roots()
    total = rows[(rows["group"] == "Total") & (rows["subgroup"] == roots[0].label)]["stat_value"]
    figure = consort_plot(tree, arms, total=fmt.count(total.iloc[0]) if len(total) else None,
                          alt="Patient disposition diagram")
    table = Table(columns=["Disposition"] + arm_headers(rows, arms, "count", "n"),
                  rows=[Row([_row_label(tree, n)] + [n.counts.get(a, "") for a in arms],
                            indent=_depth(tree, n))
                        for n in tree.nodes.values()])
    return Display(tables=[table], figure=figure, footnotes=_notes(ard, tree, arms, spec), landscape=True)


def _depth(tree: Tree, node: Node) -> int:
    depth = 0
    while node.parents and node.parents[0] in tree.nodes and depth < 20:
        node = tree.nodes[node.parents[0]]
        depth += 1
    return depth


def _row_label(tree: Tree, node: Node) -> str:
    if len(node.parents) == 1:
        return short(node.label, node.parents[0]) if node.label.startswith(node.parents[0] + ":") else node.label
    return node.label


def _notes(ard, tree: Tree, arms: list[str], spec: dict) -> list[str]:
    notes = ["Counts are numbers of patients by randomized arm. Treated: received at least one dose "
             "of study drug. Each box is the sum of the boxes below it; the status at the end of "
             "study is that of all treated patients, whether they completed or discontinued treatment."]
    received = {n.label: n for n in tree.nodes.values() if n.partition}
    crossed = []
    for node in received.values():
        got = short(node.label, node.parents[0])
        for arm in arms:
            n = node.counts.get(arm, "0")
            if n not in ("0", "") and not got.lower().endswith(arm.lower()):
                crossed.append(f"{n} patient{'' if n == '1' else 's'} randomized to {arm} {got}")
    if spec.get("safety_analysis_id"):
        saf = select.analysis(ard, spec["safety_analysis_id"], spec["id"])
        saf = saf[(saf["method"] == "count") & (saf["stat_name"] == "n")]
        sizes = ", ".join(f"{g} N = {fmt.count(v)}" for g, v in zip(saf["group"], saf["stat_value"]))
        note = (f"Safety population (patients who received at least one dose, analysed by the "
                f"treatment actually received): {sizes}.")
        if crossed:
            note += (" It differs from the treated boxes, which count patients by randomized arm: "
                     + "; ".join(crossed) + ".")
        notes.append(note)
    elif crossed:
        notes.append("Treated patients by the treatment actually received: " + "; ".join(crossed) + ".")
    return notes
