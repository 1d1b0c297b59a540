"""Atomic outputs: write to a temporary file beside the target, then rename, so an
output is either complete or absent; refuse to write over an input.

A temporary file is named ``.<target>.adamant-<pid>-<random>.tmp`` after the process
that writes it. One killed mid-write (``kill -9``, a crash) cannot remove its
temporaries; the next write into that folder does (:func:`remove_stale_temporaries`:
only names of that pattern, only when no process of that pid is alive).
:func:`output_lock` lets one process at a time write into an output folder.
"""

from __future__ import annotations

import contextlib
import os
import re
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
    check_output_file(path, inputs)
    folder = path.parent if str(path.parent) else Path(".")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        remove_stale_temporaries(folder)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.adamant-{os.getpid()}-", suffix=".tmp", dir=folder)
        os.close(fd)
    except OSError as exc:
        raise OutputError(f"cannot write here: {exc.strerror or exc}", file=path) from None
    try:
        yield Path(tmp)
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp creates 0600; outputs follow the umask
        os.replace(tmp, path)
    except OSError as exc:                # disk full, quota, I/O error: name the output
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise OutputError(f"cannot write: {exc.strerror or exc}; nothing written", file=path) from exc
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


def check_output_folder(folder: str | Path, inputs=()) -> None:
    """Raise :class:`OutputError` at once (before any work is done) when files cannot be
    written into ``folder``: it or a parent is a file, it is not writable, or it is one of
    ``inputs``. Nothing is created."""
    folder = Path(folder)
    for src in inputs:
        with contextlib.suppress(OSError):
            if folder.resolve() == Path(src).resolve():
                raise OutputError("the output folder is an input; choose another", file=folder)
    probe = folder.absolute()
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    if not probe.is_dir():
        raise OutputError(f"cannot write here: {probe} is a file, not a folder", file=folder)
    if not os.access(probe, os.W_OK | os.X_OK):
        raise OutputError(f"cannot write here: {probe} is not writable", file=folder)


def check_output_file(path: str | Path, inputs=()) -> None:
    """:func:`check_output_folder` for the folder of the file ``path``; also an
    :class:`OutputError` when ``path`` is a folder or one of ``inputs``."""
    path = Path(path)
    guard_output(path, inputs)
    if path.is_dir():
        raise OutputError("cannot write here: it is a folder", file=path)
    try:
        check_output_folder(path.parent if str(path.parent) else Path("."))
    except OutputError as exc:
        raise OutputError(exc.message, file=path) from None


def write_text(path: str | Path, text: str, inputs=(), encoding="utf-8") -> Path:
    with atomic_path(path, inputs) as tmp:
        tmp.write_text(text, encoding=encoding)
    return Path(path)


def write_bytes(path: str | Path, data: bytes, inputs=()) -> Path:
    with atomic_path(path, inputs) as tmp:
        tmp.write_bytes(data)
    return Path(path)


class AllOrNone:
    """Several outputs that land together or not at all: :meth:`path` gives a temporary
    file beside each target (checked as :func:`atomic_path` checks it); when the
    ``with`` block ends without an exception every one is renamed to its target, else
    every one is removed, no target is touched and the folders made for them are removed
    again (when empty)."""

    def __init__(self, inputs=()):
        self.inputs = list(inputs)
        self._stack = contextlib.ExitStack()
        self._made: list[Path] = []

    def __enter__(self):
        self._stack.__enter__()
        return self

    def __exit__(self, *exc):
        suppress = self._stack.__exit__(*exc)
        if exc[0] is not None:
            for folder in reversed(self._made):      # deepest first; a non-empty one stays
                with contextlib.suppress(OSError):
                    folder.rmdir()
        return suppress

    def path(self, target: str | Path) -> Path:
        """The temporary path to write ``target``'s content to."""
        missing = Path(target).absolute().parent
        new = []
        while not missing.exists() and missing != missing.parent:
            new.append(missing)
            missing = missing.parent
        self._made += reversed(new)
        return self._stack.enter_context(atomic_path(target, self.inputs))


_TEMPORARY = re.compile(r"^\..+\.adamant-(\d+)-[A-Za-z0-9_]+\.tmp$")
_cleaned: set[str] = set()          # folders this process has cleaned already


def pid_alive(pid: int) -> bool:
    """Whether a process ``pid`` exists (one of another user's counts)."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def remove_stale_temporaries(folder: str | Path) -> list[Path]:
    """Remove the temporary files of adamant processes that are gone (``kill -9``, a
    crash) from ``folder``, once per folder and process; returns those removed."""
    folder = Path(folder)
    key = str(folder.absolute())
    if key in _cleaned:
        return []
    _cleaned.add(key)
    removed = []
    with contextlib.suppress(OSError):
        for entry in os.scandir(folder):
            match = _TEMPORARY.match(entry.name)
            if match and int(match.group(1)) != os.getpid() and not pid_alive(int(match.group(1))):
                with contextlib.suppress(OSError):
                    os.unlink(entry.path)
                    removed.append(Path(entry.path))
    return removed


LOCK_NAME = ".adamant.lock"
_held: dict[str, list] = {}         # folder -> [open lock file, depth] held by this process


@contextlib.contextmanager
def output_lock(folder: str | Path):
    """One writer per output folder: hold ``folder/.adamant.lock`` (an exclusive
    ``flock``, which the kernel releases when its process dies, so the lock of a killed
    run is simply taken over) while the block runs; an :class:`OutputError` naming the
    folder and the other process's pid when another process holds it. Re-entrant in one
    process. The lock file, and the folder when this made it and it is left empty, are
    removed at the end. Without ``fcntl`` (Windows) no lock is taken."""
    try:
        import fcntl
    except ImportError:             # pragma: no cover
        yield
        return
    folder = Path(folder)
    key = str(folder.absolute())
    if key in _held:
        _held[key][1] += 1
        try:
            yield
        finally:
            _held[key][1] -= 1
        return
    made, probe = [], folder.absolute()
    while not probe.exists() and probe != probe.parent:
        made.append(probe)                       # deepest first
        probe = probe.parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"cannot write here: {exc.strerror or exc}", file=folder) from None
    path = folder / LOCK_NAME
    while True:
        fh = open(path, "a+")
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            fh.seek(0)
            other = fh.read().strip() or "unknown"
            fh.close()
            raise OutputError(f"another adamant process (pid {other}) is writing into this folder; "
                              "wait for it to finish or choose another output folder", file=folder) from None
        with contextlib.suppress(OSError):       # the file we locked is still the lock file
            if os.fstat(fh.fileno()).st_ino == os.stat(path).st_ino:
                break
        fh.close()                               # removed by its last holder meanwhile: again
    fh.seek(0)
    fh.truncate()
    fh.write(f"{os.getpid()}\n")
    fh.flush()
    _held[key] = [fh, 1]
    try:
        yield
    finally:
        del _held[key]
        with contextlib.suppress(OSError):
            os.unlink(path)
        fh.close()
        for made_folder in made:                 # those made here, when left empty
            with contextlib.suppress(OSError):
                made_folder.rmdir()
