"""RTF building blocks: escaping, embedded PNG pictures, units.

Every value a template prints goes through :func:`escape` (the Jinja ``finalize`` hook
of the RTF environment) unless it is a :class:`Raw` fragment built here.
"""

from __future__ import annotations

import struct

TWIPS_PER_INCH = 1440
#: a panel's heading (bold, points) and the space between two panels (inches), as the RTF
#: and the PDF print a figure of several panels
PANEL_HEAD_PT, PANEL_GAP_IN = 10, 0.25


class Raw(str):
    """An RTF fragment that templates print verbatim (built by this module only)."""


def escape(value) -> str:
    """Escape ``\\ { }`` and write non-ASCII as ``\\uN?`` (UTF-16 code units, signed);
    line breaks become ``\\line``; tabs ``\\tab``."""
    if isinstance(value, Raw):
        return value
    if value is None:
        return ""
    text = str(value)
    if text.isascii() and not any(c in text for c in "\\{}\n\t\r"):
        return text
    out = []
    for ch in text:
        code = ord(ch)
        if ch in "\\{}":
            out.append("\\" + ch)
        elif ch == "\n":
            out.append("\\line ")
        elif ch == "\t":
            out.append("\\tab ")
        elif ch == "\r":
            continue
        elif code < 128:
            out.append(ch)
        else:
            units = struct.unpack(f"<{len(ch.encode('utf-16-le')) // 2}H", ch.encode("utf-16-le"))
            out.extend(f"\\u{u - 65536 if u > 32767 else u}?" for u in units)
    return "".join(out)


def twips(inches: float) -> int:
    return int(round(inches * TWIPS_PER_INCH))


def png_size(png: bytes) -> tuple[int, int]:
    """Pixel width and height from a PNG's IHDR chunk."""
    if png[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("not a PNG")
    return struct.unpack(">II", png[16:24])


def picture(png: bytes, width_in: float, height_in: float) -> Raw:
    """``{\\pict\\pngblip ...}`` group with the PNG as hex, scaled to the given inches."""
    w_px, h_px = png_size(png)
    hexdata = png.hex()
    lines = "\n".join(hexdata[i:i + 128] for i in range(0, len(hexdata), 128))
    return Raw(f"{{\\pict\\pngblip\\picw{w_px}\\pich{h_px}"
               f"\\picwgoal{twips(width_in)}\\pichgoal{twips(height_in)}\n{lines}}}")


def cell_edges(widths: list[float], total_in: float) -> list[int]:
    """Right edges (twips) of table cells with relative ``widths`` over ``total_in`` inches."""
    scale = total_in / sum(widths)
    edges, acc = [], 0.0
    for w in widths:
        acc += w * scale
        edges.append(twips(acc))
    return edges


def balanced(text: str) -> bool:
    """True when unescaped braces balance and never go negative (a well-formedness check)."""
    depth, i = 0, 0
    while i < len(text):
        ch = text[i]
        if ch == "\\":
            i += 2
            continue
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
            if depth < 0:
                return False
        i += 1
    return depth == 0


def panels(figure, box_w: float, box_h: float) -> Raw:
    """The figures of a :class:`reports.model.Panels` in a box of ``box_w`` x ``box_h``
    inches, each under its heading: side by side in a borderless table row, else one
    under the other, with a page break between them when it prints one per page. Printed
    inside a centred paragraph (``_figure.rtf.j2``)."""
    head = PANEL_HEAD_PT * 1.6 / 72
    scales = figure.scales(box_w, box_h, head, PANEL_GAP_IN)
    heads = [escape(h) for h in figure.headings]
    pics = [picture(f.png, f.width_in * s, f.height_in * s) for f, s in zip(figure.figures, scales)]
    if figure.side_by_side:
        edges, at = [], 0.0
        for i, (f, s) in enumerate(zip(figure.figures, scales)):
            at += f.width_in * s + (PANEL_GAP_IN if i < len(scales) - 1 else 0.0)
            edges.append(twips(at))
        return Raw("\\trowd\\trgaph0\\trleft0\\trqc" + "".join(f"\\cellx{e}" for e in edges) + "\n"
                   + "".join(f"\\pard\\plain\\intbl\\ql\\f0\\fs{2 * PANEL_HEAD_PT}\\b {h}\\par\n"
                             f"\\pard\\plain\\intbl\\ql\\f0\\fs18 {pic}\\cell\n" for h, pic in zip(heads, pics))
                   + "\\row\n\\pard\\plain\\qc\\f0\\fs18 ")
    between = "\\par\\page\n" if figure.one_per_page else "\\par\n"
    return Raw(between.join(f"\\pard\\plain\\ql\\f0\\fs{2 * PANEL_HEAD_PT}\\b {h}\\par\n"
                            f"\\pard\\plain\\qc\\f0\\fs18 {pic}" for h, pic in zip(heads, pics)))
