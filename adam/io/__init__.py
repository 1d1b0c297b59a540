"""Dataset I/O: SAS XPT v5 and CDISC Dataset-JSON v1.1, chosen by file extension.

``read_dataset`` / ``write_dataset`` for one file, ``read_sdtm`` for a folder. Every
failure is an :class:`~adam.errors.InputError` (or ``XptRuleError`` / ``OutputError`` on
write) naming the file, record and variable; outputs are written atomically.
"""

from __future__ import annotations

from pathlib import Path

from adam.errors import InputError, UsageError
from adam.io.datasetjson import read_dataset_json, write_dataset_json
from adam.io.xpt import prepare_xpt, read_xpt, validate_xpt_rules, write_prepared, write_xpt
from adam.metadata import Dataset

__all__ = ["read_dataset", "write_dataset", "read_sdtm", "read_adam", "validate_xpt_rules",
           "prepare_xpt", "write_prepared"]

_EXTENSIONS = (".xpt", ".json")


def _kind(path: Path) -> str:
    ext = path.suffix.lower()
    if ext not in _EXTENSIONS:
        raise UsageError(f"unknown file type {ext or '(none)'!r}: use .xpt or .json", file=path)
    return ext


def read_dataset(path: str | Path) -> Dataset:
    """Read one ``.xpt`` or ``.json`` (Dataset-JSON) file."""
    path = Path(path)
    if _kind(path) == ".xpt":
        return read_xpt(path)
    return read_dataset_json(path)


def write_dataset(ds: Dataset, path: str | Path, inputs=(), encoding: str = "ascii") -> Path:
    """Write ``ds`` to ``.xpt`` (v5 rules enforced) or ``.json``, atomically, never over
    one of ``inputs``."""
    path = Path(path)
    if _kind(path) == ".xpt":
        return write_xpt(ds, path, inputs=inputs, encoding=encoding)
    return write_dataset_json(ds, path, inputs=inputs)


def read_folder(folder: str | Path, what: str = "SDTM") -> dict[str, Dataset]:
    """Every ``*.xpt`` (else ``*.json``) in ``folder`` keyed by lower-case file stem."""
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
        out.setdefault(f.stem.lower(), read_dataset(f))
    return out


def read_sdtm(folder: str | Path) -> dict[str, Dataset]:
    """All SDTM datasets of a folder, keyed by lower-case domain (``'dm'``, ``'suppdm'``)."""
    return read_folder(folder, "SDTM")


def read_adam(folder: str | Path) -> dict[str, Dataset]:
    """All ADaM datasets of a folder, keyed by lower-case name (``'adsl'``, ``'adtte'``)."""
    return read_folder(folder, "ADaM")
