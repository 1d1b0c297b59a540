"""PDF, written natively with fpdf2 from the same :class:`~reports.model.Display` and template
context (:func:`reports.render._context`) as the HTML and RTF, laid out as the RTF templates
lay it out (``_layout.rtf.j2``, ``_tables.rtf.j2``, ``_figure.rtf.j2``)::

    write_pdf(display, context, path) -> Path      # atomic, as every output
    pdf_bytes(display, context) -> bytes

- US letter, portrait or landscape as ``Display.landscape`` says, the margins of
  :class:`reports.render.Page`;
- on every page the running header (study line left, "Page x of y" right with the real
  total; output number, title and population centred) and the footer (a rule, the
  footnotes wrapped inside the margins, then program, template, data cutoff and run);
- the figure as vector graphics (matplotlib's own one-page PDF of it, placed on the page
  with pypdf once fpdf2 has laid the page out; the PNG only for a figure made without
  it), centred and scaled to the width and to the height left between header and footer
  (at most ``Page.figure_h_in``, as in the RTF);
- the body parts each program's RTF template prints (:data:`BODIES`): the figure only
  (CONSORT, forest: their data table is HTML's), figure then tables on a new page
  (Kaplan-Meier), else the tables;
- tables at ``Table.widths`` of the text width, header cells bold and bottom-aligned
  between two rules, group rows bold, first-cell indents of 1/6 in per level, a row never
  split, the caption, header and first row kept together, a group heading kept with the
  row under it, the header row repeated on every page a table continues on, a rule under
  the last row.

Text is Helvetica, the PDF standard font the RTF's Arial matches (nothing embedded: fast
and small), when every text of the output is in Windows-1252 (Western European letters,
dashes, quotes, the euro sign); an output with any other character (Greek, maths, CJK) is
set in DejaVu Sans (it ships with matplotlib) throughout, embedded as a subset. Control
characters are dropped, a lone surrogate becomes U+FFFD and a character DejaVu lacks
prints as its empty box (fpdf2 logs which). "Page x of y" is
printed on each page once the last is laid out (no ``{nb}`` alias: exact right alignment,
and a ``{nb}`` in the data stays as it is).
"""

from __future__ import annotations

import functools
import io
import re
from datetime import datetime, timezone
from pathlib import Path

import matplotlib
from fpdf import FPDF

from adam.io.atomic import write_bytes
from reports import rtf
from reports.model import Display, Figure, Panels, Row, Table

FONT = "dejavu"                 # any Unicode text: DejaVu Sans, embedded
CORE_FONT, CORE_ENCODING = "helvetica", "windows-1252"   # else the standard font
FONT_DIR = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
FONT_FILES = {"": "DejaVuSans.ttf", "B": "DejaVuSans-Bold.ttf"}
LEADING = 1.15                  # line height / font size (single spacing)
PT_PER_TWIP = 1 / 20
# font sizes (pt) and spacing as the RTF layout has them (\fs is half-points, \sb/\sa twips)
HEAD_SIZE, TITLE_SIZE, POP_SIZE = 9, 11, 10
NOTE_SIZE, STAMP_SIZE, CELL_SIZE = 8, 7, 9
CELL_GAP = 72 * PT_PER_TWIP     # \trgaph72: space left and right of a cell's text
CELL_PAD = 1.0                  # above and below a cell's text
INDENT = 240 * PT_PER_TWIP      # \li240 per indent level
AFTER_TABLE = 12 * LEADING + 6  # the empty 12 pt paragraph with \sa120 after each table
PAGE_LABEL_RESERVE = "Page 9999 of 9999"
# what each program's body prints, in order, as its RTF template does ("page": \page);
# tests/reports/test_pdf.py holds this to the templates' includes
BODIES = {"km": ("figure", "page", "tables"), "consort": ("figure",), "forest": ("figure",)}
TABLES_ONLY = ("tables",)
_DROP = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_SURROGATE = re.compile(r"[\ud800-\udfff]")


