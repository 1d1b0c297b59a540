"""Record selection (admiral ``filter_extreme``): the first or last record of each by
group in a stated order."""

from __future__ import annotations

from derivations.common import as_list, frame_of, like, require_choice, require_columns


def parse_order(order) -> tuple[list[str], list[bool]]:
    """``order`` as columns and ascending flags: ``["ADT", "-AVAL"]`` sorts by ``ADT``
    ascending, then ``AVAL`` descending (admiral ``exprs(ADT, desc(AVAL))``)."""
    cols, ascending = [], []
    for item in as_list(order):
        item = str(item)
        desc = item.startswith("-")
        cols.append(item[1:] if desc else item)
        ascending.append(not desc)
    return cols, ascending


def sort_records(frame, by_vars, order):
    """``frame`` sorted by ``by_vars`` then ``order``; ties keep input order and missing
    values sort last, whatever the direction (as dplyr ``arrange``)."""
    by_vars = as_list(by_vars)
    cols, ascending = parse_order(order)
    require_columns(frame, by_vars, "by_vars")
    require_columns(frame, cols, "order")
    keys = by_vars + cols
    if not keys:
        return frame
    return frame.sort_values(keys, ascending=[True] * len(by_vars) + ascending,
                             kind="stable", na_position="last")


def filter_extreme(dataset, by_vars, order, mode: str = "first"):
    """Per ``by_vars`` group, the ``first`` or ``last`` record by ``order`` (admiral
    ``filter_extreme``). Records keep their original relative order in the result."""
    require_choice(mode, ("first", "last"), "mode")
    frame = frame_of(dataset)
    by_vars = as_list(by_vars)
    ordered = sort_records(frame, by_vars, order)
    if by_vars:
        picked = ordered.drop_duplicates(by_vars, keep=mode)
    else:
        picked = ordered.iloc[:1] if mode == "first" else ordered.iloc[-1:]
    return like(dataset, frame.loc[frame.index.isin(picked.index)] if frame.index.is_unique
                else picked)
