"""Variable and dataset metadata kept beside a pandas frame.

A :class:`Dataset` is a frame plus the metadata a submission needs: dataset name and
label, and per variable its name, label, SAS type (``Char``/``Num``), length in bytes
and display format, in column order. Conventions of the frame:

- character variables are ``object`` columns; a blank value is missing (``NaN``). A
  column of pandas' string dtype (``str``, pandas 3's default for text) is taken and
  held as ``object`` (:class:`Dataset` converts it); inside
  ``derive`` and on the way to a file, text may be held as pandas categoricals (the same
  values, a small code per row: :meth:`Dataset.with_coded_text`); what the Python API
  hands out follows this convention (:meth:`Dataset.with_object_text`);
- numeric variables are ``float64`` (``NaN`` missing), or ``datetime64[ns]`` when the
  variable carries a SAS date / datetime format (``DATE9.``, ``E8601DA.``, ``DATETIME20.``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from adam.text import as_categorical, identities, used_codes

CHAR, NUM = "Char", "Num"

DATE_FORMATS = ("DATE", "E8601DA", "YYMMDD", "MMDDYY", "DDMMYY", "IS8601DA", "B8601DA")
DATETIME_FORMATS = ("DATETIME", "E8601DT", "IS8601DT", "B8601DT")
_FMT_NAME = re.compile(r"^\$?([A-Z]+?)(\d*)\.?(\d*)$")


def format_kind(fmt: str | None) -> str | None:
    """``'date'``, ``'datetime'`` or ``None`` for a SAS display format such as ``DATE9.``."""
    if not fmt:
        return None
    m = _FMT_NAME.match(fmt.upper().strip())
    name = m.group(1) if m else fmt.upper()
    if name.startswith(DATETIME_FORMATS):
        return "datetime"
    if name.startswith(DATE_FORMATS):
        return "date"
    return None


@dataclass
class Variable:
    """One variable's metadata (what a define.xml ItemDef and an XPT namestr hold)."""

    name: str
    label: str = ""
    type: str = CHAR
    length: int | None = None
    format: str | None = None

    def __post_init__(self):
        if self.type not in (CHAR, NUM):
            raise ValueError(f"variable {self.name}: type must be Char or Num, not {self.type!r}")
        if self.type == NUM and self.length is None:
            self.length = 8

    @property
    def kind(self) -> str | None:
        """``'date'``/``'datetime'`` for numeric dates, else ``None``."""
        return format_kind(self.format) if self.type == NUM else None


@dataclass
class Dataset:
    """A frame and its metadata. ``variables`` follow the frame's column order."""

    name: str
    frame: pd.DataFrame
    label: str = ""
    variables: list[Variable] = field(default_factory=list)
    encoding: str | None = None  # text encoding of the source file, when read from one

    def __post_init__(self):
        self.name = self.name.upper()
        self.frame = _object_text(self.frame)
        meta = {v.name: v for v in self.variables}
        missing = [c for c in self.frame.columns if c not in meta]
        inferred = {v.name: v for v in infer_variables(self.frame[missing])} if missing else {}
        self.variables = [meta.get(c) or inferred[c] for c in self.frame.columns]

    def __getitem__(self, name: str) -> Variable:
        for v in self.variables:
            if v.name == name:
                return v
        raise KeyError(name)

    @property
    def meta(self) -> dict[str, Variable]:
        return {v.name: v for v in self.variables}

    def with_frame(self, frame: pd.DataFrame) -> "Dataset":
        """Same metadata, new rows (columns not in the metadata are inferred)."""
        return Dataset(self.name, frame, self.label, [replace(v) for v in self.variables],
                       self.encoding)

    def __len__(self) -> int:
        return len(self.frame)

    def with_coded_text(self) -> "Dataset":
        """The same dataset with each text (``object``) column of a Char variable held
        as a categorical: the same values, a small code per row, so checks and the
        writer compare codes instead of strings. A column whose values cannot be
        hashed (a hostile frame) is left as it is, for the checks to report."""
        frame = self.frame
        data = {}
        for var in self.variables:
            col = frame[var.name]
            data[var.name] = _column_values(col)
            if var.type == CHAR and col.dtype == object:
                try:
                    data[var.name] = as_categorical(data[var.name])
                except TypeError:
                    pass
        coded = pd.DataFrame(data, columns=frame.columns, index=frame.index, copy=False)
        return replace(self, frame=coded, variables=[replace(v) for v in self.variables])

    def with_object_text(self) -> "Dataset":
        """The same dataset with every categorical column as an ``object`` column (the
        frame conventions above), for code that works on the frame with pandas."""
        frame = self.frame
        coded = [c for c in frame.columns if isinstance(frame[c].dtype, pd.CategoricalDtype)]
        if not coded:
            return self
        return replace(self, frame=frame.astype({c: object for c in coded}),
                       variables=[replace(v) for v in self.variables])


