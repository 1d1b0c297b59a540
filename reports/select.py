"""Selecting ARD rows for a display. Row order in the ARD is display order."""

from __future__ import annotations

import numpy as np
import pandas as pd

from adam.errors import UsageError

CONTRAST_METHODS = ("cox", "ipcw", "msm")


def analysis(ard: pd.DataFrame, analysis_id: str, output_id: str = "") -> pd.DataFrame:
    """Rows of one analysis; a :class:`UsageError` naming the output when there are none."""
    rows = ard[ard["analysis_id"] == analysis_id]
    if rows.empty:
        where = f"output {output_id}: " if output_id else ""
        raise UsageError(f"{where}ARD has no rows for analysis_id {analysis_id!r}")
    return rows


def arms(rows: pd.DataFrame, method: str | None = None) -> list[str]:
    """Per-arm group levels (rows with a ``group_var``) in order of first appearance."""
    mask = rows["group_var"] != ""
    if method:
        mask &= rows["method"] == method
    return list(pd.unique(rows.loc[mask, "group"]))


def contrasts(rows: pd.DataFrame, method: str = "cox") -> list[str]:
    """Contrast labels (``A vs B``) of rows with no ``group_var`` for ``method`` that have a
    hazard ratio row (a joint model's tests of all arms, ``A vs B vs C``, are no contrast)."""
    mask = (rows["group_var"] == "") & (rows["method"] == method) & (rows["group"] != "")
    mask &= rows["stat_name"] == "hr"
    return list(pd.unique(rows.loc[mask, "group"]))


def stats(rows: pd.DataFrame, **keys) -> dict[str, float]:
    """``{stat_name: stat_value}`` of the rows matching ``keys`` (no timepoint rows
    unless ``timepoint`` is given); the first row wins on a duplicate name."""
    mask = np.ones(len(rows), dtype=bool)
    for key, val in keys.items():
        if key == "timepoint":
            mask &= np.isclose(rows[key].astype(float), float(val))
        else:
            mask &= (rows[key] == val).to_numpy()
    if "timepoint" not in keys:
        mask &= rows["timepoint"].isna().to_numpy()
    hit = rows.loc[mask].drop_duplicates("stat_name")
    return dict(zip(hit["stat_name"], hit["stat_value"]))


def by_timepoint(rows: pd.DataFrame, stat_name: str, **keys) -> pd.Series:
    """``stat_value`` indexed by ``timepoint`` (sorted) for one stat."""
    mask = (rows["stat_name"] == stat_name) & rows["timepoint"].notna()
    for key, val in keys.items():
        mask &= rows[key] == val
    hit = rows.loc[mask, ["timepoint", "stat_value"]].drop_duplicates("timepoint")
    return hit.set_index("timepoint")["stat_value"].sort_index()


def subgroup_levels(rows: pd.DataFrame) -> list[tuple[str, list[str]]]:
    """``[(subgroup_var, [levels...]), ...]`` in order of first appearance."""
    sub = rows[rows["subgroup_var"] != ""]
    out = []
    for var in pd.unique(sub["subgroup_var"]):
        levels = [lv for lv in pd.unique(sub.loc[sub["subgroup_var"] == var, "subgroup"]) if lv != ""]
        out.append((var, levels))
    return out
