"""SAS transport (XPT) version 5: read with numpy, write by hand.

Reading parses the library, member and namestr headers (SAS TS-140) and the observation
block with numpy, block of rows by block of rows: numeric fields (2..8 bytes, SAS keeps
the leading bytes) are converted from IBM to IEEE floats vectorized, bit for bit as
TS-140's ``xpt2ieee``; text fields are coded on their bytes as the blocks go by (a hash
table per 8-byte word, kept across blocks; runs of equal values looked up once) and only
the distinct values are decoded. Character values are stripped of
trailing blanks and blank becomes missing; numeric variables with a SAS date / datetime
format become ``datetime64[ns]`` (fractions of a day or second kept to the nanosecond).

Encoding, decided per file over every text (values, names, labels): UTF-8 when every text
is valid UTF-8, or when the file holds UTF-8 characters and its only faults are characters
cut at the very end of a full field (SAS cutting a value at the variable's length: the
partial character is dropped, as SAS and ReadStat do); else cp1252, which gives every
byte a character (the CDISC pilot ``ts.xpt``; a cp1252 ``Café`` whose ``é`` ends the value
is read whole, never cut to ``Caf``); else an error naming the variable and record. The
encoding used is kept on the Dataset.

Observations: the observation block is padded with blanks to a whole 80-byte record, so
only all-blank rows within the last record's padding (fewer than 80 bytes) can be
padding; an all-blank observation before that (always, for rows of 80 bytes or more) is
kept. A file with several members is refused naming them (``member=`` reads one).

The result equals the former pyreadstat-based reader, kept as :func:`read_xpt_pyreadstat`
to cross-check it, except where ReadStat changes data: pyreadstat reads numeric lengths
below 3 as missing (this reader decodes lengths 2..8), reads SAS's largest number
(``0x7FFFFFFFFFFFFFFF``, what SAS writes for a value too large for the format) as
infinity (here the finite IBM value, 7.237e75, as SAS reads it back), drops trailing
all-blank rows of short (< 80 byte) observations even where they cannot be padding, and
reads past a member's end into the next one.

Writing is hand-written because pyreadstat cannot set a character variable's declared
length, which a submission must keep. The v5 rules are enforced before a byte is
written, with an :class:`~adam.errors.XptRuleError` naming dataset, variable, record and
value: dataset and variable names <= 8 characters (letters, digits, underscore; not
starting with a digit), labels <= 40, character values <= 200 bytes and within the
declared length, text ASCII unless an encoding is given explicitly.

Special missing values (``.A``-``.Z``, ``._``) are read as missing; the writer writes
every missing numeric as the standard ``.``.
"""

from __future__ import annotations

import codecs
import contextlib
import re
import struct
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd

try:  # pandas' private hash tables: used only once checked at import (_choose_stream_codes)
    from pandas._libs import hashtable as _hashtable
except ImportError:
    _hashtable = None

from adam.errors import InputError, XptRuleError
from adam.text import categorical_of, factorize_text, object_columns, used_codes
from adam.io.atomic import atomic_path
from adam.io.direct import DirectWriter, row_blocks
from adam.metadata import CHAR, NUM, Dataset, Variable, blank_to_missing, format_kind

RECORD = 80
SAS_EPOCH = np.datetime64("1960-01-01", "ns")
NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,7}$")
LIBRARY_HEADER = b"HEADER RECORD*******LIBRARY HEADER RECORD!!!!!!!000000000000000000000000000000  "
FALLBACK_ENCODINGS = ("utf-8", "cp1252")


# --------------------------------------------------------------------------- reading
HEADER_TAG = b"HEADER RECORD*******"
NAMESTR = struct.Struct(">hhhh8s40s8shhh2s8shhi")  # the first 88 bytes of a namestr
NAMESTR_LENGTHS = (140, 136)                         # 136 on VAX/VMS
TEXT_PADDING = b" "
BLOCK_ROWS = 32768  # rows of the observation block handled at once (cache-sized)
SIGN_BIT, FRACTION_BITS, MANTISSA_BITS = 1 << 63, (1 << 56) - 1, (1 << 52) - 1
# bits the IBM fraction is shifted right by, from its leading hex digit (TS-140 xpt2ieee)
_LEADING_DIGIT_SHIFT = np.array([0, 0, 1, 1, 2, 2, 2, 2] + [3] * 8, dtype=np.uint64)


@dataclass
class _Field:
    """One variable of the member as its namestr describes it (text not yet decoded)."""

    name: bytes
    label: bytes
    is_char: bool
    length: int
    position: int
    format: str | None


@dataclass
class _Layout:
    name: bytes
    label: bytes
    fields: list[_Field]
    obs_start: int

    @property
    def row_length(self) -> int:
        return sum(f.length for f in self.fields)


def read_xpt(path: str | Path, columns=None, coded: bool = False, member: str | None = None) -> Dataset:
    """Read a SAS v5 transport file (first member) into a :class:`Dataset`; with
    ``columns`` (names, any case), only those of its variables (in file order; names the
    file lacks are ignored), the others never decoded. With ``coded``, text variables
    are pandas categoricals (one small integer per row into the distinct values) instead
    of object arrays: the same values, a fraction of the memory for long files. A file with
    several members is refused (an :class:`InputError` naming them) unless ``member``
    names the one to read.

    The observation block is read with numpy a block of rows at a time; text is decoded
    once per distinct value. The frame and metadata equal what :func:`read_xpt_pyreadstat`
    gives for the same file."""
    path = Path(path)
    _check_xpt_file(path)
    data = np.memmap(path, dtype=np.uint8, mode="r")   # headers and the last rows only
    if member is None:
        layout, end = _parse_layout(data, path), None
    else:
        layout, end = _member_layout(data, path, member)
    obs = _observation_rows(data, layout, path, end)
    guard = _member_guard(data, layout, path) if end is None else None
    if columns is not None:
        wanted = {str(c).upper() for c in columns}
        layout = replace(layout, fields=[f for f in layout.fields if _text(f.name, "latin-1").upper() in wanted])
    try:
        extracted = _extract_fields(obs, layout.fields, row_blocks(path, layout.obs_start, obs.width,
                                                                   obs.nrows, BLOCK_ROWS), guard)
    except EOFError:
        raise InputError("truncated SAS transport file: the observations end early", file=path) from None
    distinct = {i: _distinct_values(part, f.length)
                for i, (part, f) in enumerate(zip(extracted, layout.fields)) if isinstance(part, _TextCodes)}
    try:
        whole_file = None if columns is None else \
            (lambda: read_xpt(path, coded=True, member=member).encoding)
        encoding, texts, header = _decode_file_text(layout, distinct, path, whole_file)
    except _BadText as bad:
        raise bad.error(layout, extracted, path) from None
    columns, variables = {}, []
    for i, field in enumerate(layout.fields):
        name, label = header.names[i], header.labels[i]
        var = Variable(name, label=label, type=CHAR if field.is_char else NUM,
                       length=field.length or (1 if field.is_char else 8),
                       format=_normalize_format(field.format))
        variables.append(var)
        part, extracted[i] = extracted[i], None   # free each intermediate once used
        if not field.is_char:
            _check_date_range(part, var, path)
            columns[name] = _from_sas_values(part, var.kind)
        elif field.length:
            columns[name] = _text_column(part, _text_table(distinct.pop(i), texts.pop(i)), coded)
        else:
            columns[name] = np.full(obs.nrows, np.nan, dtype=object)
    frame = pd.DataFrame(object_columns(columns, pd.RangeIndex(obs.nrows)), index=pd.RangeIndex(obs.nrows),
                         copy=False)
    ds = Dataset((header.name or path.stem).upper(), frame, header.label, variables)
    ds.encoding = encoding
    return ds