def clean(value) -> str:
    """Printable text: tabs as spaces, other control characters dropped, lone surrogates
    as U+FFFD, line breaks kept (they break the line as ``\\line`` does in the RTF)."""
    if value is None:
        return ""
    text = str(value).replace("\r\n", "\n").replace("\r", "\n").replace("\t", " ")
    return _SURROGATE.sub("\ufffd", _DROP.sub("", text))


def pdf_bytes(display: Display, context: dict) -> bytes:
    """The PDF of one output; ``context`` is the template context (``study``, ``output``,
    ``footnotes``, ``study_line``, ``program``, ``template``, ``run``, ``page``, and
    ``layout``: the program's name, which says what the body prints, see :data:`BODIES`)."""
    document = _Document(display, context).layout().number_pages()
    return _with_figures(bytes(document.output()), document.placed)


def _with_figures(pdf: bytes, placed: list) -> bytes:
    """``pdf`` with each vector figure drawn into its box: ``placed`` holds (page number,
    x, y from the top, width, height in points, the figure's one-page PDF). Each drawing
    becomes a Form XObject (its content stream as it is, its resources its own: nothing
    parsed or renamed), painted by ``cm ... Do`` at the end of its page."""
    if not placed:
        return pdf
    from pypdf import PdfReader, PdfWriter
    from pypdf.generic import ArrayObject, DecodedStreamObject, DictionaryObject, NameObject

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf)))      # metadata kept
    for i, (number, x, y, w, h, drawing) in enumerate(placed, 1):
        page = writer.pages[number - 1]
        source = PdfReader(io.BytesIO(drawing)).pages[0]
        box = [float(v) for v in source.mediabox]
        form = DecodedStreamObject()
        form.set_data(source.get_contents().get_data())
        form.update({NameObject("/Type"): NameObject("/XObject"),
                     NameObject("/Subtype"): NameObject("/Form"),
                     NameObject("/BBox"): source.mediabox,
                     NameObject("/Resources"): source["/Resources"].clone(writer)})
        name = NameObject(f"/AdamFigure{i}")
        resources = page["/Resources"].get_object()
        if "/XObject" not in resources:
            resources[NameObject("/XObject")] = DictionaryObject()
        resources["/XObject"].get_object()[name] = writer._add_object(form)
        scale = w / (box[2] - box[0])
        bottom = float(page.mediabox.height) - y - h            # PDF y runs upwards
        paint = DecodedStreamObject()
        paint.set_data(f"q {scale:.6f} 0 0 {scale:.6f} {x - box[0] * scale:.4f} "
                       f"{bottom - box[1] * scale:.4f} cm {name} Do Q\n".encode("ascii"))
        contents = page["/Contents"]
        streams = list(contents.get_object()) if isinstance(contents.get_object(), ArrayObject) else [contents]
        page[NameObject("/Contents")] = ArrayObject([*streams, writer._add_object(paint)])
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def uses_unicode_font(display: Display, context: dict) -> bool:
    """Whether some text of the output is outside Windows-1252 (so DejaVu is needed)."""
    texts = [context["study_line"], *context["output"].values(), *context["footnotes"],
             context.get("program", ""), context.get("template", ""), context.get("run", ""),
             getattr(context["study"], "data_cutoff", "")]
    for table in display.tables:
        texts += [table.caption, *table.columns, *(c for row in table.rows for c in row.cells),
                  *(label for label, _ in table.spanners)]
    if isinstance(display.figure, Panels):
        texts += display.figure.headings
    try:
        "\n".join(clean(t) for t in texts).encode(CORE_ENCODING)
    except UnicodeEncodeError:
        return True
    return False


@functools.lru_cache(maxsize=1)
def _measure() -> FPDF:
    document = FPDF(unit="pt")
    document.core_fonts_encoding = CORE_ENCODING
    return document


