"""Records chosen among events (admiral ``event``, ``event_joined``, ``filter_joined``,
``derive_extreme_event``, ``derive_vars_extreme_event``, ``derive_extreme_records``,
``derive_param_exist_flag``).

An event is data: which dataset (``dataset_name``, a key of ``source_datasets``; ``None``
for the input dataset), which records (``condition``), the values its record gets
(``set_values_to``) and the variables kept (``keep_source_vars``, ``None`` for all).

``condition`` is a pandas query string on one record, or a callable that receives a
:class:`Grouped` view: ``g["AVALC"]`` is a column, and ``g.all(mask)``, ``g.any(mask)``,
``g.count_vals(var, val)``, ``g.min_cond(var, cond)``, ``g.max_cond(var, cond)`` are
admiral's summary functions over the record's group (the ``by_vars`` group for
:class:`Event`, the record and its joined records for :class:`EventJoined`), one value
per record. In an :class:`EventJoined` condition ``g["ADT.join"]`` is the joined
record's ``ADT``. ``set_values_to`` values are literals, :class:`~derivations.common.Col`
(copy a column) or callables ``frame -> values``, set in the order given (a later value
may use an earlier one, as in ``dplyr::mutate``).

``order`` lists columns, ``-`` in front for descending (admiral ``desc()``); missing
values sort last, ties keep input order (the event's records first, in the order the
events are listed).

Differences from admiral, on purpose:

- ``check_type`` is not implemented: duplicate records are not reported; a tie is
  resolved by input order, as admiral resolves it after its warning.
- The new records are appended after ``dataset`` with a fresh index (0..n-1); the
  input is never modified.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Mapping, Sequence

import numpy as np
import pandas as pd

from adam.errors import UsageError
from derivations.common import (
    Col, SubjectIndex, as_list, first_rows, frame_of, group_codes, like, require_choice, require_columns, row_mask,
    rows_of, values_at,
)
from derivations.filters import _sorted_positions, extreme_positions, parse_order

JOIN_SUFFIX = ".join"


class Grouped:
    """A frame seen by a callable condition: columns by name, and admiral's summary
    functions evaluated per group (``groups``: one integer per row), broadcast back to
    the rows. ``columns``: a mapping name -> array, read when first asked for."""

    def __init__(self, columns: Callable[[str], np.ndarray], n: int, groups: np.ndarray):
        self._get = columns
        self.n = n
        self.groups = np.asarray(groups, dtype=np.int64)
        self._size = int(self.groups.max(initial=-1)) + 1
        self._cache: dict[str, pd.Series] = {}

    def __getitem__(self, name: str) -> pd.Series:
        if name not in self._cache:
            self._cache[name] = pd.Series(self._get(name))
        return self._cache[name]

    def _mask(self, mask) -> np.ndarray:
        return pd.Series(mask).fillna(False).astype(bool).to_numpy() if not isinstance(mask, np.ndarray) \
            or mask.dtype != bool else mask

    def _per_group(self, weights) -> np.ndarray:
        return np.bincount(self.groups, weights=weights, minlength=self._size)[self.groups]

    def all(self, mask) -> np.ndarray:
        """R ``all()`` over the group (a missing value counts as false)."""
        return self._per_group((~self._mask(mask)).astype(float)) == 0

    def any(self, mask) -> np.ndarray:
        """R ``any()`` over the group."""
        return self._per_group(self._mask(mask).astype(float)) > 0

    def count_vals(self, var: str, val) -> np.ndarray:
        """admiral ``count_vals(var, val)``: records of the group with ``var == val``."""
        return self._per_group((self[var] == val).to_numpy(dtype=bool).astype(float))

    def _extreme_cond(self, var: str, cond, how: str) -> pd.Series:
        values = self[var].where(self._mask(cond))
        return values.groupby(self.groups).transform(how)

    def min_cond(self, var: str, cond) -> pd.Series:
        """admiral ``min_cond(var, cond)``: the least ``var`` of the group's records
        meeting ``cond`` (missing when none does)."""
        return self._extreme_cond(var, cond, "min")

    def max_cond(self, var: str, cond) -> pd.Series:
        """admiral ``max_cond(var, cond)``."""
        return self._extreme_cond(var, cond, "max")


@dataclass(frozen=True)
class Event:
    """admiral ``event()``: the records of ``dataset_name`` meeting ``condition``; with
    ``mode`` only the first/last per by group in ``order`` (default: the calling
    function's ``order``)."""

    dataset_name: str | None = None
    condition: Any = None
    mode: str | None = None
    order: Sequence[str] | None = None
    set_values_to: Mapping[str, Any] = field(default_factory=dict)
    keep_source_vars: Sequence[str] | None = None
    description: str = ""

    def __post_init__(self):
        if self.mode is not None:
            require_choice(self.mode, ("first", "last"), "mode")


@dataclass(frozen=True)
class EventJoined:
    """admiral ``event_joined()``: records of ``dataset_name`` selected by
    :func:`filter_joined` (each record joined with the others of its by group:
    ``join_type`` ``"after"``, ``"before"`` or ``"all"``, in ``order``)."""

    dataset_name: str | None = None
    condition: Any = None
    join_vars: Sequence[str] = ()
    join_type: str = "after"
    first_cond_upper: Any = None
    first_cond_lower: Any = None
    order: Sequence[str] | None = None
    set_values_to: Mapping[str, Any] = field(default_factory=dict)
    keep_source_vars: Sequence[str] | None = None
    description: str = ""

    def __post_init__(self):
        require_choice(self.join_type, ("after", "before", "all"), "join_type")


def event(**kwargs) -> Event:
    """admiral's spelling: ``event(dataset_name=..., condition=..., set_values_to=...)``."""
    return Event(**kwargs)


def event_joined(**kwargs) -> EventJoined:
    """admiral's spelling of :class:`EventJoined`."""
    return EventJoined(**kwargs)


def set_values(frame: pd.DataFrame, set_values_to: Mapping | None) -> pd.DataFrame:
    """``frame`` with the ``set_values_to`` columns set (literals, :class:`Col`,
    callables ``frame -> values``), in order."""
    out = frame.copy()
    for name, value in (set_values_to or {}).items():
        if isinstance(value, Col):
            require_columns(out, [str(value)], f"set_values_to ({name})")
            out[name] = out[str(value)].to_numpy()
        elif callable(value):
            result = value(out)
            out[name] = result.to_numpy() if isinstance(result, pd.Series) else result
        elif isinstance(value, (str, type(None))) or np.isscalar(value) or value is pd.NaT:
            out[name] = pd.Series([value] * len(out), index=out.index, dtype=object) \
                if isinstance(value, str) else value
        else:
            out[name] = value
    return out


def _condition(frame: pd.DataFrame, condition, groups: np.ndarray, arg: str) -> np.ndarray:
    if callable(condition):
        grouped = Grouped(lambda name: _column(frame, name, arg), len(frame), groups)
        mask = condition(grouped)
        return pd.Series(np.asarray(mask)).fillna(False).astype(bool).to_numpy() \
            if not (isinstance(mask, np.ndarray) and mask.dtype == bool) else mask
    return row_mask(frame, condition, arg)


def _column(frame: pd.DataFrame, name: str, arg: str) -> np.ndarray:
    if name not in frame.columns:
        raise UsageError(f"argument {arg}: no column {name!r}")
    return frame[name].to_numpy()


# ----------------------------------------------------------------------- filter_joined

def _pairs(codes: np.ndarray, frame: pd.DataFrame, order, join_type: str):
    """(current row, joined row, offset of the joined row from the first candidate)
    of every pair in a group, rows as positions of ``frame``, in ``order``."""
    pos = _sorted_positions(frame, codes, order)
    g = codes[pos]
    n = len(g)
    if not n:
        empty = np.zeros(0, np.int64)
        return empty, empty, empty
    starts = np.r_[True, g[1:] != g[:-1]]
    gstart = np.maximum.accumulate(np.where(starts, np.arange(n), 0))
    ends = np.r_[np.flatnonzero(starts)[1:], n]
    gend = np.repeat(ends, np.diff(np.r_[np.flatnonzero(starts), n]))
    i = np.arange(n)
    if join_type == "after":
        first, count = i + 1, gend - i - 1
    elif join_type == "before":
        first, count = gstart, i - gstart
    else:
        first, count = gstart, gend - gstart
    left = np.repeat(i, count)
    offset = np.arange(left.size) - np.repeat(np.cumsum(count) - count, count)
    right = np.repeat(first, count) + offset
    return pos[left], pos[right], offset


def filter_joined(dataset, by_vars, join_vars, join_type: str, order, condition,
                  first_cond_upper=None, first_cond_lower=None):
    """The records of ``dataset`` for which ``condition`` holds when the record is
    joined with the other records of its ``by_vars`` group (admiral ``filter_joined``
    with ``dataset_add = dataset``).

    Each record is paired with the records after it (``join_type="after"``), before it
    (``"before"``) or all records of the group (``"all"``), in ``order``; the joined
    record's ``join_vars`` are named ``<var>.join``. ``first_cond_upper`` keeps the
    joined records up to and including the first one meeting it (a record without one
    is dropped); ``first_cond_lower`` those from the last one before the record meeting
    it. ``condition`` (a callable on a :class:`Grouped` view whose groups are the
    records, or a query string on the pairs) selects the record when it holds for any
    of its pairs. Records keep their input order.
    """
    frame = frame_of(dataset)
    require_choice(join_type, ("after", "before", "all"), "join_type")
    require_columns(frame, as_list(by_vars), "by_vars")
    require_columns(frame, as_list(join_vars), "join_vars")
    codes = group_codes(frame, by_vars)
    left, right, offset = _pairs(codes, frame, order, join_type)
    join_set = set(as_list(join_vars))

    def columns(lrows, rrows):
        def get(name):
            if name.endswith(JOIN_SUFFIX) and name[:-len(JOIN_SUFFIX)] in join_set:
                return frame[name[:-len(JOIN_SUFFIX)]].to_numpy()[rrows]
            if name not in frame.columns:
                raise UsageError(f"argument condition: no column {name!r} (joined columns: "
                                 f"{', '.join(v + JOIN_SUFFIX for v in join_set)})")
            return frame[name].to_numpy()[lrows]
        return get

    def pair_mask(cond, lrows, rrows, groups, arg):
        if callable(cond):
            mask = cond(Grouped(columns(lrows, rrows), len(lrows), groups))
        else:
            names = set(frame.columns) | {v + JOIN_SUFFIX for v in join_set}
            get = columns(lrows, rrows)
            pairs = pd.DataFrame({n: get(n) for n in names})
            mask = row_mask(pairs, cond, arg)
        return pd.Series(np.asarray(mask)).fillna(False).astype(bool).to_numpy()

    for cond, arg, upper in ((first_cond_upper, "first_cond_upper", True),
                             (first_cond_lower, "first_cond_lower", False)):
        if cond is None or not len(left):
            continue
        hit = pair_mask(cond, left, right, left, arg)
        size = len(frame)
        if upper:
            bound = np.full(size, np.iinfo(np.int64).max, dtype=np.int64)
            np.minimum.at(bound, left[hit], offset[hit])
            keep = (offset <= bound[left]) & (bound[left] != np.iinfo(np.int64).max)
        else:
            bound = np.full(size, -1, dtype=np.int64)
            np.maximum.at(bound, left[hit], offset[hit])
            keep = (offset >= bound[left]) & (bound[left] >= 0)
        left, right, offset = left[keep], right[keep], offset[keep]
    selected = np.zeros(len(frame), dtype=bool)
    if len(left):
        hit = pair_mask(condition, left, right, left, "condition")
        selected[left[hit]] = True
    return like(dataset, frame.iloc[np.flatnonzero(selected)])


# ----------------------------------------------------------------- derive_extreme_event

def _event_records(ev, number: int, dataset, source_datasets, by_vars, order, keep_source_vars,
                   tmp_var: str) -> pd.DataFrame:
    if ev.dataset_name is None:
        if dataset is None:
            raise UsageError("argument events: an event without dataset_name needs dataset")
        source = frame_of(dataset)
    else:
        if ev.dataset_name not in (source_datasets or {}):
            raise UsageError(f"argument source_datasets: no dataset {ev.dataset_name!r} "
                             f"(named by an event)")
        source = frame_of(source_datasets[ev.dataset_name], "source_datasets")
    require_columns(source, as_list(by_vars), f"by_vars (dataset {ev.dataset_name or 'dataset'})")
    event_order = list(ev.order) if ev.order is not None else list(order)
    if isinstance(ev, EventJoined):
        data = frame_of(filter_joined(source, by_vars, ev.join_vars, ev.join_type,
                                      [o for o in event_order if o.lstrip("-") != tmp_var],
                                      ev.condition, ev.first_cond_upper, ev.first_cond_lower))
    else:
        rows = _condition(source, ev.condition, group_codes(source, by_vars), "condition") \
            if ev.condition is not None else np.ones(len(source), bool)
        data = source.iloc[np.flatnonzero(rows)]
        if ev.mode is not None:
            data = data.assign(**{tmp_var: float(number)})
            data = data.iloc[extreme_positions(data, group_codes(data, by_vars), event_order, ev.mode)]
    data = data.assign(**{tmp_var: float(number)})
    data = set_values(data, ev.set_values_to)
    keep = ev.keep_source_vars if ev.keep_source_vars is not None else keep_source_vars
    if keep is not None:
        cols = list(dict.fromkeys(as_list(keep) + [tmp_var] + as_list(by_vars) + list(ev.set_values_to)))
        require_columns(data, cols, "keep_source_vars")
        data = data[cols]
    return data.reset_index(drop=True)


def _append(dataset, new: pd.DataFrame):
    if dataset is None:
        return new.reset_index(drop=True)
    frame = frame_of(dataset)
    parts = [p for p in (frame, new) if len(p.columns)]
    out = pd.concat([p.reset_index(drop=True) for p in parts], ignore_index=True, sort=False) \
        if len(new) else frame.reset_index(drop=True)
    return like(dataset, out)


def derive_extreme_event(dataset=None, by_vars=("STUDYID", "USUBJID"), events=(), order=(),
                         mode: str = "first", source_datasets: Mapping | None = None,
                         tmp_event_nr_var: str | None = None, set_values_to: Mapping | None = None,
                         keep_source_vars: Sequence[str] | None = None):
    """Add, per ``by_vars`` group, the first (``mode``) record over all ``events`` in
    ``order`` as a new record (admiral ``derive_extreme_event``).

    1. Each event selects its records (an :class:`Event` by ``condition`` and, with its
       ``mode``, the first/last per group; an :class:`EventJoined` by
       :func:`filter_joined`), sets its ``set_values_to`` and keeps
       ``keep_source_vars`` (the event's, else this function's; ``None`` keeps all)
       plus ``by_vars`` and the variables it set.
    2. ``tmp_event_nr_var`` (if named) holds the event's number (1, 2, ...) for ``order``.
    3. Per group the first/last record in ``order`` is chosen, ``set_values_to`` is
       applied, and the records are appended to ``dataset`` (``None``: returned alone).

    admiral's example (Worst Sleeping Problem): events "NO SLEEP" Y, "WAKE UP 3X" Y,
    all N, and a catch-all, ``order = exprs(event_nr, desc(ADY))``: subject 1 (all N)
    gets "No sleeping problems" at ADY 2, subject 2 "Waking up three times" at ADY 3,
    subject 3 "Missing".
    """
    require_choice(mode, ("first", "last"), "mode")
    by_vars = as_list(by_vars)
    if not events:
        raise UsageError("argument events: at least one event is needed")
    bad = [e for e in events if not isinstance(e, (Event, EventJoined))]
    if bad:
        raise UsageError(f"argument events: expected event()/event_joined() objects, got {bad[0]!r}")
    tmp = tmp_event_nr_var or "__event_nr"
    parts = [_event_records(ev, i, dataset, source_datasets, by_vars, order, keep_source_vars, tmp)
             for i, ev in enumerate(events, start=1)]
    parts = [p for p in parts if len(p)] or parts[:1]
    selected = pd.concat(parts, ignore_index=True, sort=False)
    if len(selected):
        selected = selected.iloc[extreme_positions(selected, group_codes(selected, by_vars), order, mode)]
    new = set_values(selected, set_values_to).drop(columns=[tmp])
    return _append(dataset, new.reset_index(drop=True))


def derive_vars_extreme_event(dataset, by_vars, events, order, mode: str, new_vars,
                              source_datasets: Mapping | None = None,
                              tmp_event_nr_var: str | None = None, missing_values: Mapping | None = None):
    """Add ``new_vars`` (a list, or ``{new name: source name}``) from the first/last
    event record of each ``by_vars`` group (admiral ``derive_vars_extreme_event``),
    e.g. the date last known alive with its source::

        derive_vars_extreme_event(adsl, KEYS, [event(dataset_name="ae", condition=...,
            set_values_to={"LSTALVDT": lambda f: convert_dtc_to_dt(f["AESTDTC"], "M"),
                           "LALVSRC": "AE"}), ...], order=["LSTALVDT", "seq", "event_nr"],
            mode="last", tmp_event_nr_var="event_nr", new_vars=["LSTALVDT", "LALVSRC"])

    Groups without any event record get missing values (or ``missing_values``)."""
    from derivations.merge import derive_vars_merged

    frame = frame_of(dataset)
    new = derive_extreme_event(None, by_vars, events, order, mode,
                               {**(source_datasets or {})}, tmp_event_nr_var)
    pairs = dict(new_vars) if isinstance(new_vars, Mapping) else {v: v for v in as_list(new_vars)}
    new = frame_of(new)
    require_columns(new, list(pairs.values()), "new_vars")
    add = new[as_list(by_vars) + list(dict.fromkeys(pairs.values()))]
    out = derive_vars_merged(frame, add, as_list(by_vars), new_vars=pairs, missing_values=missing_values)
    return like(dataset, out)


# --------------------------------------------------------------- derive_extreme_records

def derive_extreme_records(dataset=None, dataset_add=None, dataset_ref=None, by_vars=("STUDYID", "USUBJID"),
                           order=None, mode: str | None = None, filter_add=None,
                           exist_flag: str | None = None, true_value="Y", false_value=np.nan,
                           keep_source_vars: Sequence[str] | None = None,
                           set_values_to: Mapping | None = None):
    """Add records selected from ``dataset_add`` (admiral ``derive_extreme_records``).

    ``filter_add`` restricts ``dataset_add``; with ``mode`` only the first/last record
    per ``by_vars`` group in ``order`` is taken (without it, every record left). With
    ``dataset_ref``, each of its ``by_vars`` groups without a selected record gets a
    record too (only the ``by_vars``). ``exist_flag`` names a variable set to
    ``true_value`` on the selected records and ``false_value`` on those added for
    ``dataset_ref``. ``set_values_to`` is then applied to all new records (a
    :class:`Col` of a variable the record lacks gives a missing value), and only
    ``by_vars``, ``keep_source_vars`` (``None``: all) and the variables set are kept.

    admiral's example (``derive_extreme_records`` reference): the last ``AVAL`` per
    subject in ``AVISITN`` order added as ``PARAMCD = "LASTVAL"``.
    """
    by_vars = as_list(by_vars)
    if dataset_add is None:
        raise UsageError("argument dataset_add: a dataset is needed")
    add = frame_of(dataset_add, "dataset_add")
    require_columns(add, by_vars, "by_vars")
    rows = np.flatnonzero(row_mask(add, filter_add, "filter_add"))
    if mode is not None:
        require_choice(mode, ("first", "last"), "mode")
        cols = list(dict.fromkeys(by_vars + parse_order(order or [])[0]))
        require_columns(add, cols, "order")
        # the extremes found on the by and order variables only, then those records taken
        sel = pd.DataFrame({c: rows_of(add[c], rows) for c in cols}, columns=cols, copy=False)
        rows = rows[extreme_positions(sel, group_codes(sel, by_vars), order or [], mode)]
    chosen = add.iloc[rows].reset_index(drop=True)
    if exist_flag:
        chosen[exist_flag] = pd.Series([true_value] * len(chosen), dtype=object)
    parts = [chosen]
    if dataset_ref is not None:
        ref = frame_of(dataset_ref, "dataset_ref")
        require_columns(ref, by_vars, "by_vars")
        keep = first_rows(group_codes(ref, by_vars))           # one record per by group
        if len(chosen):     # the groups without a selected record (matched on integer codes)
            seen = SubjectIndex(chosen.iloc[first_rows(group_codes(chosen, by_vars))], by_vars)
            keep = keep[seen.ids(ref.iloc[keep]) < 0]
        ref = pd.DataFrame({c: values_at(ref[c], keep) for c in by_vars}, columns=by_vars)
        if exist_flag:
            ref[exist_flag] = pd.Series([false_value] * len(ref), dtype=object)
        parts.append(ref)
    new = pd.concat([p for p in parts if len(p)] or parts[:1], ignore_index=True, sort=False)
    for name, value in (set_values_to or {}).items():   # a variable the new records lack
        if isinstance(value, Col) and str(value) not in new.columns:
            new[str(value)] = np.nan
    created = [c for c in new.columns if c not in add.columns and c != exist_flag]
    new = set_values(new, set_values_to).drop(columns=created)
    if keep_source_vars is not None:
        cols = list(dict.fromkeys(by_vars + as_list(keep_source_vars) + ([exist_flag] if exist_flag else [])
                                  + list(set_values_to or {})))
        new = new[[c for c in cols if c in new.columns]]
    return _append(dataset, new)


def derive_param_exist_flag(dataset=None, dataset_ref=None, dataset_add=None, condition=None,
                            true_value="Y", false_value=np.nan, missing_value=np.nan,
                            filter_add=None, by_vars=("STUDYID", "USUBJID"), new_var: str = "AVALC",
                            set_values_to: Mapping | None = None):
    """One new record per ``by_vars`` group of ``dataset_ref``: ``new_var`` is
    ``true_value`` when a ``dataset_add`` record of the group meets ``condition``,
    ``false_value`` when the group has records but none does, ``missing_value`` when it
    has none (admiral ``derive_param_exist_flag``); then ``set_values_to``.

    admiral's example: measurable disease at baseline, ``condition = TUEVAL ==
    "INVESTIGATOR" & TUSTRESC == "TARGET" & VISIT == "SCREENING"``, ``false_value =
    "N"``, ``missing_value = "N"``: a subject with a target lesion at screening gets
    ``Y``, every other ADSL subject ``N``.
    """
    from derivations.merge import derive_var_merged_exist_flag

    if dataset_ref is None or dataset_add is None:
        raise UsageError("arguments dataset_ref and dataset_add are needed")
    by_vars = as_list(by_vars)
    ref = frame_of(dataset_ref, "dataset_ref")
    require_columns(ref, by_vars, "by_vars")
    base = ref.drop_duplicates(subset=by_vars).reset_index(drop=True)
    new = derive_var_merged_exist_flag(base, dataset_add, by_vars, new_var, condition,
                                       true_value=true_value, false_value=false_value,
                                       missing_value=missing_value, filter_add=filter_add)
    new = set_values(frame_of(new), set_values_to)
    return _append(dataset, new)
