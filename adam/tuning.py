"""Process-wide memory tuning for the ``adam`` command (never applied on import).

adamant fills big arrays once and moves on; two process-wide defaults cost it time on
virtual machines (see the README's performance section):

- numpy advises transparent huge pages (THP) for every array of 4 MB or more. Where the
  kernel's THP defrag setting is ``madvise`` (common), a fault in such an array may compact
  memory synchronously first; with a large page cache (a million-subject SDTM is 9 GB of
  XPT) that was measured here at 2-7 s per GB of new arrays, against about 0.6 s per GB
  with ordinary pages (derive and read benchmarks: system time halved).
- glibc gives every allocation of 32 MB or more its own mapping and unmaps it when freed;
  the next such array then faults in new zero-filled pages. On virtual machines that
  return free memory to the host (virtio balloon free-page reporting) each new GB was
  measured at 5-7 s of system time, and a million-subject derive allocates and frees tens
  of GB of temporaries: keeping freed memory in the process took that run from 140 s to
  116 s (system time 61 -> 42 s), for about 0.6 GB more resident memory.

Both settings belong to a process that does nothing else: :func:`tune_process` is called
by the ``adam`` command's entry point (:func:`adam.cli.main`) and by the workers it starts,
never by ``import adam``. A notebook or service that imports adamant keeps its own
settings. Switch the tuning off with ``ADAMANT_TUNING=0``; ``NUMPY_MADVISE_HUGEPAGE`` or
``GLIBC_TUNABLES`` set in the environment leave the corresponding setting to them.
"""

from __future__ import annotations

import os
import sys

ENV_SWITCH = "ADAMANT_TUNING"
_APPLIED: list[bool] = []     # set once this process has been tuned


def tuning_enabled() -> bool:
    """False when ``ADAMANT_TUNING`` is ``0``, ``off``, ``no`` or ``false``."""
    return os.environ.get(ENV_SWITCH, "1").strip().lower() not in ("0", "off", "no", "false")


def tune_process() -> dict[str, bool]:
    """Apply both settings to this process (unless switched off); returns which changed."""
    if not tuning_enabled():
        return {"ordinary_pages": False, "keep_freed_memory": False}
    _APPLIED[:] = [True]
    return {"ordinary_pages": ordinary_pages(), "keep_freed_memory": keep_freed_memory()}


def tuned() -> bool:
    """Whether :func:`tune_process` ran in this process (workers it starts follow it)."""
    return bool(_APPLIED)


def ordinary_pages() -> bool:
    """Ask numpy for ordinary memory pages, not transparent huge pages (unless
    ``NUMPY_MADVISE_HUGEPAGE`` is set). Returns whether the setting was changed."""
    if "NUMPY_MADVISE_HUGEPAGE" in os.environ:
        return False
    setter = _numpy_madvise("_set_madvise_hugepage")
    if setter is None:
        return False
    setter(False)
    return True


def numpy_huge_pages() -> bool | None:
    """numpy's current huge-page advice (None where numpy does not say)."""
    getter = _numpy_madvise("_get_madvise_hugepage")
    return None if getter is None else bool(getter())


def _numpy_madvise(name: str):
    """numpy's (private) huge-page switch ``name``, or None where this numpy has none."""
    for module in ("numpy._core.multiarray", "numpy.core.multiarray"):  # numpy 2, numpy 1
        try:
            return getattr(__import__(module, fromlist=[name]), name)
        except (ImportError, AttributeError):
            continue
    return None


def keep_freed_memory() -> bool:
    """Ask glibc to keep freed memory for reuse instead of handing it back to the system
    (Linux with glibc only; unless ``GLIBC_TUNABLES`` is set). Returns whether the setting
    was changed."""
    import ctypes

    if not sys.platform.startswith("linux") or "GLIBC_TUNABLES" in os.environ:
        return False
    try:
        mallopt = ctypes.CDLL(None).mallopt   # the C library Python runs on (no lookup)
    except (OSError, AttributeError):          # no mallopt in that C library
        return False
    M_TRIM_THRESHOLD, M_MMAP_MAX = -1, -4
    return bool(mallopt(M_MMAP_MAX, 0)) and bool(mallopt(M_TRIM_THRESHOLD, 2 ** 31 - 1))
