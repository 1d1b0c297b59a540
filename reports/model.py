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


@dataclass
class Figure:
    """One figure in two forms: PNG (HTML, RTF, the ``.png`` file) and a one-page vector
    PDF of the same drawing (placed on the PDF outputs' pages as it is); ``pdf`` empty
    means PNG only."""
    png: bytes
    width_in: float
    height_in: float
    alt: str
    pdf: bytes = b""

    @property
    def data_uri(self) -> str:
        return "data:image/png;base64," + base64.b64encode(self.png).decode("ascii")


@dataclass
class Display:
    """Content of one output: built by a program from the ARD, printed by its template."""
    tables: list[Table] = field(default_factory=list)
    figure: Figure | None = None
    footnotes: list[str] = field(default_factory=list)
    landscape: bool = False
