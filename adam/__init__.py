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


_ordinary_pages()
