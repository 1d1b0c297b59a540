"""SAS transport (XPT) version 5: read with pyreadstat, write by hand.

Reading uses pyreadstat (C, fast) and keeps the metadata beside the frame; character
values are stripped of trailing blanks and blank becomes missing; numeric variables with
a SAS date / datetime format become ``datetime64[ns]``. Text is decoded as UTF-8, falling
back to cp1252 (the CDISC pilot ``ts.xpt``); the encoding used is kept on the Dataset.

Writing is hand-written because pyreadstat cannot set a character variable's declared
length, which a submission must keep. The v5 rules are enforced before a byte is
written, with an :class:`~adam.errors.XptRuleError` naming dataset, variable, record and
value: dataset and variable names <= 8 characters (letters, digits, underscore; not
starting with a digit), labels <= 40, character values <= 200 bytes and within the
declared length, text ASCII unless an encoding is given explicitly.

Special missing values (``.A``-``.Z``, ``._``) are read as missing (pyreadstat does not
expose them for XPT); the writer writes every missing numeric as the standard ``.``.
"""

from __future__ import annotations

import re
import struct
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd

from adam.errors import InputError, XptRuleError
from adam.io.atomic import atomic_path
from adam.metadata import CHAR, NUM, Dataset, Variable, blank_to_missing, format_kind

RECORD = 80
SAS_EPOCH = np.datetime64("1960-01-01", "ns")
NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,7}$")
LIBRARY_HEADER = b"HEADER RECORD*******LIBRARY HEADER RECORD!!!!!!!000000000000000000000000000000  "
FALLBACK_ENCODINGS = ("utf-8", "cp1252")


# --------------------------------------------------------------------------- reading
def read_xpt(path: str | Path) -> Dataset:
    """Read a SAS v5 transport file (first member) into a :class:`Dataset`."""
    import pyreadstat

    path = Path(path)
    _check_xpt_file(path)
    last_error = None
    for encoding in FALLBACK_ENCODINGS:
        try:
            frame, meta = pyreadstat.read_xport(str(path), encoding=encoding,
                                                disable_datetime_conversion=True)
            break
        except UnicodeDecodeError as exc:
            last_error = exc
        except Exception as exc:  # pyreadstat raises its own error types
            if "unicode" in str(exc).lower() or "encod" in str(exc).lower() or "convert" in str(exc).lower():
                last_error = exc
                continue
            raise InputError(f"not a readable SAS transport file ({_reason(exc)})", file=path) from None
    else:
        raise InputError(f"text is neither UTF-8 nor cp1252 ({_reason(last_error)})", file=path)
    variables = []
    for name in meta.column_names:
        is_char = meta.readstat_variable_types.get(name) == "string"
        fmt = meta.original_variable_types.get(name) or None
        if fmt and fmt.upper() in ("$", "$.", "F", "BEST"):
            fmt = None
        var = Variable(name, label=meta.column_names_to_labels.get(name) or "",
                       type=CHAR if is_char else NUM,
                       length=int(meta.variable_storage_width.get(name) or (1 if is_char else 8)),
                       format=_normalize_format(fmt))
        variables.append(var)
        if is_char:
            frame[name] = blank_to_missing(frame[name])
        else:
            frame[name] = _from_sas_number(frame[name].astype("float64"), var.kind)
    name = (meta.table_name or path.stem).upper()
    ds = Dataset(name, frame, meta.file_label or "", variables)
    ds.encoding = encoding
    return ds


def _reason(exc) -> str:
    text = str(exc).strip().splitlines()[0] if exc is not None and str(exc).strip() else type(exc).__name__
    return text[:160]


def _check_xpt_file(path: Path) -> None:
    if not path.exists():
        raise InputError("file not found", file=path)
    if path.is_dir():
        raise InputError("is a folder, not an XPT file", file=path)
    size = path.stat().st_size
    if size == 0:
        raise InputError("empty file (0 bytes)", file=path)
    with open(path, "rb") as fh:
        head = fh.read(RECORD)
    if not head.startswith(LIBRARY_HEADER[:48]):
        raise InputError("not a SAS transport (XPT v5) file: missing library header", file=path)
    if size % RECORD:
        raise InputError(f"truncated SAS transport file: {size} bytes is not a multiple of 80",
                         file=path)