@dataclass
class _HeaderText:
    name: str
    label: str
    names: list[str]
    labels: list[str]


class _BadText(Exception):
    """A text of the file that an encoding cannot decode: ``where`` is ``("value", field,
    distinct value)``, ``("name" | "label", field)`` or ``("dataset name" | "dataset
    label",)``."""

    def __init__(self, where: tuple, exc: UnicodeDecodeError):
        super().__init__(str(exc))
        self.where, self.exc = where, exc

    def error(self, layout: _Layout, extracted: list, path: Path) -> InputError:
        """The one-line error naming the variable and record (the first row holding it)."""
        kind, *rest = self.where
        bad = self.exc.object[self.exc.start:self.exc.end + 3][:6]
        message = f"text is neither UTF-8 nor cp1252 (bytes {bad!r} at byte {self.exc.start + 1} of the {kind})"
        if kind.startswith("dataset"):
            return InputError(message, file=path)
        field = layout.fields[rest[0]]
        record = None
        if kind == "value":
            record = int(np.flatnonzero(extracted[rest[0]].codes == rest[1])[0]) + 1
        return InputError(message, file=path, record=record, variable=_raw_name(field.name))


def _decode_file_text(layout: _Layout, distinct: dict, path: Path, whole_file=None):
    """Decode every text of the file (values, names, labels) in the file's encoding (see
    the module docstring): ``(encoding, {field: decoded distinct values}, header texts)``;
    a :class:`_BadText` for the first text neither encoding can decode. When only some
    variables were read (``whole_file``: a function giving the encoding of the whole
    file) and their texts are not plain UTF-8, the encoding is the whole file's."""
    try:
        utf8 = _decode_all(layout, distinct, "utf-8")
    except _BadText as exc:
        utf8, utf8_error = None, exc
    if whole_file is not None and (utf8 is None or utf8[2]):
        encoding = whole_file()
        return (encoding, *_decode_all(layout, distinct, encoding)[:2])
    if utf8 is not None and (not utf8[2] or _holds_non_ascii(*utf8[:2])):
        return ("utf-8", *utf8[:2])
    try:
        return ("cp1252", *_decode_all(layout, distinct, "cp1252")[:2])
    except _BadText:
        if utf8 is not None:          # cut characters and bytes cp1252 lacks: only UTF-8 reads it
            return ("utf-8", *utf8[:2])
        raise utf8_error from None


def _decode_all(layout: _Layout, distinct: dict, encoding: str):
    """``(texts, header, cut)``: every text decoded, and how many lost a character SAS cut
    at the end of its field (UTF-8 only)."""
    texts, cut = {}, 0
    for i, values in distinct.items():
        texts[i], n = _decode(values, encoding, layout.fields[i].length, i)
        cut += n
    head = []
    for where, raw in [(("dataset name",), layout.name), (("dataset label",), layout.label)] + \
            [(("name", i), f.name) for i, f in enumerate(layout.fields)] + \
            [(("label", i), f.label) for i, f in enumerate(layout.fields)]:
        text, n = _header_text(raw, encoding, where)
        head.append(text)
        cut += n
    nvars = len(layout.fields)
    header = _HeaderText(head[0], head[1], head[2:2 + nvars], head[2 + nvars:])
    return texts, header, cut


def _holds_non_ascii(texts: dict, header: _HeaderText) -> bool:
    """Whether a decoded text holds a character beyond ASCII (UTF-8 decoded: a whole
    multi-byte character, the evidence that the file is UTF-8)."""
    return any(not t.isascii() for values, _ in texts.values() for t in values) or \
        any(not t.isascii() for t in [header.name, header.label, *header.names, *header.labels])