def _object_text(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with each column of pandas' string dtype (``str``, pandas 3's default for
    text a user builds or reads with pandas) as an ``object`` column, missing as ``NaN``:
    text from users is taken as it comes and held by the frame conventions above."""
    text = [i for i, dtype in enumerate(frame.dtypes) if isinstance(dtype, pd.StringDtype)]
    if not text:
        return frame
    frame = frame.copy(deep=False)
    for i in text:
        frame.isetitem(i, pd.Series(frame.iloc[:, i].to_numpy(dtype=object, na_value=np.nan),
                                    index=frame.index, dtype=object))
    return frame


def infer_variables(frame: pd.DataFrame) -> list[Variable]:
    """Metadata guessed from dtypes: dates get ``DATE9.``, datetimes ``DATETIME20.``,
    numbers ``Num`` 8, text ``Char`` of the longest UTF-8 value (at least 1)."""
    out = []
    for col in frame.columns:
        s = frame[col]
        if pd.api.types.is_datetime64_any_dtype(s):
            # a *DTM variable is a datetime even when all its times are midnight (ADAM-007)
            is_dt = str(col).upper().endswith("DTM") or bool((s.dropna().dt.normalize() != s.dropna()).any())
            out.append(Variable(col, type=NUM, format="DATETIME20." if is_dt else "DATE9."))
        elif pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s):
            out.append(Variable(col, type=NUM))
        else:
            out.append(Variable(col, type=CHAR, length=max(1, char_width(s))))
    return out


def char_width(s: pd.Series, encoding: str = "utf-8") -> int:
    """Longest value of a text column in bytes (0 when all missing). Measured on the
    distinct values (only the first of each run of equal values is hashed: cheap on
    columns sorted by subject), by numpy when they are all ASCII."""
    if isinstance(s.dtype, pd.CategoricalDtype):
        used = used_codes(s.cat.codes.to_numpy(), len(s.cat.categories))
        arr = np.asarray(s.cat.categories[used], dtype=object)
    else:
        arr = s.to_numpy(dtype=object)
    if len(arr) > 1:   # the same object repeated (a run) is one value: compare addresses
        ids = identities(arr)
        arr = arr[np.r_[True, ids[1:] != ids[:-1]]]
    uniq = pd.unique(arr)
    uniq = uniq[pd.notna(uniq)]
    if not len(uniq):
        return 0
    if encoding in ("utf-8", "ascii"):
        try:
            texts = uniq.astype(str)
            width = texts.astype("S").dtype.itemsize  # one byte per ASCII character
            return width if width > 1 else max(len(t) for t in texts)  # numpy's minimum is S1
        except UnicodeEncodeError:  # not ASCII: measure the encoded bytes
            pass
    distinct = pd.Series(uniq.astype(str))
    return int(distinct.str.encode(encoding, errors="replace").str.len().max())


def blank_to_missing(s: pd.Series) -> pd.Series:
    """Character column with trailing blanks removed and empty values as ``NaN``."""
    codes, uniques = pd.factorize(s.astype(object))  # work on distinct values only
    cleaned = pd.Series(uniques, dtype=object).astype(str).str.rstrip()
    cleaned = cleaned.mask(cleaned == "", np.nan).to_numpy(dtype=object)
    out = np.full(len(s), np.nan, dtype=object)
    present = codes >= 0
    out[present] = cleaned[codes[present]]
    return pd.Series(out, index=s.index, name=s.name, dtype=object)


def positional(frame: pd.DataFrame) -> pd.DataFrame:
    """A new frame with rows numbered 0..n-1 holding ``frame``'s column arrays (no copy,
    unlike ``reset_index``): replacing a column of it leaves ``frame`` as it was; writing
    into its arrays in place would not."""
    index = pd.RangeIndex(len(frame))
    return pd.DataFrame({c: _column_values(frame[c], index) for c in frame.columns}, columns=frame.columns,
                        index=index, copy=False)


def _column_values(s: pd.Series, index=None):
    """A column's values without a copy: a categorical stays one (its codes), other
    columns as numpy arrays, text as an ``object`` Series (pandas 3 would infer its
    ``str`` dtype from an object array; pandas' string dtype becomes objects, missing
    ``NaN``) on ``index`` (default: the column's)."""
    index = s.index if index is None else index
    if isinstance(s.dtype, pd.CategoricalDtype):
        return s.array
    if isinstance(s.dtype, pd.StringDtype):
        return pd.Series(s.to_numpy(dtype=object, na_value=np.nan), index=index, dtype=object)
    if s.dtype == object:
        return pd.Series(s.to_numpy(), index=index, dtype=object, copy=False)
    return s.to_numpy()
