"""adamant engine: dataset I/O, study specifications, survival statistics, ARD, pipeline and CLI."""

import os

__version__ = "0.1.0"


def _ordinary_pages() -> bool:
    """Ask numpy for ordinary memory pages, not transparent huge pages (THP).

    numpy advises THP for every array of 4 MB or more. Where the kernel's THP defrag
    setting is ``madvise`` (common), a fault in such an array may compact memory
    synchronously first; with a large page cache (a million-subject SDTM is 9 GB of XPT)
    that was measured here at 2-7 s per GB of new arrays, against about 0.6 s per GB with
    ordinary pages (derive and read benchmarks: system time halved). adamant fills its
    arrays once and moves on, so huge pages buy it nothing. ``NUMPY_MADVISE_HUGEPAGE``
    set in the environment is left to decide. Returns whether the setting was changed."""
    if "NUMPY_MADVISE_HUGEPAGE" in os.environ:
        return False
    try:
        from numpy._core.multiarray import _set_madvise_hugepage
    except ImportError:  # numpy < 2
        try:
            from numpy.core.multiarray import _set_madvise_hugepage
        except ImportError:
            return False
    _set_madvise_hugepage(False)
    return True


def _keep_freed_memory() -> bool:
    """Ask glibc to keep freed memory for reuse instead of handing it back to the system.

    By default glibc gives every array of 32 MB or more its own mapping and unmaps it when
    freed; the next such array then faults in new zero-filled pages. On virtual machines
    that return free memory to the host (virtio balloon free-page reporting) each new GB
    was measured at 5-7 s of system time, and a million-subject derive allocates and
    frees tens of GB of temporaries: keeping freed memory in the process took that run
    from 140 s to 116 s (system time 61 -> 42 s), for about 0.6 GB more resident memory.
    Linux with glibc only; ``GLIBC_TUNABLES`` set in the environment is left to decide.
    Returns whether the setting was changed."""
    import ctypes
    import sys

    if not sys.platform.startswith("linux") or "GLIBC_TUNABLES" in os.environ:
        return False
    try:
        mallopt = ctypes.CDLL(None).mallopt   # the C library Python runs on (no lookup)
    except (OSError, AttributeError):   # no mallopt in that C library
        return False
    M_TRIM_THRESHOLD, M_MMAP_MAX = -1, -4
    return bool(mallopt(M_MMAP_MAX, 0)) and bool(mallopt(M_TRIM_THRESHOLD, 2 ** 31 - 1))


_ordinary_pages()
_keep_freed_memory()