def _parse_layout(data: np.ndarray, path: Path, at: int = 3 * RECORD) -> _Layout:
    """Member and namestr headers of the member whose MEMBER header record is at byte
    ``at`` (the first member by default) (TS-140)."""
    size = len(data)

    def record(offset: int, what: str) -> bytes:
        if offset + RECORD > size:
            raise InputError(f"truncated SAS transport file: it ends before the {what}", file=path)
        return bytes(data[offset:offset + RECORD])

    def header(offset: int, name: bytes) -> bytes:
        rec = record(offset, f"{name.decode()} header record")
        if rec[:48] != HEADER_TAG + name.ljust(8) + b"HEADER RECORD!!!!!!!":
            raise InputError(f"not a readable SAS transport file (no {name.decode()} header record "
                             f"at byte {offset})", file=path)
        if not rec[48:78].isdigit():
            raise InputError(f"not a readable SAS transport file ({name.decode()} header record at byte "
                             f"{offset}: {rec[48:78]!r} where digits are due)", file=path)
        return rec

    member = header(at, b"MEMBER")
    namestr_length = int(member[74:78])
    if namestr_length not in NAMESTR_LENGTHS:
        namestr_length = 140
    header(at + RECORD, b"DSCRPTR")
    name = record(at + 2 * RECORD, "member descriptor")[8:16]
    label = record(at + 3 * RECORD, "member descriptor")[32:72]
    count = header(at + 4 * RECORD, b"NAMESTR")[53:58]
    if not count.isdigit():
        raise InputError("not a readable SAS transport file (bad variable count in the NAMESTR "
                         "header record)", file=path)
    nvars, start = int(count), at + 5 * RECORD
    end = start + nvars * namestr_length
    if end > size:
        raise InputError(f"truncated SAS transport file: the variable descriptors (namestr "
                         f"block, {nvars} variables) are cut short", file=path)
    block = bytes(data[start:end])
    fields, position = [], 0
    for k in range(nvars):
        field = _namestr_field(block[k * namestr_length:(k + 1) * namestr_length], path)
        if field.position != position:
            raise InputError(f"not a readable SAS transport file (variable {_raw_name(field.name)}: "
                             f"namestr position {field.position}, expected {position})", file=path)
        fields.append(field)
        position += field.length
    obs = start + -(-(end - start) // RECORD) * RECORD
    header(obs, b"OBS")
    return _Layout(name, label, fields, obs + RECORD)


def _namestr_field(raw: bytes, path: Path) -> _Field:
    ntype, _, length, _, name, label, form, width, decimals, _, _, _, _, _, position = \
        NAMESTR.unpack(raw[:NAMESTR.size])
    is_char = ntype == 2
    if not all(0x20 <= b < 0x7F or b == 0 for b in form):
        raise InputError(f"not a readable SAS transport file (variable {_raw_name(name)}: format name "
                         f"{form!r} is not ASCII text)", file=path)
    if length < 0 or (is_char and length > 32767) or (not is_char and not 2 <= length <= 8):
        raise InputError(f"not a readable SAS transport file (variable {_raw_name(name)}: length "
                         f"{length} is not valid for a {'character' if is_char else 'numeric'} "
                         "variable)", file=path)
    return _Field(name, label, is_char, length, position, _format_text(form, width, decimals))


def _raw_name(raw: bytes) -> str:
    return raw.rstrip(b" ").decode("latin-1")


def _format_text(form: bytes, width: int, decimals: int) -> str | None:
    """The display format as ReadStat spells it (name, width, '.decimals')."""
    name = form.rstrip(b" ").split(b"\0", 1)[0].decode("latin-1")
    fmt = f"{name}{width}.{decimals}" if decimals else f"{name}{width}" if width else name
    return None if not fmt or fmt.upper() in ("$", "$.", "F", "BEST") else fmt


@dataclass
class _Observations:
    """The observation block: ``nrows`` rows of ``width`` bytes at the start of
    ``data`` (which runs on to the end of the file)."""

    data: np.ndarray
    nrows: int
    width: int


def _observation_rows(data: np.ndarray, layout: _Layout, path: Path, end: int | None = None) -> _Observations:
    """The observation rows (up to byte ``end``, else the end of the file), without the
    blank padding of the last 80-byte record. Padding is less than one record (TS-140):
    the rows that end before the last record's first byte are observations even when all
    blank; only all-blank rows after them can be padding."""
    width, data = layout.row_length, data[layout.obs_start:end]
    nrows = len(data) // width if width else 0
    tail = data[nrows * width:]
    if np.any((tail != 0x20) & (tail != 0)):
        if end is None:
            _refuse_several_members(np.memmap(path, dtype=np.uint8, mode="r"), path)
        raise InputError(f"truncated SAS transport file: the last observation is cut short "
                         f"({len(tail)} of {width} bytes)", file=path)
    rows = data[:nrows * width].reshape(nrows, width)
    sure = min(nrows, (len(data) - RECORD) // width + 1) if len(data) >= RECORD else 0
    return _Observations(data, sure + _rows_before_blank_tail(rows[sure:]), width)


MEMBER_HEADER = b"HEADER RECORD*******MEMBER  HEADER RECORD!!!!!!!"
DSCRPTR_HEADER = b"HEADER RECORD*******DSCRPTR HEADER RECORD!!!!!!!"


def _is_member_header(data: np.ndarray, at: int) -> bool:
    return bytes(data[at:at + 48]) == MEMBER_HEADER and bytes(data[at + RECORD:at + RECORD + 48]) == DSCRPTR_HEADER


def _member_offsets(data: np.ndarray) -> list[int]:
    """Byte offsets of every member's MEMBER header record (80-byte aligned, followed by
    its DSCRPTR header record). Reads the whole file: used only for several members."""
    n = len(data) // RECORD
    records = data[:n * RECORD].reshape(n, RECORD)
    candidates = np.flatnonzero((records[:, 0] == 0x48) & (records[:, 20] == 0x4D) & (records[:, 27] == 0x20))
    return [int(k) * RECORD for k in candidates if _is_member_header(data, int(k) * RECORD)]


def xpt_members(path: str | Path) -> list[str]:
    """The member (dataset) names of a transport file, in file order."""
    path = Path(path)
    _check_xpt_file(path)
    data = np.memmap(path, dtype=np.uint8, mode="r")
    return [_raw_name(_parse_layout(data, path, at).name) for at in _member_offsets(data)]


def _refuse_several_members(data: np.ndarray, path: Path) -> None:
    """An :class:`InputError` naming the members when the file holds more than one."""
    offsets = _member_offsets(data)
    if len(offsets) > 1:
        names = [_raw_name(_parse_layout(data, path, at).name) for at in offsets]
        raise InputError(f"holds {len(names)} members ({', '.join(names)}); a dataset is one member: "
                         "choose one (adam convert --member NAME)", file=path)


def _member_layout(data: np.ndarray, path: Path, member: str) -> tuple[_Layout, int | None]:
    """The layout of the member named ``member`` (any case) and the byte its observations
    end at (the next member's header, else the end of the file)."""
    offsets = _member_offsets(data)
    layouts = [_parse_layout(data, path, at) for at in offsets]
    names = [_raw_name(layout.name) for layout in layouts]
    for k, name in enumerate(names):
        if name.upper() == member.strip().upper():
            return layouts[k], offsets[k + 1] if k + 1 < len(offsets) else None
    raise InputError(f"has no member {member!r} (members: {', '.join(names) or 'none'})", file=path)


def _member_guard(data: np.ndarray, layout: _Layout, path: Path):
    """A check of each block of observation rows: a MEMBER header record at an 80-byte
    boundary inside the rows means the file holds another member (refused, naming them)."""
    width = layout.row_length

    def guard(start: int, size: int, block: np.ndarray) -> None:
        first = (-(layout.obs_start + start * width)) % RECORD
        heads = np.flatnonzero(block[first:size * width:RECORD] == 0x48)   # 'H'
        for k in heads:
            if _is_member_header(data, layout.obs_start + start * width + first + int(k) * RECORD):
                _refuse_several_members(data, path)
    return guard


def _rows_before_blank_tail(rows: np.ndarray, block: int = 4096) -> int:
    """Number of rows up to the last one that is not all blanks (SAS pads the last
    80-byte record with blanks, which can read as blank pseudo-rows)."""
    end = len(rows)
    while end > 0:
        begin = max(0, end - block)
        filled = np.flatnonzero((rows[begin:end] != 0x20).any(axis=1))
        if filled.size:
            return begin + int(filled[-1]) + 1
        end = begin
    return 0


class _TextCodes:
    """A text field read a block of rows at a time: each row's code into the field's
    distinct values (numbered in order of first appearance) and each distinct value's
    words (words x values). Codes are exact: each 8-byte word is coded by a hash table
    kept across blocks, then the word codes are paired up the same way; only the first
    row of each run of equal consecutive rows is looked up (sorted SDTM repeats
    STUDYID, USUBJID ... over long runs)."""

    def __init__(self, nwords: int, nrows: int):
        self.words = [_STREAM_CODER() for _ in range(nwords)]
        self.pairs = [_STREAM_CODER() for _ in range(nwords - 1)]
        self.codes = np.empty(nrows, dtype=np.int32 if nrows < 2 ** 31 else np.int64)
        self._distinct: list[np.ndarray] = []

    def add(self, start: int, words: np.ndarray) -> None:
        """Code the rows ``start..`` given as word-major ``words`` (words x rows)."""
        heads = _run_heads(words)
        at = words[:, heads]
        final = self.pairs[-1] if self.pairs else self.words[0]
        known = final.count
        code = self.words[0].codes(at[0])
        for word, pair, row in zip(self.words[1:], self.pairs, at[1:]):
            code = pair.codes((code.astype(np.uint64) << np.uint64(32)) | word.codes(row).astype(np.uint64))
        new = np.flatnonzero(code >= known)
        if len(new):        # codes are handed out in order: the first row of each new one
            self._distinct.append(at[:, new[np.unique(code[new], return_index=True)[1]]])
        size = words.shape[1]
        rows = self.codes[start:start + size]
        rows[:] = code if len(heads) == size else np.repeat(code, np.diff(heads, append=size))

    @property
    def distinct(self) -> np.ndarray:
        """The distinct values' words, values x words, in code order."""
        if not self._distinct:
            return np.zeros((0, len(self.words)), dtype=np.uint64)
        return np.concatenate(self._distinct, axis=1).T


class _StreamCodes:
    """Codes of uint64 keys given a block at a time, numbered in order of first
    appearance over all blocks: a pandas hash table kept between blocks (``pd.factorize``
    of each block would renumber; one call on everything would need it all at once).
    pandas' hash table is not public API: where it is missing or fails the check at
    import, :class:`_SortedStreamCodes` (public numpy/pandas only) gives the same codes
    (``STREAM_CODES`` says which is in use and why)."""

    def __init__(self):
        self._table = _hashtable.UInt64HashTable(1024)
        self.count = 0

    def codes(self, keys: np.ndarray) -> np.ndarray:
        added = _hashtable.UInt64Vector()
        codes = self._table.get_labels(np.ascontiguousarray(keys, dtype=np.uint64), added, self.count, -1)
        self.count += len(added)
        return codes


class _SortedStreamCodes:
    """:class:`_StreamCodes` with public API only: each block is factorized
    (``pd.factorize``, codes in order of first appearance within the block), its distinct
    keys are looked up by binary search in the keys seen before, and those not found get
    the next codes in the order they appear. The keys seen are kept as sorted runs that
    merge when one grows as large as the one before (at most log2(n) runs, each key
    merged log2(n) times), so a block costs about its distinct keys x log(n)."""

    def __init__(self):
        self._runs: list[tuple[np.ndarray, np.ndarray]] = []   # (sorted keys, their codes)
        self.count = 0

    def codes(self, keys: np.ndarray) -> np.ndarray:
        local, distinct = pd.factorize(np.ascontiguousarray(keys, dtype=np.uint64))
        distinct = np.asarray(distinct, dtype=np.uint64)
        found = np.full(len(distinct), -1, dtype=np.int64)
        for run_keys, run_codes in self._runs:
            at = np.minimum(np.searchsorted(run_keys, distinct), len(run_keys) - 1)
            hit = run_keys[at] == distinct
            found[hit] = run_codes[at[hit]]
        new = np.flatnonzero(found < 0)
        found[new] = self.count + np.arange(len(new))
        self.count += len(new)
        if len(new):
            self._add(distinct[new], found[new])
        return found[local]

    def _add(self, keys: np.ndarray, codes: np.ndarray) -> None:
        order = np.argsort(keys, kind="stable")
        self._runs.append((keys[order], codes[order]))
        while len(self._runs) > 1 and len(self._runs[-2][0]) <= len(self._runs[-1][0]):
            (k1, c1), (k2, c2) = self._runs.pop(-2), self._runs.pop()
            keys, codes = np.concatenate((k1, k2)), np.concatenate((c1, c2))
            order = np.argsort(keys, kind="stable")      # two sorted runs: merged in O(n)
            self._runs.append((keys[order], codes[order]))


def _choose_stream_codes() -> tuple[type, str]:
    """pandas' uint64 hash table where it is there and codes a known example as
    :class:`_SortedStreamCodes` does, else the public-API coder; with the reason for the
    choice. (2M rows in blocks of 32,768: 3.0 s against 11-12 s for the fallback with
    mostly distinct keys, 3.1 s against 1.4-1.6 s for subject-sorted keys.)"""
    if _hashtable is None:
        return _SortedStreamCodes, "pandas._libs.hashtable cannot be imported"
    try:
        fast, public = _StreamCodes(), _SortedStreamCodes()
        for block in ([7, 2**64 - 1, 7, 0], [0, 3, 2**64 - 1, 3, 9]):
            keys = np.array(block, dtype=np.uint64)
            if not np.array_equal(fast.codes(keys), public.codes(keys)) or fast.count != public.count:
                return _SortedStreamCodes, "pandas' uint64 hash table gave other codes than the public-API coder"
    except Exception as exc:     # private API: moved, renamed or changed signature
        return _SortedStreamCodes, f"pandas' uint64 hash table is not usable ({type(exc).__name__}: {exc})"
    return _StreamCodes, f"pandas {pd.__version__} uint64 hash table (pandas._libs.hashtable)"


_STREAM_CODER, STREAM_CODES = _choose_stream_codes()


def _extract_fields(obs: _Observations, fields: list[_Field], blocks, guard=None) -> list:
    """Every field out of the observation rows, a block of rows at a time so each block
    is read from memory once. Each 8-byte word of a field is read as one strided uint64
    column of the block (bytes past the field are masked off). Numeric fields become
    float64 values, text fields :class:`_TextCodes`."""
    out, scratch = [], {}
    for i, f in enumerate(fields):
        if not f.is_char:
            out.append(np.empty(obs.nrows, dtype=np.float64))
        elif f.length:
            nwords = -(-f.length // 8)
            out.append(_TextCodes(nwords, obs.nrows))
            scratch[i] = np.empty((nwords, min(obs.nrows, BLOCK_ROWS)), np.uint64)
        else:
            out.append(None)
    for start, size, block in blocks:
        if guard is not None:
            guard(start, size, block)
        for i, f in enumerate(fields):
            if not f.is_char:
                word = _strided_words(block, size, obs.width, f.position, ">u8")
                out[i][start:start + size] = ibm_to_ieee(_keep_leading_bytes(word, f.length))
            elif f.length:
                out[i].add(start, _field_words(block, size, obs.width, f, scratch[i][:, :size]))
    return out


def _field_words(block: np.ndarray, size: int, width: int, field: _Field, words: np.ndarray) -> np.ndarray:
    """One text field of a block as words x rows little-endian uint64, zero past the
    field's length (``words`` is the scratch buffer to read into)."""
    for j, row in enumerate(words):
        row[:] = _strided_words(block, size, width, field.position + 8 * j, "<u8")
    tail = field.length - 8 * (len(words) - 1)
    if tail < 8:
        words[-1] &= np.uint64((1 << 8 * tail) - 1)
    return words


def _strided_words(block: np.ndarray, size: int, width: int, offset: int, dtype: str) -> np.ndarray:
    """The 8 bytes at ``offset`` of each of ``size`` rows as a (strided) uint64 view."""
    return np.ndarray((size,), dtype=dtype, buffer=block, offset=offset, strides=(width,))


def _keep_leading_bytes(word: np.ndarray, length: int) -> np.ndarray:
    """Big-endian words -> native uint64 keeping ``length`` leading bytes (a SAS
    numeric shorter than 8 bytes is the leading bytes of the IBM float)."""
    native = word.astype(np.uint64)
    if length < 8:
        native &= np.uint64(~((1 << 8 * (8 - length)) - 1) & (2 ** 64 - 1))
    return native


def _run_heads(words: np.ndarray) -> np.ndarray:
    """Rows (columns of the word-major block) that differ from the row before; the
    first row always."""
    changed = np.empty(words.shape[1], dtype=bool)
    changed[:1] = True
    np.not_equal(words[0, 1:], words[0, :-1], out=changed[1:])
    for row in words[1:]:
        changed[1:] |= row[1:] != row[:-1]
    return np.flatnonzero(changed)


def ibm_to_ieee(words: np.ndarray) -> np.ndarray:
    """IBM hexadecimal floats (uint64 words) -> IEEE doubles, bit for bit as TS-140's
    ``xpt2ieee`` (the fraction is truncated to 53 bits). A zero fraction with a non-zero
    first byte is a missing value (``.``, ``.A``-``.Z``, ``._``) -> NaN. The largest IBM
    numbers (``0x7FFFFFFFFFFFFFFF`` and its negative, which SAS writes for values beyond the
    IBM range) are the finite values they are, +-7.237e75, as SAS reads them (ReadStat
    reads them as infinity)."""
    words = np.asarray(words, dtype=np.uint64)
    fraction = words & np.uint64(FRACTION_BITS)
    shift = _LEADING_DIGIT_SHIFT[fraction >> np.uint64(52)]
    exponent = ((words >> np.uint64(56)) & np.uint64(0x7F)) * np.uint64(4) + np.uint64(1023 - 260) + shift
    bits = (words & np.uint64(SIGN_BIT)) | (exponent << np.uint64(52)) \
        | ((fraction >> shift) & np.uint64(MANTISSA_BITS))
    values = bits.view(np.float64)
    zero_fraction = fraction == 0
    if zero_fraction.any():
        values[zero_fraction] = np.where(words[zero_fraction] == 0, 0.0, np.nan)
    return values


@dataclass
class _Distinct:
    """The distinct values of a text field: the raw ``values`` with trailing blanks and NULs
    removed, which hold a NUL (``with_nul``: the text ends there, as a C string), which
    are ``blank``, and which may still end in whitespace other than a blank once decoded
    (``needs_rstrip``)."""

    values: list[bytes]
    with_nul: np.ndarray
    blank: np.ndarray
    needs_rstrip: np.ndarray


def _distinct_values(field: _TextCodes, length: int) -> _Distinct:
    """The distinct values of a text field of ``length`` bytes, from their words."""
    distinct = np.ascontiguousarray(field.distinct, dtype="<u8").view(np.uint8)[:, :length]  # values x bytes
    filled = (distinct != 0x20) & (distinct != 0)   # ReadStat strips trailing blanks and NULs
    blank = ~filled.any(axis=1)
    end = np.where(blank, 0, length - np.argmax(filled[:, ::-1], axis=1))  # (before decoding)
    kept = np.arange(length) < end[:, None]
    with_nul = ((distinct == 0) & kept).any(axis=1)
    values = np.where(kept, distinct, 0).view(f"S{length}").ravel().tolist()  # drops NUL tails
    for k in np.flatnonzero(with_nul):
        values[k] = distinct[k, :end[k]].tobytes()
    last = distinct[np.arange(len(values)), np.maximum(end - 1, 0)]
    other_space = ((last >= 0x09) & (last <= 0x0D)) | ((last >= 0x1C) & (last <= 0x1F)) | (last >= 0x80)
    return _Distinct(values, with_nul, blank, ~blank & (other_space | with_nul))


def _decode(distinct: _Distinct, encoding: str, length: int, field: int = 0) -> tuple[tuple[list[str], bool], int]:
    """Decode the distinct values of a field of ``length`` bytes at once (joined by NULs);
    a value holding a NUL ends there, as a C string (the bytes after it are not text and
    are not decoded).
    ``((texts, whole), cut)``: whether every value was decoded whole (then distinct values
    give distinct texts: UTF-8 and cp1252 decoding is one to one), not cut at a NUL or an
    incomplete character, and how many values lost a character cut at the field's end.
    A :class:`_BadText` for a value that is not text in ``encoding``."""
    values = distinct.values
    special = np.flatnonzero(distinct.with_nul)
    plain = list(values)
    for k in special:
        plain[k] = b""
    if not plain:
        return ([], True), 0
    cut = 0
    try:
        texts = b"\0".join(plain).decode(encoding).split("\0")
    except UnicodeDecodeError:
        texts = []
        for k, v in enumerate(plain):
            text, n = _decode_value(v, encoding, length, ("value", field, k))
            texts.append(text)
            cut += n
    for k in special:
        texts[k], n = _decode_value(values[k].split(b"\0", 1)[0], encoding, length, ("value", field, int(k)))
        cut += n
    return (texts, not len(special) and not cut), cut


def _decode_value(raw: bytes, encoding: str, length: int, where: tuple) -> tuple[str, int]:
    """``(text, cut)``: ``raw`` decoded; in UTF-8, a multi-byte character cut by the end of
    the field (``raw`` fills all ``length`` bytes: SAS cut the text at the variable's
    length) is dropped, as SAS and ReadStat's iconv do (``cut`` 1). Any other invalid byte
    is a :class:`_BadText`."""
    try:
        return raw.decode(encoding), 0
    except UnicodeDecodeError as exc:
        if (encoding == "utf-8" and len(raw) == length and exc.end == len(raw)
                and exc.reason == "unexpected end of data"):
            return raw[:exc.start].decode(encoding), 1
        raise _BadText(where, exc) from None


def _header_text(raw: bytes, encoding: str, where: tuple) -> tuple[str, int]:
    """A header text (name, label) of a fixed-width field: trailing blanks removed, ends
    at a NUL; with the count of characters cut at the field's end (0 or 1)."""
    return _decode_value(raw.rstrip(TEXT_PADDING).split(b"\0", 1)[0], encoding, len(raw), where)


def _text(raw: bytes, encoding: str) -> str:
    """A header text in ``encoding`` (see :func:`_header_text`)."""
    return _header_text(raw, encoding, ("name",))[0]


@dataclass
class _TextTable:
    """The decoded distinct values of a text field as an object array (trailing
    whitespace removed, blank -> NaN), and whether its texts are known to be distinct
    (``unique``: then only the blank value, if any, needs merging)."""

    values: np.ndarray
    unique: bool


def _text_table(distinct: _Distinct, decoded: tuple[list[str], bool]) -> _TextTable:
    texts, whole = decoded
    table = np.array(texts, dtype=object)
    blank = distinct.blank.copy()
    stripped = np.flatnonzero(distinct.needs_rstrip)
    for k in stripped:
        table[k] = table[k].rstrip()
        blank[k] = not table[k]
    table[blank] = np.nan
    return _TextTable(table, unique=whole and not len(stripped))


def _text_column(field: _TextCodes, table: _TextTable, coded: bool):
    """The column of a text field: an object array, or (``coded``) a categorical whose
    categories are the distinct values (values equal once decoded and stripped merged)
    and whose codes come from the file's, without a string per row."""
    if not coded:
        return table.values.take(field.codes)
    codes, categories = _categories(table)
    per_value = categorical_of(codes, categories)
    return pd.Categorical.from_codes(per_value.codes.take(field.codes), dtype=per_value.dtype, validate=False)


def _categories(table: _TextTable) -> tuple[np.ndarray, np.ndarray]:
    """``pd.factorize(table.values)`` (NaN -> -1); without hashing a text when the
    table's texts are known to be distinct (at most one is blank)."""
    if not table.unique:
        return pd.factorize(table.values)
    blank = pd.isna(table.values)
    codes = np.arange(len(blank), dtype=np.int64)
    if blank.any():
        codes = np.cumsum(~blank) - 1
        codes[blank] = -1
        return codes, table.values[~blank]
    return codes, table.values


def _check_date_range(values: np.ndarray, var: Variable, path: Path) -> None:
    """An :class:`InputError` for a SAS date / datetime that :func:`_offset` cannot turn into
    ``datetime64[ns]`` (it would read as missing, with a numpy warning)."""
    if var.kind not in ("date", "datetime"):
        return
    per = 86400e9 if var.kind == "date" else 1e9                 # ns per SAS unit
    low, high = _NS_RANGE[0] / per, _NS_RANGE[1] / per
    outside = (values < low) | (values > high)
    if outside.any():
        r = int(np.flatnonzero(outside)[0])
        first, last = (str(v)[:10] for v in _offset(np.array(_NS_RANGE) / 1e9, 1))
        year = 1960 + values[r] * (per / 86400e9) / 365.2425
        year = f"{year:.0f}" if abs(year) < 1e6 else f"{year:.3g}"     # 2289; 1e+297
        raise InputError(f"SAS {var.kind} value {values[r]:g} (about year "
                         f"{year}) is outside the dates "
                         f"this tool holds ({first} to {last})", file=path, record=r + 1,
                         variable=var.name)


#: ns from 1960-01-01 that :func:`_offset` converts: an int64 once added to the epoch
#: (from 1970) at the low end, an int64 itself at the high end; one second kept spare
_NS_RANGE = (float(-(2 ** 63) - int(SAS_EPOCH.astype("int64")) + 10 ** 9), float(2 ** 63 - 10 ** 9))


def _from_sas_values(values: np.ndarray, kind: str | None) -> np.ndarray:
    if kind == "date":
        return _offset(values, 86400)
    if kind == "datetime":
        return _offset(values, 1)
    return values


def read_xpt_pyreadstat(path: str | Path, encoding: str | None = None) -> Dataset:
    """Reference reader (pyreadstat): the same Dataset as :func:`read_xpt`, slower.
    Kept to cross-check the numpy reader. Text is read in ``encoding`` (UTF-8 through
    ReadStat's iconv, which drops a multi-byte character cut at a value's end); without
    it, as strict UTF-8 (pyreadstat decoding each text in Python, failing on any invalid
    byte), else cp1252. Where ReadStat changes data (module docstring) the result is
    corrected: +-infinity is the largest IBM number it was read from, and the all-blank
    observations before the last record's padding that ReadStat drops are restored."""
    import pyreadstat

    path = Path(path)
    _check_xpt_file(path)
    last_error = None
    for encoding in ([encoding] if encoding else [None, "cp1252"]):
        try:
            frame, meta = pyreadstat.read_xport(str(path), encoding=encoding,
                                                disable_datetime_conversion=True)
            encoding = encoding or "utf-8"
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
    frame = _restore_blank_rows(frame, meta, path)
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
            values = frame[name].astype("float64")
            values = values.where(~np.isinf(values), np.sign(values) * _LARGEST_IBM)
            frame[name] = _from_sas_number(values, var.kind)
    name = (meta.table_name or path.stem).upper()
    ds = Dataset(name, frame, meta.file_label or "", variables)
    ds.encoding = encoding
    return ds


#: the IEEE value of the largest IBM number 0x7FFFFFFFFFFFFFFF (read as TS-140 reads it)
_LARGEST_IBM = float(ibm_to_ieee(np.array([0x7FFFFFFFFFFFFFFF], dtype=np.uint64))[0])


def _restore_blank_rows(frame: pd.DataFrame, meta, path: Path) -> pd.DataFrame:
    """``frame`` with the trailing all-blank observations ReadStat drops and the TS-140
    padding rule keeps (those ending before the last 80-byte record) appended as missing."""
    data = np.memmap(path, dtype=np.uint8, mode="r")
    layout = _parse_layout(data, path)
    width, total = layout.row_length, len(data) - layout.obs_start
    if not width or total < RECORD:
        return frame
    sure = min(total // width, (total - RECORD) // width + 1)
    if sure <= len(frame):
        return frame
    blank = {}      # an all-blank row: text missing, a number the IBM value of its blank bytes
    for column, f in zip(frame.columns, layout.fields):
        if not f.is_char:
            word = np.array([int.from_bytes(b" " * f.length + b"\0" * (8 - f.length), "big")], dtype=np.uint64)
            blank[column] = float(ibm_to_ieee(word)[0])
    extra = pd.DataFrame({c: [blank.get(c, np.nan)] * (sure - len(frame)) for c in frame.columns},
                         index=pd.RangeIndex(len(frame), sure))
    return pd.concat([frame, extra.astype(frame.dtypes.to_dict())]) if len(frame) else extra


def _reason(exc) -> str:
    text = str(exc).strip().splitlines()[0] if exc is not None and str(exc).strip() else type(exc).__name__
    return text[:160]


def check_xpt_structure(path: str | Path) -> None:
    """Raise the :class:`InputError` :func:`read_xpt` would raise for a file that is not a
    whole SAS v5 transport file (headers, variable descriptors, last observation), without
    reading its values."""
    path = Path(path)
    _check_xpt_file(path)
    data = np.memmap(path, dtype=np.uint8, mode="r")
    _observation_rows(data, _parse_layout(data, path), path)


#: the first 48 bytes of transport files that are not v5 (named in the message)
_OTHER_TRANSPORT = {b"HEADER RECORD*******LIBV8   HEADER RECORD!!!!!!!": "SAS V8/V9 transport (XPT v8)"}


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
        other = _OTHER_TRANSPORT.get(head[:48]) or ("CPORT" if b"**COMPRESSED**" in head else None)
        if other:
            raise InputError(f"SAS V8 transport (or CPORT) is not supported: this is a {other} file; "
                             "write it as XPT v5 (SAS: LIBNAME XPORT or the %loc2xpt macro with "
                             "FORMAT=V5)", file=path)
        raise InputError("not a SAS transport (XPT v5) file: missing library header", file=path)
    if not head[48:78].isdigit():
        raise InputError(f"not a readable SAS transport file (library header record: {head[48:78]!r} where "
                         "digits are due)", file=path)
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
    """SAS days (``seconds_per_unit`` 86400) or seconds (1) -> datetime64[ns], NaN -> NaT:
    the whole units and the fraction converted apart, so a value on the nanosecond grid
    (21000.5 days, 1.5e9 + 0.25 s) is exact, any other within half a nanosecond."""
    values = np.asarray(values, dtype="float64")
    out = np.full(values.shape, np.datetime64("NaT"), dtype="datetime64[ns]")
    ok = np.isfinite(values)
    v = values[ok]
    whole = np.floor(v)
    per = seconds_per_unit * 10 ** 9
    ns = whole.astype("int64") * np.int64(per) + np.round((v - whole) * per).astype("int64")
    out[ok] = SAS_EPOCH + ns.astype("timedelta64[ns]")
    return out


# --------------------------------------------------------------------------- writing
def write_xpt(ds: Dataset, path: str | Path, inputs=(), encoding: str = "ascii") -> Path:
    """Write ``ds`` as a SAS v5 transport file, atomically. ``encoding`` other than
    ASCII (e.g. ``cp1252``) is an explicit opt-out of the v5 ASCII rule."""
    return write_prepared(prepare_xpt(ds, encoding), path, inputs)


class PreparedXpt:
    """A dataset that passed the v5 rules, encoded and ready to write. It keeps the
    encoded columns, the name, label and row count, not the dataset's frame (which can
    be freed while the file is written)."""

    def __init__(self, ds: Dataset, columns, encoding: str = "ascii"):
        self.name, self.label, self.nrows = ds.name, ds.label, len(ds.frame)
        self.columns, self.encoding = columns, encoding


def prepare_xpt(ds: Dataset, encoding: str = "ascii") -> PreparedXpt:
    """Check every v5 rule (an :class:`XptRuleError` for the first broken) and encode."""
    return PreparedXpt(ds, _encode_columns(ds, encoding), encoding)


def write_prepared(prepared: PreparedXpt, path: str | Path, inputs=(), together=None) -> Path:
    """Write ``prepared`` to ``path`` atomically; with ``together`` (an
    :class:`~adam.io.atomic.AllOrNone`), to its temporary file for ``path``, which lands
    with the others of ``together``."""
    with contextlib.ExitStack() as stack:
        tmp = together.path(path) if together is not None else stack.enter_context(atomic_path(path, inputs))
        write_prepared_to(prepared, tmp)
    return Path(path)


def write_prepared_to(prepared: PreparedXpt, tmp: str | Path) -> None:
    """Write ``prepared`` into the temporary file ``tmp`` (from ``AllOrNone.path`` or
    ``atomic_path``, which land it: possibly in another process, e.g. a forked child)."""
    with DirectWriter(tmp) as fh:
        fh.write(_headers(prepared.name, prepared.label, prepared.columns, getattr(prepared, "encoding", "ascii")))
        _write_observations(fh, prepared.columns, prepared.nrows)


def validate_xpt_rules(ds: Dataset, encoding: str = "ascii") -> None:
    """Raise :class:`XptRuleError` for the first v5 rule ``ds`` breaks."""
    prepare_xpt(ds, encoding)


def _fail(ds: Dataset, message: str, variable: str | None = None, record: int | None = None):
    raise XptRuleError(message, file=f"dataset {ds.name}", variable=variable, record=record)


def _ascii_or_fail(ds: Dataset, text: str, what: str, variable: str | None = None,
                   encoding: str = "ascii") -> bytes:
    """``text`` (a label) as bytes: ASCII, or in an explicitly given ``encoding``, within 40
    bytes and without NUL (which ends a text in a transport file)."""
    if "\0" in text:
        _fail(ds, f"{what} {text!r} holds a NUL character (it would end the text there)", variable)
    try:
        raw = text.encode(encoding)
    except UnicodeEncodeError:
        _fail(ds, f"{what} {text!r} is not ASCII" if encoding == "ascii"
              else f"{what} {text!r} cannot be encoded as {encoding}", variable)
    if len(raw) > 40:
        _fail(ds, f"{what} is {len(raw)} bytes in {encoding} (> 40): {text!r}", variable)
    return raw


def _encode_columns(ds: Dataset, encoding: str) -> list[tuple[Variable, np.ndarray, int]]:
    if not NAME_RE.match(ds.name):
        _fail(ds, f"dataset name {ds.name!r} breaks the v5 rule (<= 8 letters, digits, underscore)")
    if len(ds.label) > 40:
        _fail(ds, f"dataset label is {len(ds.label)} characters (> 40): {ds.label!r}")
    _ascii_or_fail(ds, ds.label, "dataset label", encoding=encoding)
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
        _ascii_or_fail(ds, var.label or "", "label", var.name, encoding)
        if var.format and len(_split_format(var.format)[0]) > 8:
            _fail(ds, f"format name {var.format!r} is longer than 8 characters", var.name)
        series = ds.frame[var.name]
        if var.type == CHAR:
            columns.append(_encode_char(ds, var, series, encoding))
        else:
            columns.append(_encode_num(ds, var, series))
    return columns


class _CodedText:
    """A text column as blank-padded distinct values and one code per row; sliced, it
    gives the rows' bytes, so a file is encoded a block of rows at a time."""

    def __init__(self, table: np.ndarray, codes: np.ndarray):
        self.table, self.codes = table, codes

    def __getitem__(self, rows: slice) -> np.ndarray:
        return self.table.take(self.codes[rows])


def _factorized(series: pd.Series) -> tuple[np.ndarray, list]:
    """Codes (-1 missing) and distinct values; a categorical column is not re-hashed."""
    if isinstance(series.dtype, pd.CategoricalDtype):
        return _used_categories(series.cat.codes.to_numpy(), series.cat.categories)
    codes, uniques = factorize_text(series.to_numpy(dtype=object))
    return codes, list(uniques)


def _used_categories(codes: np.ndarray, categories: pd.Index) -> tuple[np.ndarray, list]:
    """A categorical's codes and categories without the categories no row uses (a
    longer unused value must not widen the variable); one pass, no sort."""
    used = used_codes(codes, len(categories))
    if used.all():
        return codes, list(categories)
    renumber = np.append(np.cumsum(used) - 1, -1)
    return renumber[codes], list(categories[used])


def _encode_char(ds: Dataset, var: Variable, series: pd.Series, encoding: str):
    codes, uniques = _factorized(series)  # encode each distinct value once
    texts = [v if isinstance(v, str) else _num_text(v) for v in uniques]
    raw = []
    for text in texts:
        if "\0" in text:
            row = int(np.flatnonzero(codes == len(raw))[0])
            _fail(ds, f"value {text!r} holds a NUL character, which ends a text in a SAS transport "
                      "file (it would read back cut there)", var.name, row + 1)
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
    # blank-padded distinct values, plus one all-blank value for missing (code -1: the last)
    table = np.array([b.ljust(length, b" ") for b in raw] + [b" " * length], dtype=f"S{length}")
    codes = codes.astype(np.min_scalar_type(-len(table)), copy=False)   # int8 for a few values
    return var, _CodedText(table, codes), length


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
        values = _sas_time(series.to_numpy(dtype="datetime64[ns]"), 1 if var.kind == "datetime" else 86400)
    else:
        try:
            values = pd.to_numeric(series, errors="raise").to_numpy(dtype="float64", na_value=np.nan)
        except (ValueError, TypeError):
            bad = pd.to_numeric(series, errors="coerce").isna() & series.notna()
            row = int(np.flatnonzero(bad.to_numpy())[0])
            _fail(ds, f"numeric variable holds a non-numeric value {series.iloc[row]!r}",
                  var.name, row + 1)
    too_large = _first_too_large(values)
    if too_large is not None:
        kind = "infinite: a SAS number cannot hold it" if np.isinf(values[too_large]) else \
            "too large for a SAS transport number"
        _fail(ds, f"value {float(values[too_large])!r} is {kind}", var.name,
              too_large + 1)
    return var, _IbmNumbers(values, length), length


#: the least magnitude an IBM float cannot hold (16 ** 63)
IBM_OVERFLOW = 16.0 ** 63


def _first_too_large(values: np.ndarray) -> int | None:
    """Row of the first value outside the IBM range (infinity included: a SAS number
    cannot hold it, and writing it as missing would change the data), or None; two
    reductions when none is (no column-sized temporaries)."""
    if not len(values) or (np.fmax.reduce(values) < IBM_OVERFLOW and np.fmin.reduce(values) > -IBM_OVERFLOW):
        return None
    bad = np.flatnonzero(np.abs(values) >= IBM_OVERFLOW)
    return int(bad[0]) if len(bad) else None


class _IbmNumbers:
    """A numeric column, converted to IBM floats (``length`` leading bytes) a block of
    rows at a time as the file is written: no encoded copy of the whole column."""

    def __init__(self, values: np.ndarray, length: int):
        self.values, self.length = values, length

    def __getitem__(self, rows: slice) -> np.ndarray:
        raw = ieee_to_ibm(self.values[rows]).view("S8")
        return raw.astype(f"S{self.length}") if self.length < 8 else raw


def _sas_time(ns: np.ndarray, seconds_per_unit: int, block: int = 1 << 15) -> np.ndarray:
    """datetime64[ns] -> SAS days (``seconds_per_unit`` 86400) or seconds (1) since
    1960-01-01, NaT -> NaN; a block at a time (no full-size temporaries)."""
    out = np.empty(len(ns), dtype="float64")
    epoch, per = SAS_EPOCH.astype("int64"), np.int64(seconds_per_unit * 10 ** 9)
    with np.errstate(over="ignore"):         # NaT's integer wraps; it is masked below
        for lo in range(0, len(ns), block):
            part = ns[lo:lo + block]
            since = part.view("int64") - epoch
            whole = since // per                 # whole units and the rest apart: exact
            value = whole.astype("float64") + (since - whole * per) / float(per)
            out[lo:lo + block] = np.where(np.isnat(part), np.nan, value)
    return out


def ieee_to_ibm(values: np.ndarray, block: int = 1 << 15) -> np.ndarray | None:
    """IEEE doubles -> IBM hexadecimal floats as big-endian uint64 (missing -> SAS '.').
    Exact for every double (the 56-bit IBM fraction holds the 53-bit mantissa); worked on
    the IEEE bits with integer operations, ``block`` values at a time (cache-sized
    temporaries, not a dozen copies of a 19-million-row column). Zero, subnormals and
    values below the IBM range give 0. Returns ``None`` when a value overflows the IBM
    range."""
    values = np.ascontiguousarray(values, dtype="float64")
    out = np.empty(len(values), dtype=">u8")
    for lo in range(0, len(values), block):
        word = _ibm_words(values[lo:lo + block])
        if word is None:
            return None
        out[lo:lo + block] = word
    return out


def _ibm_words(values: np.ndarray) -> np.ndarray | None:
    bits = values.view(np.uint64)
    e = ((bits >> np.uint64(52)) & np.uint64(0x7FF)).astype(np.int64)
    exp2 = e - 1022                                   # |x| = mant * 2**exp2, mant in [0.5, 1)
    exp16 = -((-exp2) // 4)                           # ceil(exp2 / 4)
    shift = (4 * exp16 - exp2).astype(np.uint64)      # 0..3
    frac = ((bits & np.uint64((1 << 52) - 1)) | np.uint64(1 << 52)) << (np.uint64(3) - shift)
    biased = exp16 + 64
    normal = (e > 0) & (e < 0x7FF)
    if (normal & (biased > 127)).any():
        return None
    word = (bits & np.uint64(1 << 63)) | (biased.clip(0, 127).astype(np.uint64) << np.uint64(56)) | frac
    word[~normal | (biased < 0)] = 0                  # zero, subnormal, underflow
    word[e == 0x7FF] = np.uint64(0x2E) << np.uint64(56)   # NaN, infinity: SAS missing
    return word


def _split_format(fmt: str) -> tuple[str, int, int]:
    m = re.match(r"^(\$?[A-Za-z_]*?)(\d*)\.(\d*)$", fmt.strip())
    if not m:
        return fmt.strip().rstrip("."), 0, 0
    return m.group(1), int(m.group(2) or 0), int(m.group(3) or 0)


def _pad(text: str, width: int, encoding: str = "ascii") -> bytes:
    return text.encode(encoding)[:width].ljust(width, b" ")


def _record_block(data: bytes) -> bytes:
    rem = len(data) % RECORD
    return data + b" " * (RECORD - rem) if rem else data


def _headers(name: str, label: str, columns, encoding: str = "ascii") -> bytes:
    stamp = datetime.now().strftime("%d%b%y:%H:%M:%S").upper().encode("ascii")
    lib = (LIBRARY_HEADER
           + b"SAS     SAS     SASLIB  9.4     " + _pad("adamant", 8) + b" " * 24 + stamp
           + stamp + b" " * 64)
    member = (b"HEADER RECORD*******MEMBER  HEADER RECORD!!!!!!!000000000000000001600000000140  "
              b"HEADER RECORD*******DSCRPTR HEADER RECORD!!!!!!!000000000000000000000000000000  "
              + b"SAS     " + _pad(name, 8) + b"SASDATA 9.4     " + _pad("adamant", 8)
              + b" " * 24 + stamp
              + stamp + b" " * 16 + _pad(label or "", 40, encoding) + b" " * 8)
    namestr_head = ("HEADER RECORD*******NAMESTR HEADER RECORD!!!!!!!000000"
                    f"{len(columns):04d}" + "0" * 20 + "  ").encode("ascii")
    namestrs, pos = b"", 0
    for number, (var, _, length) in enumerate(columns, start=1):
        fname, fl, fd = _split_format(var.format) if var.format else ("", 0, 0)
        namestrs += struct.pack(
            ">hhhh8s40s8shhh2s8shhi52s",
            1 if var.type == NUM else 2, 0, length, number,
            _pad(var.name, 8), _pad(var.label or "", 40, encoding), _pad(fname, 8), fl, fd,
            0 if var.type == CHAR else 1, b"\0\0", b" " * 8, 0, 0, pos, b"\0" * 52)
        pos += length
    obs_head = b"HEADER RECORD*******OBS     HEADER RECORD!!!!!!!000000000000000000000000000000  "
    return lib + member + namestr_head + _record_block(namestrs) + obs_head


def _write_observations(fh, columns, nrows: int, block: int = 1 << 14) -> None:
    """Write the observations block by block (bounded memory, no whole-file copy), then
    blank-pad the last 80-byte record. Character fields were blank-padded when encoded;
    numeric fields are exact bytes."""
    if nrows == 0:
        return
    dtype = np.dtype([(f"f{i}", f"S{length}") for i, (_, _, length) in enumerate(columns)])
    part = np.empty(min(block, nrows), dtype=dtype)
    for lo in range(0, nrows, block):      # a DirectWriter's thread writes while this fills
        rows = part[: min(block, nrows - lo)]
        for i, (_, raw, _) in enumerate(columns):
            rows[f"f{i}"] = raw[lo:lo + len(rows)]
        fh.write(memoryview(rows).cast("B"))
    rem = (nrows * dtype.itemsize) % RECORD
    if rem:
        fh.write(b" " * (RECORD - rem))