def _normalize_format(fmt: str | None) -> str | None:
    if not fmt:
        return None
    fmt = fmt.strip().upper()
    return fmt if fmt.endswith(".") or re.search(r"\.\d*$", fmt) else fmt + "."


def _from_sas_number(values: pd.Series, kind: str | None) -> pd.Series:
    if kind == "date":
        days = values.to_numpy()
        return pd.Series(_offset(days, 86400), index=values.index)
    if kind == "datetime":
        return pd.Series(_offset(values.to_numpy(), 1), index=values.index)
    return values


def _offset(values: np.ndarray, seconds_per_unit: int) -> np.ndarray:
    ns = np.round(values * seconds_per_unit * 1e9)
    out = np.full(values.shape, np.datetime64("NaT"), dtype="datetime64[ns]")
    ok = np.isfinite(ns)
    out[ok] = SAS_EPOCH + ns[ok].astype("int64").astype("timedelta64[ns]")
    return out


# --------------------------------------------------------------------------- writing
def write_xpt(ds: Dataset, path: str | Path, inputs=(), encoding: str = "ascii") -> Path:
    """Write ``ds`` as a SAS v5 transport file, atomically. ``encoding`` other than
    ASCII (e.g. ``cp1252``) is an explicit opt-out of the v5 ASCII rule."""
    return write_prepared(prepare_xpt(ds, encoding), path, inputs)


class PreparedXpt:
    """A dataset that passed the v5 rules, encoded and ready to write."""

    def __init__(self, ds: Dataset, columns):
        self.ds, self.columns = ds, columns


def prepare_xpt(ds: Dataset, encoding: str = "ascii") -> PreparedXpt:
    """Check every v5 rule (an :class:`XptRuleError` for the first broken) and encode."""
    return PreparedXpt(ds, _encode_columns(ds, encoding))


def write_prepared(prepared: PreparedXpt, path: str | Path, inputs=()) -> Path:
    with atomic_path(path, inputs) as tmp, open(tmp, "wb") as fh:
        fh.write(_headers(prepared.ds, prepared.columns))
        fh.write(_observations(prepared.columns, len(prepared.ds.frame)))
    return Path(path)


def validate_xpt_rules(ds: Dataset, encoding: str = "ascii") -> None:
    """Raise :class:`XptRuleError` for the first v5 rule ``ds`` breaks."""
    prepare_xpt(ds, encoding)


def _fail(ds: Dataset, message: str, variable: str | None = None, record: int | None = None):
    raise XptRuleError(message, file=f"dataset {ds.name}", variable=variable, record=record)


def _ascii_or_fail(ds: Dataset, text: str, what: str, variable: str | None = None) -> bytes:
    try:
        return text.encode("ascii")
    except UnicodeEncodeError:
        _fail(ds, f"{what} {text!r} is not ASCII", variable)


def _encode_columns(ds: Dataset, encoding: str) -> list[tuple[Variable, np.ndarray, int]]:
    if not NAME_RE.match(ds.name):
        _fail(ds, f"dataset name {ds.name!r} breaks the v5 rule (<= 8 letters, digits, underscore)")
    if len(ds.label) > 40:
        _fail(ds, f"dataset label is {len(ds.label)} characters (> 40): {ds.label!r}")
    _ascii_or_fail(ds, ds.label, "dataset label")
    if not ds.variables:
        _fail(ds, "has no variables")
    columns, seen = [], set()
    for var in ds.variables:
        if not NAME_RE.match(var.name):
            _fail(ds, f"variable name {var.name!r} breaks the v5 rule "
                      "(<= 8 letters, digits, underscore, not starting with a digit)", var.name)
        if var.name.upper() in seen:
            _fail(ds, "variable name is duplicated (names are case-insensitive)", var.name)
        seen.add(var.name.upper())
        if len(var.label or "") > 40:
            _fail(ds, f"label is {len(var.label)} characters (> 40): {var.label!r}", var.name)
        _ascii_or_fail(ds, var.label or "", "label", var.name)
        if var.format and len(_split_format(var.format)[0]) > 8:
            _fail(ds, f"format name {var.format!r} is longer than 8 characters", var.name)
        series = ds.frame[var.name]
        if var.type == CHAR:
            columns.append(_encode_char(ds, var, series, encoding))
        else:
            columns.append(_encode_num(ds, var, series))
    return columns


