"""Small helpers shared by the derivation primitives: argument checks that name the
bad argument, and accepting either a pandas frame or an :class:`adam.metadata.Dataset`.

Every primitive accepts a ``DataFrame`` or a ``Dataset`` and returns the same kind: a
``Dataset`` comes back with its metadata kept and the new columns' metadata inferred.
"""

from __future__ import annotations

from collections.abc import MutableMapping
from typing import Any, Iterable

import numpy as np
import pandas as pd

from adam.errors import UsageError
from adam.metadata import Dataset
from adam.text import factorize_text, first_rows, identities  # noqa: F401  (used here and re-exported)


class Col(str):
    """A column reference inside ``set_values_to``: ``{"SRCSEQ": Col("AESEQ")}`` takes the
    value from the source record's ``AESEQ``; a plain value is used as a literal."""

    def __repr__(self) -> str:
        return f"Col({str(self)!r})"


def frame_of(data, arg: str = "dataset") -> pd.DataFrame:
    """The frame behind ``data`` (a ``DataFrame`` or a ``Dataset``)."""
    if isinstance(data, Dataset):
        return data.frame
    if isinstance(data, pd.DataFrame):
        return data
    raise UsageError(f"argument {arg}: expected a DataFrame or Dataset, got {type(data).__name__}")


def _copies_on_write() -> bool:
    """pandas copies on write (pandas 3, or pandas 2 with the option set)."""
    if int(pd.__version__.split(".")[0]) >= 3:
        return True
    try:
        return pd.options.mode.copy_on_write is True
    except (AttributeError, KeyError):
        return False


