"""Example data shipped with adamant (package data, gzip-compressed).

Each example lives in ``adam/examples/<name>/`` with a README that keeps its attribution.
Files are stored as ``<file>.gz`` to keep the wheel small; :func:`example_folder` gives a
folder of the decompressed files, made once in the user cache and reused while the
shipped files are unchanged (the folder's name carries a digest of them). Nothing is
ever written into the installed package.

The cache is ``$ADAMANT_CACHE`` when set, else ``$XDG_CACHE_HOME/adamant``, else
``~/.cache/adamant``; where none of these can be written, a temporary folder of this
process is used instead.
"""

from __future__ import annotations

import atexit
import gzip
import hashlib
import os
import shutil
import tempfile
from pathlib import Path

from adam.errors import UsageError

EXAMPLES_DIR = Path(__file__).parent


def examples() -> list[str]:
    """Names of the shipped examples (folders with a README)."""
    return sorted(p.name for p in EXAMPLES_DIR.iterdir() if (p / "README.md").is_file())


def example_source(relative: str | Path) -> Path:
    """The shipped (compressed) folder or file ``relative`` to ``adam/examples``."""
    path = (EXAMPLES_DIR / relative).resolve()
    if EXAMPLES_DIR.resolve() not in path.parents or not path.exists():
        raise UsageError(f"no example data {str(relative)!r} (examples: {', '.join(examples())})")
    return path


def example_folder(relative: str | Path) -> Path:
    """A folder holding the files of the shipped folder ``relative`` (e.g.
    ``"cdiscpilot01/sdtm"``), ``.gz`` files decompressed, others copied."""
    source = example_source(relative)
    if not source.is_dir():
        raise UsageError(f"example data {str(relative)!r} is not a folder")
    files = sorted(p for p in source.iterdir() if p.is_file())
    digest = hashlib.sha256()
    for path in files:
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    name = f"{str(relative).strip('/').replace('/', '-')}-{digest.hexdigest()[:16]}"
    for root in _cache_roots():
        target = root / name
        if target.is_dir():
            return target
        try:
            return _materialize(files, target)
        except OSError:
            continue
    raise UsageError(f"cannot decompress example data {str(relative)!r}: no writable cache folder")


def _materialize(files: list[Path], target: Path) -> Path:
    """Decompress ``files`` into a new folder that appears as ``target`` at once (renamed
    from a temporary sibling), so a concurrent or interrupted run never sees half of it."""
    target.parent.mkdir(parents=True, exist_ok=True)
    part = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent))
    try:
        for path in files:
            if path.suffix == ".gz":
                with gzip.open(path, "rb") as src, open(part / path.stem, "wb") as dst:
                    shutil.copyfileobj(src, dst, 1 << 20)
            else:
                shutil.copyfile(path, part / path.name)
        try:
            part.rename(target)
        except OSError:
            if not target.is_dir():   # not another process that got there first
                raise
    finally:
        shutil.rmtree(part, ignore_errors=True)
    return target


def _cache_roots():
    """The user cache, then (only if that fails) a temporary folder of this process."""
    if os.environ.get("ADAMANT_CACHE"):
        yield Path(os.environ["ADAMANT_CACHE"])
    else:
        xdg = os.environ.get("XDG_CACHE_HOME")
        yield Path(xdg) / "adamant" if xdg else Path.home() / ".cache" / "adamant"
    yield _process_temp()


_TEMP: list[Path] = []


def _process_temp() -> Path:
    """A temporary folder of this process, removed at exit (the last resort)."""
    if not _TEMP:
        _TEMP.append(Path(tempfile.mkdtemp(prefix="adamant-examples-")))
        atexit.register(shutil.rmtree, _TEMP[0], True)
    return _TEMP[0]
