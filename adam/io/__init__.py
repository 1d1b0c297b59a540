"""Dataset I/O: SAS XPT v5 and CDISC Dataset-JSON v1.1, chosen by file extension.

``read_dataset`` / ``write_dataset`` for one file, ``read_sdtm`` for a folder. Every
failure is an :class:`~adam.errors.InputError` (or ``XptRuleError`` / ``OutputError`` on
write) naming the file, record and variable; outputs are written atomically.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pandas as pd

from adam.errors import InputError, UsageError
from adam.io.datasetjson import read_dataset_json, write_dataset_json
from adam.io.xpt import (check_xpt_structure, prepare_xpt, read_xpt, validate_xpt_rules, write_prepared,
                         write_xpt)
from adam.metadata import Dataset

__all__ = ["read_dataset", "write_dataset", "read_sdtm", "open_sdtm", "DatasetFolder", "dataset_files",
           "read_adam",
           "validate_xpt_rules",
           "prepare_xpt", "write_prepared"]

_EXTENSIONS = (".xpt", ".json")


def _kind(path: Path) -> str:
    ext = path.suffix.lower()
    if ext not in _EXTENSIONS:
        raise UsageError(f"unknown file type {ext or '(none)'!r}: use .xpt or .json", file=path)
    return ext


def read_dataset(path: str | Path, columns=None, member: str | None = None) -> Dataset:
    """Read one ``.xpt`` or ``.json`` (Dataset-JSON) file: every variable, or those of
    ``columns`` it has (an XPT file decodes only those). An XPT file with several members
    is refused naming them unless ``member`` names the one to read; a Dataset-JSON file
    holds one dataset (``member``, when given, must be its name)."""
    path = Path(path)
    if _kind(path) == ".xpt":
        return read_xpt(path, columns=columns, member=member)
    ds = read_dataset_json(path)
    if member is not None and member.strip().upper() != ds.name.upper():
        raise InputError(f"has no member {member!r} (a Dataset-JSON file holds one dataset, {ds.name})",
                         file=path)
    if columns is None:
        return ds
    wanted = {str(c).upper() for c in columns}
    keep = [v for v in ds.variables if v.name.upper() in wanted]
    return replace(ds, frame=ds.frame[[v.name for v in keep]], variables=keep)


def write_dataset(ds: Dataset, path: str | Path, inputs=(), encoding: str = "ascii") -> Path:
    """Write ``ds`` to ``.xpt`` (v5 rules enforced) or ``.json``, atomically, never over
    one of ``inputs``."""
    path = Path(path)
    if _kind(path) == ".xpt":
        return write_xpt(ds, path, inputs=inputs, encoding=encoding)
    return write_dataset_json(ds, path, inputs=inputs)


def read_folder(folder: str | Path, what: str = "SDTM", columns=None) -> dict[str, Dataset]:
    """Every ``*.xpt`` (else ``*.json``) in ``folder`` keyed by lower-case file stem
    (with only the variables of ``columns`` each has, when given)."""
    return {name: read_dataset(path, columns) for name, path in dataset_files(folder, what).items()}


class DatasetFolder(Mapping):
    """The datasets of a folder keyed by lower-case file stem, each read when first used
    (then kept). :meth:`frame` reads only the variables a step asks for, so a program
    that needs 7 of EX's 17 variables never decodes the other 10, and gives text
    variables as categoricals. Every XPT file's
    structure is checked when the folder is opened: a broken file fails at once."""

    def __init__(self, folder: str | Path, what: str = "SDTM"):
        self.files = dataset_files(folder, what)
        for path in self.files.values():
            if path.suffix.lower() == ".xpt":
                check_xpt_structure(path)
        self._whole: dict[str, Dataset] = {}
        self._parts: dict[str, pd.DataFrame] = {}
        self._absent: dict[str, set] = {}
        self._complete: set[str] = set()            # read coded with every variable
        self._plan: list = []                       # see read_ahead
        self._reading: dict[str, tuple] = {}
        self._reader: ThreadPoolExecutor | None = None
        self.used: dict[str, None] = {}   # the datasets read (any part), in order of first use

    def __getitem__(self, name: str) -> Dataset:
        self.used.setdefault(name)
        if name not in self._whole:
            self._whole[name] = read_dataset(self.files[name])
            self._parts.pop(name, None)
            self._complete.discard(name)
        return self._whole[name]

    def __contains__(self, name) -> bool:   # Mapping's default would read the dataset
        return name in self.files

    def __iter__(self):
        return iter(self.files)

    def __len__(self) -> int:
        return len(self.files)

    def release(self, name: str) -> None:
        """Forget what was read of ``name`` (read again if used again)."""
        self._whole.pop(name, None)
        self._parts.pop(name, None)
        self._absent.pop(name, None)
        self._complete.discard(name)

    def frame(self, name: str, columns=None) -> pd.DataFrame:
        """The records of ``name`` with (at least) those of ``columns`` it has (every
        variable when ``None``). Read from XPT, their text variables are categoricals
        (see ``read_xpt(coded=True)``): a step over millions of records compares small
        integer codes, not strings."""
        self.used.setdefault(name)
        if name in self._whole or self.files[name].suffix.lower() != ".xpt":
            return self[name].frame
        if columns is None or name in self._complete:
            if name not in self._complete:
                self._parts[name] = read_xpt(self.files[name], coded=True).frame
                self._complete.add(name)
            return self._parts[name]
        reading = self._reading.pop(name, None)
        if reading is not None:
            asked, done = reading
            self._add_part(name, asked, done.result().frame)
            self._read_next()                   # the next while the caller works on this one
        part = self._parts.get(name)
        absent = self._absent.get(name, set())
        missing = [c for c in dict.fromkeys(columns)
                   if c not in absent and (part is None or c not in part.columns)]
        if missing:
            self._add_part(name, missing, read_xpt(self.files[name], columns=missing, coded=True).frame)
        return self._parts[name]

    def _add_part(self, name: str, asked, new: pd.DataFrame) -> None:
        self._absent.setdefault(name, set()).update(c for c in asked if c not in new.columns)
        part = self._parts.get(name)
        if part is None:
            self._parts[name] = new
        else:
            for col in new.columns:
                if col not in part.columns:
                    part[col] = new[col].array      # same rows; a categorical stays one

    def read_ahead(self, plan) -> None:
        """Read the parts of ``plan`` (``(name, columns)`` in the order a program uses
        them) one ahead: a background thread reads the first now and each next one when
        :meth:`frame` hands out the one before, so reading overlaps the program's work
        on the previous dataset without holding every file at once. A failed read is
        raised where :meth:`frame` asks for that dataset."""
        self._plan = [(n, list(c)) for n, c in plan
                      if n in self.files and self.files[n].suffix.lower() == ".xpt"]
        self._read_next()

    def _read_next(self) -> None:
        while self._plan:
            name, columns = self._plan.pop(0)
            if name in self._whole or name in self._parts or name in self._reading:
                continue
            if self._reader is None:
                self._reader = ThreadPoolExecutor(max_workers=1, thread_name_prefix="adam-read-ahead")
            self._reading[name] = (columns, self._reader.submit(read_xpt, self.files[name], columns=columns,
                                                                coded=True))
            return


def dataset_files(folder: str | Path, what: str = "SDTM") -> dict[str, Path]:
    """Every ``*.xpt`` (else ``*.json``) file of ``folder`` by lower-case stem; an
    :class:`InputError` for a missing or empty folder."""
    folder = Path(folder)
    if not folder.exists():
        raise InputError(f"{what} folder not found", file=folder)
    if not folder.is_dir():
        raise InputError(f"{what} path is not a folder", file=folder)
    files = sorted(folder.glob("*.xpt")) + sorted(folder.glob("*.XPT"))
    if not files:
        files = sorted(folder.glob("*.json"))
    if not files:
        raise InputError(f"{what} folder has no .xpt or .json datasets", file=folder)
    out = {}
    for f in files:
        out.setdefault(f.stem.lower(), f)
    return out


def read_sdtm(folder: str | Path) -> dict[str, Dataset]:
    """All SDTM datasets of a folder, keyed by lower-case domain (``'dm'``, ``'suppdm'``)."""
    return read_folder(folder, "SDTM")


def open_sdtm(folder: str | Path) -> DatasetFolder:
    """The SDTM datasets of a folder, each read when a program first uses it."""
    return DatasetFolder(folder, "SDTM")


def read_adam(folder: str | Path, variables=None) -> dict[str, Dataset]:
    """All ADaM datasets of a folder, keyed by lower-case name (``'adsl'``, ``'adtte'``):
    every variable, or only those of ``variables`` each has."""
    return read_folder(folder, "ADaM", variables)
