"""Direct (page-cache-free) file I/O gives the same bytes as buffered I/O: the writer at
every chunk and alignment boundary, the reader's row blocks at any offset and width,
and both fallbacks where O_DIRECT is refused; a file cut short is an EOFError."""

import numpy as np
import pytest

from adam.io import direct


def payload(n, seed=0):
    return np.random.default_rng(seed).integers(0, 256, n, dtype=np.uint8).tobytes()


@pytest.mark.parametrize("pieces", [[0], [1], [4095, 1], [4096], [10_000, 3, 20_000], [8192 * 3 + 17]])
def test_writer_gives_the_bytes_written(tmp_path, pieces):
    data = [payload(n, i) for i, n in enumerate(pieces)]
    with direct.DirectWriter(tmp_path / "f", chunk=8192) as fh:
        for part in data:
            fh.write(part)
    assert (tmp_path / "f").read_bytes() == b"".join(data)


def test_writer_takes_arrays_and_memoryviews(tmp_path):
    rows = np.zeros(3, dtype=[("a", "S5"), ("b", "S3")])
    rows["a"], rows["b"] = b"hello", b"xyz"
    with direct.DirectWriter(tmp_path / "f", chunk=4096) as fh:
        fh.write(memoryview(rows).cast("B"))
        fh.write(b"  ")
    assert (tmp_path / "f").read_bytes() == b"helloxyz" * 3 + b"  "


def test_writer_falls_back_where_direct_io_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(direct, "_open_direct", lambda path, flags: None)
    with direct.DirectWriter(tmp_path / "f") as fh:
        fh.write(b"abc")
        assert not fh.direct
    assert (tmp_path / "f").read_bytes() == b"abc"


@pytest.mark.parametrize("offset, width, nrows, block", [(0, 80, 100, 7), (5, 13, 1000, 64), (4093, 165, 300, 32),
                                                         (8192, 8, 5000, 5000), (77, 4099, 9, 2)])
@pytest.mark.parametrize("refused", [False, True])
def test_row_blocks_read_the_rows(tmp_path, monkeypatch, offset, width, nrows, block, refused):
    if refused:
        monkeypatch.setattr(direct, "_open_direct", lambda path, flags: None)
    raw = payload(offset + width * nrows + 50)
    (tmp_path / "f").write_bytes(raw)
    got, seen = [], 0
    for first, size, view in direct.row_blocks(tmp_path / "f", offset, width, nrows, block):
        assert first == seen and 0 < size <= block and len(view) >= size * width + 8
        got.append(view[:size * width].tobytes())
        seen += size
    assert seen == nrows and b"".join(got) == raw[offset:offset + width * nrows]


@pytest.mark.parametrize("refused", [False, True])
def test_row_blocks_of_a_short_file(tmp_path, monkeypatch, refused):
    if refused:
        monkeypatch.setattr(direct, "_open_direct", lambda path, flags: None)
    (tmp_path / "f").write_bytes(payload(1000))
    with pytest.raises(EOFError):
        list(direct.row_blocks(tmp_path / "f", 0, 100, 11, 4))


def test_row_blocks_left_early(tmp_path):
    """A reader that stops after the first block leaves no read running, no file open."""
    import os

    (tmp_path / "f").write_bytes(payload(100_000))
    before = len(os.listdir("/proc/self/fd"))
    blocks = direct.row_blocks(tmp_path / "f", 0, 100, 1000, 10)
    first, size, view = next(blocks)
    assert (first, size) == (0, 10)
    blocks.close()
    assert len(os.listdir("/proc/self/fd")) == before
