"""The coded XPT reader's two ways to code words, for tests that read with each: pandas'
private hash table (where usable) and the public-API fallback; both must give the same codes."""

import contextlib

from adam.io import xpt

CODERS = [xpt._SortedStreamCodes] + ([xpt._StreamCodes] if xpt._hashtable is not None else [])


@contextlib.contextmanager
def stream_coder(coder):
    """Read with ``coder`` (not a fixture: hypothesis tests run many examples per call)."""
    chosen, xpt._STREAM_CODER = xpt._STREAM_CODER, coder
    try:
        yield
    finally:
        xpt._STREAM_CODER = chosen
