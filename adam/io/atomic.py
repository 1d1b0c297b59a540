"""Atomic outputs: write to a temporary file beside the target, then rename, so an
output is either complete or absent; refuse to write over an input."""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

from adam.errors import OutputError


@contextlib.contextmanager
def atomic_path(path: str | Path, inputs=()):
    """Yield a temporary path in the target's folder; on success rename it to ``path``.

    ``inputs``: paths that must not be overwritten (an :class:`OutputError` otherwise).
    On any exception the temporary file is removed and the target is left untouched.
    """
    path = Path(path)
    guard_output(path, inputs)
    folder = path.parent if str(path.parent) else Path(".")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
        os.close(fd)
    except OSError as exc:
        raise OutputError(f"cannot write here: {exc.strerror or exc}", file=path) from None
    try:
        yield Path(tmp)
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp creates 0600; outputs follow the umask
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def guard_output(path: str | Path, inputs=()) -> None:
    """Raise :class:`OutputError` when ``path`` is one of ``inputs`` (same file)."""
    path = Path(path)
    for src in inputs:
        src = Path(src)
        same = path.resolve() == src.resolve()
        if not same and path.exists() and src.exists():
            with contextlib.suppress(OSError):
                same = os.path.samefile(path, src)
        if same:
            raise OutputError("output would overwrite an input; choose another path", file=path)


def write_text(path: str | Path, text: str, inputs=(), encoding="utf-8") -> Path:
    with atomic_path(path, inputs) as tmp:
        tmp.write_text(text, encoding=encoding)
    return Path(path)


def write_bytes(path: str | Path, data: bytes, inputs=()) -> Path:
    with atomic_path(path, inputs) as tmp:
        tmp.write_bytes(data)
    return Path(path)
