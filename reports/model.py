"""What a TLF program hands to the templates: tables, a figure, footnotes."""

from __future__ import annotations

import base64
import html
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
    #: header spanners above the column labels, left to right from the first column:
    #: (label, number of columns); an empty label spans no heading, e.g.
    #: [("", 1), ("Study A", 2), ("Study B", 2)]
    spanners: list[tuple[str, int]] = field(default_factory=list)

    def __post_init__(self):
        if self.widths is None:
            self.widths = [3.0] + [1.0] * (len(self.columns) - 1)
        if self.spanners and sum(n for _, n in self.spanners) != len(self.columns):
            raise ValueError(f"spanners cover {sum(n for _, n in self.spanners)} columns, "
                             f"the table has {len(self.columns)}")

    def spanner_ends(self) -> list[int]:
        """Index of the last column under each spanner."""
        ends, at = [], 0
        for _, n in self.spanners:
            at += n
            ends.append(at - 1)
        return ends


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
class Panels:
    """One figure made of several figures (a publication set's: one per study), each under
    its heading ("A  TOURMALINE-MM3"), side by side or stacked; ``one_per_page``: the
    paged formats (RTF, PDF) print one panel per page (on one page they would print too
    small to read). The HTML shows them as one SVG image (:attr:`data_uri`)."""
    figures: list[Figure]
    letters: list[str]
    names: list[str]
    side_by_side: bool = True
    one_per_page: bool = False
    alt: str = ""

    HEADING_IN = 0.45       # a heading above each panel
    GAP_IN = 0.4            # between two panels

    @property
    def headings(self) -> list[str]:
        return [f"{letter}  {name}" for letter, name in zip(self.letters, self.names)]

    def places(self) -> list[tuple[float, float]]:
        """Top left corner of each panel's heading (inches)."""
        x = y = 0.0
        out = []
        for fig in self.figures:
            out.append((x, y))
            if self.side_by_side:
                x += fig.width_in + self.GAP_IN
            else:
                y += self.HEADING_IN + fig.height_in + self.GAP_IN
        return out

    @property
    def width_in(self) -> float:
        return max(x + f.width_in for (x, _), f in zip(self.places(), self.figures))

    @property
    def height_in(self) -> float:
        return max(y + self.HEADING_IN + f.height_in for (_, y), f in zip(self.places(), self.figures))

    def scales(self, box_w: float, box_h: float, head: float, gap: float) -> list[float]:
        """The scale of each figure printed in a box of ``box_w`` x ``box_h`` inches with a
        heading ``head`` inches high above each and ``gap`` inches between them: one for
        all, side by side or stacked, or each its own, one per page."""
        widths = [f.width_in for f in self.figures]
        heights = [f.height_in for f in self.figures]
        if self.one_per_page:
            return [min(box_w / w, (box_h - head) / h) for w, h in zip(widths, heights)]
        n = len(self.figures)
        if self.side_by_side:
            scale = min((box_w - gap * (n - 1)) / sum(widths), (box_h - head) / max(heights))
        else:
            scale = min(box_w / max(widths), (box_h - n * head - gap * (n - 1)) / sum(heights))
        return [scale] * n

    @property
    def data_uri(self) -> str:
        """An SVG of the panels: each heading as text, each figure as the image it shows
        in HTML (its SVG, else its PNG)."""
        pt = 72.0
        parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{self.width_in:.3f}in" '
                 f'height="{self.height_in:.3f}in" viewBox="0 0 {self.width_in * pt:.2f} {self.height_in * pt:.2f}">']
        for (x, y), heading, fig in zip(self.places(), self.headings, self.figures):
            parts.append(f'<text x="{x * pt + 7:.2f}" y="{(y + self.HEADING_IN * 0.7) * pt:.2f}" '
                         'font-family="DejaVu Sans, Arial, Helvetica, sans-serif" font-size="16" '
                         f'font-weight="bold" fill="#1a1a1a" xml:space="preserve">{html.escape(heading)}</text>')
            parts.append(f'<image x="{x * pt:.2f}" y="{(y + self.HEADING_IN) * pt:.2f}" '
                         f'width="{fig.width_in * pt:.2f}" height="{fig.height_in * pt:.2f}" href="{fig.data_uri}"/>')
        svg = "".join(parts + ["</svg>"]).encode("utf-8")
        return "data:image/svg+xml;base64," + base64.b64encode(svg).decode("ascii")


@dataclass
class Display:
    """Content of one output: built by a program from the ARD, printed by its template.
    ``figure``: a :class:`Figure`, or :class:`Panels` in a publication set."""
    tables: list[Table] = field(default_factory=list)
    figure: Figure | Panels | None = None
    footnotes: list[str] = field(default_factory=list)
    landscape: bool = False