def string_width(text: str, size: float = CELL_SIZE, bold: bool = False) -> float:
    """Width (points) of ``text`` in the standard font, as a table cell prints it."""
    measure = _measure()
    measure.set_font(CORE_FONT, "B" if bold else "", size)
    try:
        return measure.get_string_width(clean(text))
    except Exception:           # a character outside Windows-1252: about the DejaVu width
        return len(text) * size * 0.55


def write_pdf(display: Display, context: dict, path: str | Path, inputs=()) -> Path:
    """Write the PDF of one output to ``path`` atomically (never over one of ``inputs``)."""
    return write_bytes(path, pdf_bytes(display, context), inputs)


def _run_datetime(run: str) -> datetime | None:
    try:
        return datetime.strptime(run, "%Y-%m-%d %H:%M UTC").replace(tzinfo=timezone.utc)
    except (TypeError, ValueError):
        return None


class _Document(FPDF):
    """One output's pages: :meth:`layout` prints them, :meth:`number_pages` then puts
    "Page x of y" on each."""

    def __init__(self, display: Display, ctx: dict):
        super().__init__(orientation="L" if display.landscape else "P", unit="pt", format="letter")
        self.display, self.ctx = display, ctx
        self._page_body_top: dict[int, float] = {}
        page = ctx["page"]
        self.margin = page.margin * PT_PER_TWIP
        self.edge = page.edge * PT_PER_TWIP
        self.text_w = page.text * PT_PER_TWIP
        self.figure_h = page.figure_h_in * 72
        self.alias_nb_pages(None)       # the total is printed as a number: '{nb}' in data stays
        self.set_margins(self.margin, page.top * PT_PER_TWIP, self.margin)
        self.set_auto_page_break(False)     # rows are placed (and pages broken) here
        self.c_margin = 0
        self.placed: list = []          # vector figures drawn in by _with_figures
        if uses_unicode_font(display, ctx):
            self.text_font = FONT
            for style, name in FONT_FILES.items():
                self.add_font(FONT, style, FONT_DIR / name)
        else:
            self.text_font = CORE_FONT
            self.core_fonts_encoding = CORE_ENCODING
        output = ctx["output"]
        self.set_title(clean(f"{output['number']}: {output['title']}"))
        self.set_author("adamant")
        self.set_creator("adamant reports/pdf.py (fpdf2)")
        when = _run_datetime(ctx.get("run", ""))
        if when is not None:            # same run stamp, same bytes
            self.set_creation_date(when)
        self.notes = [clean(n) for n in ctx["footnotes"]]
        self.stamp = self._stamp_lines()
        self.footer_h = self._footer_height()
        self.body_bottom = self.h - max(page.bottom * PT_PER_TWIP, self.edge + self.footer_h + 6)

    # text primitives -------------------------------------------------------------------
    def font(self, size: float, bold: bool = False) -> float:
        """Select the font; return its line height."""
        self.set_font(self.text_font, "B" if bold else "", size)
        return size * LEADING

    def lines(self, text, width: float) -> list[str]:
        """``text`` wrapped at ``width`` in the current font: at spaces, a word longer than
        the line at characters; line breaks in the text kept."""
        out = []
        for part in clean(text).split("\n"):
            line = ""
            for word in part.split(" "):
                trial = f"{line} {word}" if line else word
                if self.get_string_width(trial) <= width or not line and not word:
                    line = trial
                    continue
                if line:
                    out.append(line)
                while self.get_string_width(word) > width and len(word) > 1:
                    cut = max(1, next((k for k in range(len(word), 0, -1)
                                       if self.get_string_width(word[:k]) <= width), 1))
                    out.append(word[:cut])
                    word = word[cut:]
                line = word
            out.append(line)
        return out

    def put(self, lines: list[str], x: float, y: float, width: float, lh: float, align="L") -> float:
        """Print ``lines`` from ``y`` down; return the y below them."""
        for line in lines:
            self.set_xy(x, y)
            self.cell(width, lh, line, align=align)
            y += lh
        return y

    def rule(self, x0: float, x1: float, y: float, width_twips: int) -> None:
        self.set_line_width(width_twips * PT_PER_TWIP)
        self.line(x0, y, x1, y)

    # header and footer (fpdf2 calls these for each page) ---------------------------------
    def header(self) -> None:
        ctx, output = self.ctx, self.ctx["output"]
        left, width = self.margin, self.text_w
        lh = self.font(HEAD_SIZE)
        reserve = self.get_string_width(PAGE_LABEL_RESERVE) + 12    # "Page x of y": number_pages
        y = self.put(self.lines(ctx["study_line"], width - reserve), left, self.edge, width - reserve, lh)
        lh = self.font(TITLE_SIZE, bold=True)
        y = self.put(self.lines(output["number"], width), left, y + 6, width, lh, "C")
        y = self.put(self.lines(output["title"], width), left, y, width, lh, "C")
        lh = self.font(POP_SIZE)
        y = self.put(self.lines(output["population"], width), left, y, width, lh, "C") + 6
        self.set_y(max(y, self.t_margin))

    def number_pages(self) -> "_Document":
        """"Page x of y" at the right of each page's running header, once y is known."""
        last = self.page
        for number in range(1, last + 1):
            self.page = number
            # select the font afresh: fpdf2 would skip selecting the font it last used,
            # and this page's content stream ends in the footer's smaller font
            self.set_font(self.text_font, "", HEAD_SIZE + 1)
            lh = self.font(HEAD_SIZE)
            self.set_xy(self.margin, self.edge)
            self.cell(self.text_w, lh, f"Page {number} of {last}", align="R")
        self.page = last
        return self

    def _stamp_lines(self) -> list[list[tuple[str, str]]]:
        """The program / data cutoff / run line (left, centre and right tab stops as in the
        RTF), on two or three lines when the parts would overlap on one."""
        ctx = self.ctx
        left = clean(f"Program: {ctx['program']}; template: {ctx['template']}")
        cutoff = getattr(ctx["study"], "data_cutoff", "")
        centre = clean(f"Data cutoff: {cutoff}") if cutoff else ""
        right = clean(f"Run: {ctx['run']}")
        self.font(STAMP_SIZE)
        wl, wc, wr = (self.get_string_width(t) for t in (left, centre, right))
        half, gap = self.text_w / 2, 8
        if wl + gap <= half - wc / 2 and half + wc / 2 + gap <= self.text_w - wr:
            return [[("L", left), ("C", centre), ("R", right)]]
        if wl + gap <= self.text_w - wr and not centre:
            return [[("L", left), ("R", right)]]
        if wc + gap + wr <= self.text_w:
            return [[("L", left)], [("L", centre), ("R", right)]]
        return [[("L", left)], [("L", centre)], [("L", right)]]

    def _footer_height(self) -> float:
        lh = self.font(NOTE_SIZE)
        notes = sum(len(self.lines(n, self.text_w)) for n in self.notes) * lh
        return 4 + notes + 3 + len(self.stamp) * STAMP_SIZE * LEADING

    def footer(self) -> None:
        left, width = self.margin, self.text_w
        top = self.h - self.edge - self.footer_h
        self.set_draw_color(0)
        self.rule(left, left + width, top, 10)                  # \brdrt\brdrs\brdrw10
        lh = self.font(NOTE_SIZE)
        y = top + 4                                              # \brsp40 + \sb40
        for note in self.notes:
            y = self.put(self.lines(note, width), left, y, width, lh)
        lh = self.font(STAMP_SIZE)
        y += 3                                                   # \sb60
        for parts in self.stamp:
            for align, text in parts:
                self.set_xy(left, y)
                self.cell(width, lh, text, align=align)
            y += lh

    # body ------------------------------------------------------------------------------
    def layout(self) -> "_Document":
        self.add_page()
        display = self.display
        for part in BODIES.get(self.ctx["layout"], TABLES_ONLY):
            if part == "page":
                self.add_page()
            elif part == "figure" and display.figure is not None:
                self.figure(display.figure)
            elif part == "tables":
                for i, table in enumerate(display.tables):
                    if i:
                        self.set_y(self.get_y() + AFTER_TABLE)
                    self.table(table)
        return self

    def _room(self) -> float:
        """Height left for a figure from here (at most ``Page.figure_h_in``; footnotes
        filling the page: still 1 in)."""
        return min(self.figure_h, max(self.body_bottom - self.get_y(), 72.0))

    def figure(self, figure: Figure | Panels) -> None:
        if isinstance(figure, Panels):
            return self.panels(figure)
        top = self.get_y()
        w_pt, h_pt = figure.width_in * 72, figure.height_in * 72
        scale = min(self.text_w / w_pt, self._room() / h_pt)
        self._place(figure, self.margin + (self.text_w - w_pt * scale) / 2, top, scale)
        self.set_y(top + h_pt * scale)

    def _place(self, figure: Figure, x: float, y: float, scale: float) -> None:
        w, h = figure.width_in * 72 * scale, figure.height_in * 72 * scale
        if figure.pdf:
            self.placed.append((self.page, x, y, w, h, figure.pdf))
        else:
            self.image(io.BytesIO(figure.png), x=x, y=y, w=w, h=h, alt_text=clean(figure.alt))

    def panels(self, panels: Panels) -> None:
        """Each figure under its heading, as the RTF prints them: side by side or stacked
        at one scale, or one per page."""
        head = self.font(rtf.PANEL_HEAD_PT, bold=True) + 4
        gap = rtf.PANEL_GAP_IN * 72

        def scales() -> list[float]:
            return panels.scales(self.text_w / 72, self._room() / 72, head / 72, rtf.PANEL_GAP_IN)
        first = scales()
        row_w = sum(f.width_in * 72 * first[0] for f in panels.figures) + gap * (len(first) - 1)
        x, y, bottom = self.margin + (self.text_w - row_w) / 2, self.get_y(), self.get_y()
        for i, (figure, heading) in enumerate(zip(panels.figures, panels.headings)):
            if panels.one_per_page and i:
                self.add_page()
                y = self.get_y()
            scale = (scales() if panels.one_per_page else first)[i]
            w, h = figure.width_in * 72 * scale, figure.height_in * 72 * scale
            left = x if panels.side_by_side else self.margin + (self.text_w - w) / 2
            self._panel(figure, heading, left, y, scale, head)
            bottom = max(bottom, y + head + h) if panels.side_by_side else y + head + h
            if panels.side_by_side:
                x += w + gap
            else:
                y += head + h + gap
        self.set_y(bottom)

    def _panel(self, figure: Figure, heading: str, x: float, y: float, scale: float, head: float) -> None:
        lh = self.font(rtf.PANEL_HEAD_PT, bold=True)
        self.put([clean(heading)], x, y, self.text_w, lh)
        self._place(figure, x, y + head, scale)

    def table(self, table: Table) -> None:
        edges = [0.0] + [e * PT_PER_TWIP for e in rtf.cell_edges(table.widths, self.text_w / 72)]
        widths = [b - a for a, b in zip(edges, edges[1:])]
        left, right = self.margin, self.margin + edges[-1]
        lh_cell = CELL_SIZE * LEADING

        caption = []
        if table.caption:
            self.font(CELL_SIZE, bold=True)
            caption = self.lines(table.caption, self.text_w)
        self.font(CELL_SIZE, bold=True)
        head = [self.lines(c, w - 2 * CELL_GAP) for c, w in zip(table.columns, widths)]
        head_h = max(map(len, head)) * lh_cell + 2 * CELL_PAD
        spans = []                          # (x0, x1, lines) of each header spanner
        for (label, n), end in zip(table.spanners, table.spanner_ends()):
            x0, x1 = edges[end + 1 - n], edges[end + 1]
            spans.append((x0, x1, self.lines(label, x1 - x0 - 2 * CELL_GAP) if label else []))
        span_h = max((len(lines) for *_, lines in spans), default=0) * lh_cell + 2 * CELL_PAD if spans else 0.0
        rows = [self._row_cells(row, widths) for row in table.rows]
        heights = [max(len(c[2]) for c in cells) * lh_cell + 2 * CELL_PAD for cells in rows]

        def draw_head(y: float) -> float:
            self.font(CELL_SIZE, bold=True)
            self.rule(left, right, y, 15)
            for x0, x1, lines in spans:     # centred over their columns, a rule under each
                if lines:
                    self.put(lines, left + x0 + CELL_GAP, y + span_h - CELL_PAD - len(lines) * lh_cell,
                             x1 - x0 - 2 * CELL_GAP, lh_cell, "C")
                    self.rule(left + x0 + CELL_GAP, left + x1 - CELL_GAP, y + span_h, 10)
            y += span_h
            for (x0, w), lines in zip(zip(edges, widths), head):
                ytext = y + head_h - CELL_PAD - len(lines) * lh_cell        # \clvertalb
                self.put(lines, left + x0 + CELL_GAP, ytext, w - 2 * CELL_GAP, lh_cell,
                         "L" if x0 == 0 else "C")
            self.rule(left, right, y + head_h, 10)
            return y + head_h

        def need(i: int) -> float:
            """Row ``i``'s height, with the next row's when it is a group heading (kept
            with the row under it: no heading alone at the foot of a page)."""
            if i >= len(rows):
                return 0.0
            return heights[i] + (heights[i + 1] if table.rows[i].bold and i + 1 < len(rows) else 0.0)

        y = self.get_y()
        caption_h = (6 + len(caption) * lh_cell + 3) if caption else 0
        if y + caption_h + span_h + head_h + need(0) > self.body_bottom and y > self._body_top:
            self.add_page()                 # \keepn: caption, header and first row together
            y = self.get_y()
        if caption:
            self.font(CELL_SIZE, bold=True)
            y = self.put(caption, left, y + 6, self.text_w, lh_cell) + 3
        y = draw_head(y)
        on_page = 0                         # rows printed on this page
        for i, (cells, h) in enumerate(zip(rows, heights)):
            if y + need(i) > self.body_bottom and on_page:
                self.add_page()             # \trhdr: the header row again on the new page
                y = draw_head(self.get_y())
                on_page = 0
            on_page += 1
            for x0, w, lines, bold, align, indent in cells:
                self.font(CELL_SIZE, bold=bold)
                self.put(lines, left + x0 + CELL_GAP + indent, y + CELL_PAD,
                         w - 2 * CELL_GAP - indent, lh_cell, align)
            y += h
        self.rule(left, right, y, 15)       # under the last row
        self.set_y(y)

    def _row_cells(self, row: Row, widths: list[float]):
        """(x, width, lines, bold, align, indent) per printed cell of ``row``."""
        indent = INDENT * row.indent
        if row.spans:                       # a heading across the whole table
            self.font(CELL_SIZE, bold=True)
            total = sum(widths)
            return [(0.0, total, self.lines(row.cells[0], total - 2 * CELL_GAP - indent), True, "L", indent)]
        cells, x0 = [], 0.0
        for j, (text, w) in enumerate(zip(row.cells, widths)):
            bold = row.bold and j == 0
            self.font(CELL_SIZE, bold=bold)
            pad = indent if j == 0 else 0.0
            cells.append((x0, w, self.lines(text, w - 2 * CELL_GAP - pad), bold,
                          "L" if j == 0 else "C", pad))
            x0 += w
        return cells

    @property
    def _body_top(self) -> float:
        """The y where this page's body starts (below the header)."""
        return self._page_body_top.get(self.page, self.t_margin)

    def add_page(self, *args, **kwargs) -> None:
        super().add_page(*args, **kwargs)
        self._page_body_top[self.page] = self.get_y()
