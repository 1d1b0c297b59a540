"""What a TLF program hands to the templates: tables, a figure, footnotes."""

from __future__ import annotations

import base64
from dataclasses import dataclass, field


@dataclass
class Row:
    cells: list[str]
    indent: int = 0          # indentation level of the first cell
    bold: bool = False       # a group heading row

    @property
    def spans(self) -> bool:
        """A heading whose other cells are empty: printed across the whole table width."""
        return self.bold and not any(self.cells[1:])


@dataclass
class Table:
    columns: list[str]       # header labels; the first is the row-label column
    rows: list[Row]
    widths: list[float] | None = None   # relative column widths (default: 3, 1, 1, ...)
    caption: str = ""

    def __post_init__(self):
        if self.widths is None:
            self.widths = [3.0] + [1.0] * (len(self.columns) - 1)


class Figure:
    """One figure in three forms, each rendered from the drawing the first time it is asked
    for (a run that writes no HTML never makes the SVG): ``png`` at :data:`PRINT_DPI` (RTF,
    the ``.png`` file), ``svg`` (HTML) and ``pdf``, a one-page vector PDF placed on the PDF
    outputs' pages as it is. Built from a matplotlib figure (``source``) or from bytes
    already rendered (``png``, optional ``pdf``/``svg``: PNG only where they are absent)."""

    def __init__(self, width_in: float, height_in: float, alt: str, png: bytes = b"",
                 pdf: bytes = b"", svg: bytes = b"", source=None, render=None):
        self.width_in, self.height_in, self.alt = float(width_in), float(height_in), alt
        self._bytes = {"png": png, "pdf": pdf, "svg": svg}
        self._source, self._render = source, render

    def _get(self, kind: str) -> bytes:
        if not self._bytes[kind] and self._source is not None:
            self._bytes[kind] = self._render(self._source, kind)
        return self._bytes[kind]

    png = property(lambda self: self._get("png"))
    pdf = property(lambda self: self._get("pdf"))
    svg = property(lambda self: self._get("svg"))

    @property
    def data_uri(self) -> str:
        """The SVG (vector) where there is one, else the PNG."""
        svg = self.svg
        kind, data = ("svg+xml", svg) if svg else ("png", self.png)
        return f"data:image/{kind};base64," + base64.b64encode(data).decode("ascii")


@dataclass
class Display:
    """Content of one output: built by a program from the ARD, printed by its template."""
    tables: list[Table] = field(default_factory=list)
    figure: Figure | None = None
    footnotes: list[str] = field(default_factory=list)
    landscape: bool = False