def _encode_char(ds: Dataset, var: Variable, series: pd.Series, encoding: str):
    codes, uniques = pd.factorize(series.astype(object))  # encode each distinct value once
    texts = [v if isinstance(v, str) else _num_text(v) for v in uniques]
    raw = []
    for text in texts:
        try:
            raw.append(text.encode(encoding))
        except UnicodeEncodeError:
            row = int(np.flatnonzero(codes == len(raw))[0])
            rule = "is not ASCII (v5 is ASCII; pass an explicit encoding to override)" \
                if encoding == "ascii" else f"cannot be encoded as {encoding}"
            _fail(ds, f"value {text!r} {rule}", var.name, row + 1)
    widths = np.array([len(b) for b in raw], dtype=np.int64)
    longest = int(widths.max()) if len(widths) else 0
    length = var.length or max(1, longest)

    def first_row(too_long):
        bad = int(np.flatnonzero(too_long)[0])
        return bad, int(np.flatnonzero(codes == bad)[0]) + 1

    if longest > 200:
        bad, row = first_row(widths > 200)
        _fail(ds, f"value is {widths[bad]} bytes (> 200): {texts[bad][:60]!r}...", var.name, row)
    if length > 200:
        _fail(ds, f"declared length {length} exceeds 200 bytes", var.name)
    if longest > length:
        bad, row = first_row(widths > length)
        _fail(ds, f"value is {widths[bad]} bytes, longer than the declared length {length}: "
                  f"{texts[bad]!r}", var.name, row)
    # blank-padded distinct values, plus one all-blank value for missing (code -1)
    table = np.array([b.ljust(length, b" ") for b in raw] + [b" " * length], dtype=f"S{length}")
    return var, table[np.where(codes >= 0, codes, len(raw))], length


def _encodable(encoding):
    def test(v: str) -> bool:
        try:
            v.encode(encoding)
            return True
        except UnicodeEncodeError:
            return False
    return test


def _num_text(v) -> str:
    return repr(v)


def _encode_num(ds: Dataset, var: Variable, series: pd.Series):
    length = var.length or 8
    if not 2 <= length <= 8:
        _fail(ds, f"numeric length {length} outside 2..8", var.name)
    if pd.api.types.is_datetime64_any_dtype(series):
        per = 1 if var.kind == "datetime" else 86400
        ns = series.to_numpy(dtype="datetime64[ns]")
        values = (ns - SAS_EPOCH).astype("timedelta64[ns]").astype("int64") / (per * 1e9)
        values = np.where(np.isnat(ns), np.nan, values)
    else:
        try:
            values = pd.to_numeric(series, errors="raise").to_numpy(dtype="float64", na_value=np.nan)
        except (ValueError, TypeError):
            bad = pd.to_numeric(series, errors="coerce").isna() & series.notna()
            row = int(np.flatnonzero(bad.to_numpy())[0])
            _fail(ds, f"numeric variable holds a non-numeric value {series.iloc[row]!r}",
                  var.name, row + 1)
    ibm = ieee_to_ibm(values)
    if ibm is None:
        row = int(np.flatnonzero(np.abs(values) > 7.2e75)[0])
        _fail(ds, f"value {values[row]!r} is too large for a SAS transport number", var.name, row + 1)
    raw = ibm.astype(">u8").view("S8") if len(ibm) else np.zeros(0, "S8")
    return var, raw.astype(f"S{length}") if length < 8 else raw, length