def new_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A frame a primitive may add columns to without changing ``frame``: a shallow copy
    where pandas copies on write (no later write to either can reach the other), else a
    deep copy. At 10^7 records the deep copy was the largest new memory of a flag step."""
    return frame.copy(deep=not _copies_on_write())


def like(data, frame: pd.DataFrame):
    """``frame`` returned in the kind of ``data``."""
    return data.with_frame(frame) if isinstance(data, Dataset) else frame


def require_columns(frame: pd.DataFrame, columns: Iterable[str], arg: str) -> None:
    """Raise :class:`UsageError` naming ``arg`` when ``frame`` lacks any of ``columns``."""
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise UsageError(f"argument {arg}: column(s) {', '.join(missing)} not in the dataset")


def require_choice(value: Any, choices: Iterable[Any], arg: str) -> None:
    choices = tuple(choices)
    if value not in choices:
        raise UsageError(f"argument {arg}: {value!r} is not one of {', '.join(map(repr, choices))}")


def as_list(value) -> list:
    """``None`` -> ``[]``, a scalar/str -> ``[value]``, a sequence -> list."""
    if value is None:
        return []
    if isinstance(value, (str, pd.Series, np.ndarray)):
        return [value]
    return list(value)


def row_mask(frame: pd.DataFrame, condition, arg: str = "filter") -> np.ndarray:
    """Boolean mask of ``frame`` rows meeting ``condition``: ``None`` (all rows), a
    pandas query string (``"AEDECOD == 'X' and AESER == 'Y'"``), or a callable
    ``frame -> boolean Series/array``. Missing results count as ``False``."""
    if condition is None:
        return np.ones(len(frame), dtype=bool)
    try:
        if isinstance(condition, str) and (_clean_column_name is not None or "`" not in condition):
            mask = pd.eval(condition, engine="python", resolvers=(_QueryNames(frame),))
        elif isinstance(condition, str):   # a `quoted name` with no way to name it: pandas' own way
            mask = frame.eval(condition, engine="python")
        elif callable(condition):
            mask = condition(frame)
        else:
            raise UsageError(f"argument {arg}: expected a query string or a callable")
    except UsageError:
        raise
    except Exception as exc:  # a bad expression is the caller's mistake
        raise UsageError(f"argument {arg}: cannot evaluate {condition!r}: {exc}") from exc
    mask = pd.Series(mask, index=frame.index) if not isinstance(mask, pd.Series) else mask
    if len(mask) != len(frame):
        raise UsageError(f"argument {arg}: the condition gave {len(mask)} values for {len(frame)} rows")
    return mask.fillna(False).astype(bool).to_numpy(copy=True)   # the caller's to change


def _column_namer():
    """How ``DataFrame.eval`` names a column in a query (```AE TERM``` is read as a
    cleaned identifier): pandas' ``clean_column_name``, which is not public API, used only
    when it works on an example at import. Otherwise (``None``, and ``QUERY_NAMES`` says
    why) a query that quotes a name with backticks is evaluated by ``DataFrame.eval``
    itself (the same result; it builds the index as a Series, slower on long frames)."""
    try:
        from pandas.core.computation.parsing import clean_column_name

        name = clean_column_name("AE TERM")
        if not bool(pd.eval("`AE TERM` == 1", engine="python", resolvers=({name: 1},))):
            return None, "pandas' clean_column_name does not name columns as pandas.eval reads them"
    except Exception as exc:   # private API: moved, renamed or changed
        return None, f"pandas' clean_column_name is not usable ({type(exc).__name__}: {exc})"
    return clean_column_name, f"pandas {pd.__version__} clean_column_name"


_clean_column_name, QUERY_NAMES = _column_namer()


class _QueryNames(MutableMapping):
    """The names a query string of :func:`row_mask` may use, as ``DataFrame.eval`` gives
    them: the columns (backtick-quoted names included) and ``index`` (or the index's
    name). The index becomes a Series only when the query names it: pandas builds it for
    every query, which for a RangeIndex of 10^7 rows was measured at 2.7 s a query
    against 0.07 s without. (Mutable: pandas' scope swaps resolved names in.)"""

    def __init__(self, frame: pd.DataFrame):
        self._frame = frame
        self._columns = ({_clean_column_name(c): c for c in frame.columns} if _clean_column_name is not None
                         else {c: c for c in frame.columns if isinstance(c, str) and c.isidentifier()})
        self._index_names = {"index"} | ({frame.index.name} if frame.index.name is not None else set())
        self._set: dict = {}

    def __getitem__(self, name):
        if name in self._set:
            return self._set[name]
        if name in self._columns:
            return self._frame[self._columns[name]]
        if name in self._index_names:
            return self._frame.index.to_series()
        raise KeyError(name)

    def __setitem__(self, name, value):
        self._set[name] = value

    def __delitem__(self, name):
        del self._set[name]

    def __iter__(self):
        return iter(dict.fromkeys([*self._set, *self._columns, *sorted(self._index_names, key=str)]))

    def __len__(self) -> int:
        return sum(1 for _ in self)


def choose(conditions, values, default=np.nan) -> np.ndarray:
    """Object array: the value of the first true condition per row, else ``default``
    (``np.select`` for text and missing values alike)."""
    conditions = [np.asarray(c, dtype=bool) for c in conditions]
    out = np.full(len(conditions[0]), default, dtype=object)
    done = np.zeros(len(out), dtype=bool)
    for cond, value in zip(conditions, values):
        hit = cond & ~done
        out[hit] = value
        done |= hit
    return out


def values_at(series: pd.Series, rows) -> np.ndarray:
    """The values of ``series`` at positions ``rows`` as a numpy array; text as objects
    (NaN missing) whether the column is an object array or a categorical, of which only
    the rows taken become objects."""
    if isinstance(series.dtype, pd.CategoricalDtype):
        table = np.append(np.asarray(series.cat.categories, dtype=object), np.nan)
        return table[series.cat.codes.to_numpy()[rows]]     # code -1 picks the NaN
    return series.to_numpy()[rows]


def rows_of(series: pd.Series, rows):
    """The values of ``series`` at ``rows`` (positions or a slice): a numpy array, or a
    categorical when ``series`` is one (its codes taken, no string per row)."""
    if isinstance(series.dtype, pd.CategoricalDtype):
        return series.array[rows]
    return series.to_numpy()[rows]


def run_keys(series: pd.Series) -> np.ndarray:
    """What :func:`run_starts` compares for a column: a categorical's codes, else the
    values."""
    if isinstance(series.dtype, pd.CategoricalDtype):
        return series.cat.codes.to_numpy()
    return series.to_numpy()


def subject_of(frame: pd.DataFrame, positions) -> list:
    """USUBJID of the rows at ``positions`` (``None`` when the frame has none)."""
    if "USUBJID" not in frame.columns:
        return [None] * len(positions)
    vals = values_at(frame["USUBJID"], positions)
    return [None if pd.isna(v) else str(v) for v in vals]


def run_starts(columns) -> np.ndarray:
    """True where a row's key (one value per array of ``columns``) may differ from the
    previous row's; row 0 always starts a run. Text compares by object identity, so
    equal values held by different objects may start a run too (harmless: runs only
    spare hashing)."""
    n = len(columns[0])
    starts = np.ones(n, dtype=bool)
    if n > 1:
        changed = np.zeros(n - 1, dtype=bool)
        for col in columns:
            col = identities(np.asarray(col))
            changed |= np.asarray(col[1:] != col[:-1], dtype=bool)
        starts[1:] = changed
    return starts


def _runs(frame: pd.DataFrame, keys) -> tuple[list[np.ndarray], np.ndarray]:
    """The first row of each run of equal keys (one array per key, text as objects) and
    each row's run."""
    starts = run_starts([run_keys(frame[k]) for k in keys]) if len(frame) else np.zeros(0, bool)
    # 4-byte run numbers, counted in place: this array is new memory for every step on a
    # domain of 10^7 records, and new memory is what costs (half of it, once)
    run = np.cumsum(starts, dtype=np.int32 if len(starts) < 2 ** 31 else np.int64)
    run -= 1
    return [values_at(frame[k], starts) for k in keys], run


def group_codes(frame: pd.DataFrame, by_vars) -> np.ndarray:
    """One integer per distinct ``by_vars`` combination (missing values equal each
    other), numbered in order of first appearance. Only the first row of each run of
    equal keys is hashed, so frames sorted or grouped by ``by_vars`` (as SDTM domains
    are) cost one comparison per row and variable."""
    by_vars = as_list(by_vars)
    if not by_vars:
        return np.zeros(len(frame), dtype=np.int64)
    heads, run = _runs(frame, by_vars)
    code = None
    for col in heads:
        part, uniques = factorize_text(col, use_na_sentinel=False) if col.dtype == object else \
            pd.factorize(col, use_na_sentinel=False)
        code = part.astype(np.int64) if code is None else \
            pd.factorize(code * len(uniques) + part)[0].astype(np.int64)
    return code[run]


def _indexer(index: pd.Index, values: np.ndarray) -> np.ndarray:
    """``index.get_indexer(values)``, looking each distinct text object up once when
    few objects repeat a lot (e.g. STUDYID)."""
    if values.dtype == object and len(values) > 1:
        first, _ = pd.factorize(identities(values))
        objects = first_rows(first)
        if 2 * len(objects) < len(values):
            return index.get_indexer(values[objects])[first]
    return index.get_indexer(values)


class SubjectIndex:
    """The subjects of a one-record-per-subject frame as positions 0..n-1, so records of
    other datasets are matched, sorted and deduplicated on one integer instead of text
    keys (``ids`` is -1 for records of subjects not in the frame). Each key variable is
    hashed once per run of equal keys (see :func:`group_codes`); several keys are
    combined into one integer per subject."""

    def __init__(self, frame: pd.DataFrame, keys: list[str]):
        self.keys = list(keys)
        cols = [frame[k].to_numpy() for k in self.keys]
        self._levels: list[pd.Index] | None = None
        if len(cols) == 1:
            self.index = pd.Index(cols[0])
        else:
            factorized = [pd.factorize(col, use_na_sentinel=False) for col in cols]
            self._sizes = [max(len(uniques), 1) for _, uniques in factorized]
            if float(np.prod([float(s) for s in self._sizes])) < 2.0 ** 62:
                self._levels = [pd.Index(uniques) for _, uniques in factorized]
                self.index = pd.Index(self._combine([part for part, _ in factorized]))
            else:  # too many combinations for one integer
                self.index = pd.MultiIndex.from_arrays(cols)
        self.is_unique = self.index.is_unique

    def _combine(self, codes: list[np.ndarray]) -> np.ndarray:
        out = np.zeros(len(codes[0]), dtype=np.int64)
        for part, size in zip(codes, self._sizes):
            out = out * size + part
        return out

    def ids(self, frame: pd.DataFrame, keys=None) -> np.ndarray:
        """Subject position of each record of ``frame`` (whose key variables are
        ``keys``, by default the same names)."""
        heads, run = _runs(frame, self.keys if keys is None else as_list(keys))
        if len(heads) == 1:
            return _indexer(self.index, heads[0])[run]
        if self._levels is None:
            return self.index.get_indexer(pd.MultiIndex.from_arrays(heads))[run]
        parts = [_indexer(level, col) for level, col in zip(self._levels, heads)]
        unknown = np.zeros(len(heads[0]), dtype=bool)
        for part in parts:
            unknown |= part < 0
        pos = self.index.get_indexer(self._combine([np.maximum(p, 0) for p in parts]))
        pos[unknown] = -1
        return pos[run]
