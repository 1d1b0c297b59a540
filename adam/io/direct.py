"""Big sequential file I/O past the page cache (``O_DIRECT``), where the system allows it.

A million-subject SDTM is 9 GB of XPT. Written or read through the page cache, every GB
also takes a GB of page-cache memory that the kernel must find, zero-fill and later
reclaim; on virtual machines that hand free memory back to the host (virtio balloon
free-page reporting, as on this project's 2-core machines) that was measured at 5-7 s
of system time per GB written, against about 1 s per GB for direct I/O. So the XPT
writer and reader move whole aligned chunks straight between their own (reused)
buffers and the disk. Where ``O_DIRECT`` is refused (tmpfs, some network file
systems, non-Linux systems) both fall back to ordinary buffered I/O, with the same
bytes in the file.
"""

from __future__ import annotations

import errno
import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

ALIGN = 4096                  # buffer address, file offset and length unit of O_DIRECT
CHUNK = 8 << 20               # bytes moved per system call


def aligned_empty(nbytes: int) -> np.ndarray:
    """A uint8 buffer of ``nbytes`` whose address is a multiple of :data:`ALIGN`."""
    raw = np.empty(nbytes + ALIGN, dtype=np.uint8)
    skip = -raw.ctypes.data % ALIGN
    return raw[skip:skip + nbytes]


def _open_direct(path: Path, flags: int) -> int | None:
    """A file descriptor opened with ``O_DIRECT``, or None where that is refused."""
    if not hasattr(os, "O_DIRECT"):
        return None
    try:
        return os.open(path, flags | os.O_DIRECT, 0o666)
    except OSError as exc:
        if exc.errno in (errno.EINVAL, errno.EOPNOTSUPP, errno.ENOTSUP):
            return None
        raise


def _write_all(fd: int, view) -> None:
    while len(view):
        view = view[os.write(fd, view):]


class DirectWriter:
    """Write-only binary file filled sequentially (``write``), past the page cache.

    Data is gathered into two aligned chunks; a full one is written by a thread (the
    system call releases the GIL) while the other fills. On :meth:`close` the last chunk
    is padded to the alignment, written, and the file cut to the bytes written. Falls
    back to a buffered file where ``O_DIRECT`` is refused."""

    def __init__(self, path: str | Path, chunk: int = CHUNK):
        self.path = Path(path)
        self._fd = _open_direct(self.path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
        self._file = open(self.path, "wb") if self._fd is None else None
        self.direct = self._fd is not None
        if self.direct:
            self._chunks = [aligned_empty(chunk), aligned_empty(chunk)]
            self._pending = [None, None]
            self._k, self._fill, self.size = 0, 0, 0
            self._thread = ThreadPoolExecutor(max_workers=1)

    def write(self, data) -> None:
        """Append ``data`` (bytes, bytearray, memoryview or a contiguous array)."""
        if not self.direct:
            self._file.write(data)
            return
        view = memoryview(data).cast("B")
        self.size += len(view)
        while len(view):
            chunk = self._chunks[self._k]
            n = min(len(chunk) - self._fill, len(view))
            chunk[self._fill:self._fill + n] = np.frombuffer(view[:n], dtype=np.uint8)
            self._fill += n
            view = view[n:]
            if self._fill == len(chunk):
                self._flush(len(chunk))

    def _flush(self, nbytes: int) -> None:
        """Hand the current chunk's first ``nbytes`` to the thread; switch chunks."""
        k = self._k
        self._pending[k] = self._thread.submit(_write_all, self._fd, memoryview(self._chunks[k][:nbytes]))
        self._k, self._fill = 1 - k, 0
        if self._pending[self._k] is not None:
            self._pending[self._k].result()       # the other chunk is free (errors surface)
            self._pending[self._k] = None

    def close(self) -> None:
        if not self.direct:
            self._file.close()
            return
        try:
            if self._fill:
                padded = -(-self._fill // ALIGN) * ALIGN
                self._chunks[self._k][self._fill:padded] = 0
                self._flush(padded)
            for pending in self._pending:
                if pending is not None:
                    pending.result()
            os.ftruncate(self._fd, self.size)
        finally:
            self._thread.shutdown()
            os.close(self._fd)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False


def row_blocks(path: str | Path, offset: int, width: int, nrows: int, block_rows: int):
    """``(first_row, rows, view)`` for consecutive blocks of at most ``block_rows`` rows of
    ``width`` bytes starting at byte ``offset`` of ``path``; ``view`` holds the block's
    bytes and at least 8 readable bytes after them (for word reads at the end). One
    reused buffer, read past the page cache where the system allows it (each block's
    aligned span; a page shared by two blocks is read twice). Raises EOFError when the
    file ends before the rows do."""
    path = Path(path)
    fd = _open_direct(path, os.O_RDONLY)
    if fd is None:
        yield from _buffered_row_blocks(path, offset, width, nrows, block_rows)
        return
    rows = min(nrows, block_rows)
    size_of_buffer = -(-(rows * width + 2 * ALIGN + 8) // ALIGN) * ALIGN
    buffers = [aligned_empty(size_of_buffer), aligned_empty(size_of_buffer)]

    def read(k: int, first: int):
        """Block starting at row ``first`` into buffer ``k``: (size, view)."""
        size = min(block_rows, nrows - first)
        begin = offset + first * width
        lead = begin % ALIGN
        span = -(-(lead + size * width) // ALIGN) * ALIGN
        got = os.preadv(fd, [memoryview(buffers[k][:span])], begin - lead)
        if got < lead + size * width:
            raise EOFError(f"{path} ends before its rows do")
        return size, buffers[k][lead:lead + size * width + 8]

    # the next block is read by a thread (the read releases the GIL) while this one is used
    with ThreadPoolExecutor(max_workers=1) as reader:
        try:
            firsts = list(range(0, nrows, block_rows))
            pending = reader.submit(read, 0, 0) if firsts else None
            for k, first in enumerate(firsts):
                size, view = pending.result()
                pending = reader.submit(read, (k + 1) % 2, firsts[k + 1]) if k + 1 < len(firsts) else None
                yield first, size, view
        finally:
            if pending is not None:
                pending.cancel() or pending.exception()
            os.close(fd)


def _buffered_row_blocks(path: Path, offset: int, width: int, nrows: int, block_rows: int):
    rows = min(nrows, block_rows)
    buffer = np.zeros(rows * width + 8, dtype=np.uint8)
    with open(path, "rb") as fh:
        fh.seek(offset)
        for first in range(0, nrows, block_rows):
            size = min(block_rows, nrows - first)
            wanted = size * width
            if fh.readinto(memoryview(buffer)[:wanted]) != wanted:
                raise EOFError(f"{path} ends before its rows do")
            yield first, size, buffer
