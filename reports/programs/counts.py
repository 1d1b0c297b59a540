"""Formatted cells of ``count`` rows (n, pct, denom) per arm, in ARD order."""

from __future__ import annotations

import pandas as pd

from reports import fmt
from reports.model import Row

KEYS = ["subgroup_var", "subgroup"]


def count_cells(rows: pd.DataFrame, arms: list[str]) -> pd.DataFrame:
    """One line per (subgroup_var, subgroup) in ARD order, one ``n (pct)`` column per arm."""
    rows = rows[rows["method"] == "count"].drop_duplicates(KEYS + ["group", "stat_name"])
    order = pd.MultiIndex.from_frame(rows[KEYS].drop_duplicates())
    wide = rows.set_index(KEYS + ["group", "stat_name"])["stat_value"].unstack(["group", "stat_name"])
    wide = wide.reindex(order)
    out = pd.DataFrame(index=order)
    for arm in arms:
        n = wide.get((arm, "n"), pd.Series(float("nan"), index=order))
        pct = wide.get((arm, "pct"), pd.Series(float("nan"), index=order))
        out[arm] = [fmt.n_pct(a, b) for a, b in zip(n, pct)]
    return out


def count_rows(rows: pd.DataFrame, arms: list[str], indent: int = 0) -> list[Row]:
    cells = count_cells(rows, arms)
    return [Row([label] + list(vals), indent=indent)
            for (_, label), vals in zip(cells.index, cells.itertuples(index=False))]
