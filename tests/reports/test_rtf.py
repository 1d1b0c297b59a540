"""RTF primitives: escaping, embedded pictures, well-formedness check."""

import io

from matplotlib.figure import Figure

from reports import rtf


def _png(w=3, h=2):
    buf = io.BytesIO()
    Figure(figsize=(w, h), dpi=50).savefig(buf, format="png", dpi=50)
    return buf.getvalue()


def test_escape_specials_and_unicode():
    assert rtf.escape("{\\b x}") == "\\{\\\\b x\\}"
    assert rtf.escape("caf\u00e9 \u2265 1") == "caf\\u233? \\u8805? 1"
    # outside the BMP: a UTF-16 surrogate pair, each unit signed 16-bit
    assert rtf.escape("\U0001F600") == "\\u-10179?\\u-8704?"
    assert rtf.escape("a\nb") == "a\\line b"
    assert rtf.escape(rtf.Raw("{\\b ok}")) == "{\\b ok}"
    assert rtf.escape(None) == ""


def test_balanced():
    assert rtf.balanced("{\\rtf1 {\\b x} \\{ y}")
    assert not rtf.balanced("{\\rtf1 {x}")
    assert not rtf.balanced("}{")


def test_picture_has_size_and_hex():
    png = _png()
    assert rtf.png_size(png) == (150, 100)
    pict = rtf.picture(png, 3.0, 2.0)
    assert pict.startswith("{\\pict\\pngblip\\picw150\\pich100\\picwgoal4320\\pichgoal2880")
    assert bytes.fromhex("".join(pict.split("\n")[1:])[:-1]) == png
    assert rtf.balanced(pict)


def test_cell_edges_span_the_width():
    assert rtf.cell_edges([3, 1, 1], 5.0) == [4320, 5760, 7200]