def ieee_to_ibm(values: np.ndarray) -> np.ndarray | None:
    """IEEE doubles -> IBM hexadecimal floats as uint64 (missing -> SAS '.').
    Exact for every double (the 56-bit IBM fraction holds the 53-bit mantissa).
    Returns ``None`` when a value overflows the IBM range."""
    values = np.asarray(values, dtype="float64")
    out = np.zeros(values.shape, dtype=np.uint64)
    missing = ~np.isfinite(values)
    out[missing] = np.uint64(0x2E) << np.uint64(56)
    nz = ~missing & (values != 0)
    if not nz.any():
        return out
    x = values[nz]
    mant, exp2 = np.frexp(np.abs(x))  # |x| = mant * 2**exp2, mant in [0.5, 1)
    exp16 = -((-exp2) // 4)            # ceil(exp2 / 4)
    shift = 4 * exp16 - exp2           # 0..3
    if (exp16 + 64 > 127).any():
        return None
    underflow = exp16 + 64 < 0
    frac = np.ldexp(mant, 56 - shift).astype(np.uint64)  # exact integer
    word = (np.where(x < 0, np.uint64(1), np.uint64(0)) << np.uint64(63)) \
        | ((exp16 + 64).clip(0).astype(np.uint64) << np.uint64(56)) | frac
    out[nz] = np.where(underflow, np.uint64(0), word)
    return out


def _split_format(fmt: str) -> tuple[str, int, int]:
    m = re.match(r"^(\$?[A-Za-z_]*?)(\d*)\.(\d*)$", fmt.strip())
    if not m:
        return fmt.strip().rstrip("."), 0, 0
    return m.group(1), int(m.group(2) or 0), int(m.group(3) or 0)


def _pad(text: str, width: int) -> bytes:
    return text.encode("ascii")[:width].ljust(width, b" ")


def _record_block(data: bytes) -> bytes:
    rem = len(data) % RECORD
    return data + b" " * (RECORD - rem) if rem else data


def _headers(ds: Dataset, columns) -> bytes:
    stamp = datetime.now().strftime("%d%b%y:%H:%M:%S").upper().encode("ascii")
    lib = (LIBRARY_HEADER
           + b"SAS     SAS     SASLIB  9.4     " + _pad("adamant", 8) + b" " * 24 + stamp
           + stamp + b" " * 64)
    member = (b"HEADER RECORD*******MEMBER  HEADER RECORD!!!!!!!000000000000000001600000000140  "
              b"HEADER RECORD*******DSCRPTR HEADER RECORD!!!!!!!000000000000000000000000000000  "
              + b"SAS     " + _pad(ds.name, 8) + b"SASDATA 9.4     " + _pad("adamant", 8)
              + b" " * 24 + stamp
              + stamp + b" " * 16 + _pad(ds.label or "", 40) + b" " * 8)
    namestr_head = ("HEADER RECORD*******NAMESTR HEADER RECORD!!!!!!!000000"
                    f"{len(columns):04d}" + "0" * 20 + "  ").encode("ascii")
    namestrs, pos = b"", 0
    for number, (var, _, length) in enumerate(columns, start=1):
        fname, fl, fd = _split_format(var.format) if var.format else ("", 0, 0)
        namestrs += struct.pack(
            ">hhhh8s40s8shhh2s8shhi52s",
            1 if var.type == NUM else 2, 0, length, number,
            _pad(var.name, 8), _pad(var.label or "", 40), _pad(fname, 8), fl, fd,
            0 if var.type == CHAR else 1, b"\0\0", b" " * 8, 0, 0, pos, b"\0" * 52)
        pos += length
    obs_head = b"HEADER RECORD*******OBS     HEADER RECORD!!!!!!!000000000000000000000000000000  "
    return lib + member + namestr_head + _record_block(namestrs) + obs_head


def _observations(columns, nrows: int) -> bytes:
    if nrows == 0:
        return b""
    dtype = np.dtype([(f"f{i}", f"S{length}") for i, (_, _, length) in enumerate(columns)])
    rows = np.empty(nrows, dtype=dtype)
    for i, (_, raw, _) in enumerate(columns):
        rows[f"f{i}"] = raw
    # structured assignment of S-fields pads with NUL; numeric fields are exact bytes,
    # character fields were blank-padded before, so the buffer is final
    return _record_block(rows.tobytes())
