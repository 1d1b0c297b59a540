"""The native PDF (reports/pdf.py, fpdf2): every program's output, page numbering with the
real total, the RTF's furniture on every page, tables that break with their header
repeated, vector figures, any Unicode text, nothing printed outside the margins."""

from __future__ import annotations

import dataclasses
import io
import re
import shutil
import subprocess
from datetime import datetime, timezone

import pytest
from fpdf import FPDF
from pypdf import PdfReader

from reports import pdf, render_reports
from reports.model import Display, Figure, Row, Table
from reports.render import TEMPLATES, Page, _context, render_output

RUN = datetime(2024, 1, 2, 3, 4, tzinfo=timezone.utc)
RUN_STAMP = "2024-01-02 03:04 UTC"
RUN_TEXT = f"Run: {RUN_STAMP}"
PILOT_KM = dict(id="ttde", program="km", analysis_id="TTDE", number="Figure 14-1", time_unit="days",
                title="Time to first dermatologic event", population="SAF")
# one output of each program (MM3 fixtures, and the pilot's three-arm Kaplan-Meier) and the
# pages it takes: Kaplan-Meier = figure page + table page
PAGES = {"t1": 1, "fig1": 1, "fig2": 2, "fig3": 1, "s1": 1, "s5": 2, "ttde": 2}   # s5: the methods footnote (issue 18) moves rows to page 2


def squash(text: str) -> str:
    return " ".join(text.split())


def page_texts(data: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(data)).pages]


def fragments(page, figure: bool = False) -> list[tuple[str, float, float, str, float]]:
    """(text, x, baseline y, font name, size) of every text show operation on a page; the
    figure's own text (matplotlib's Type 3 fonts) only with ``figure``."""
    out = []

    def visit(text, cm, tm, font, size):
        if font and font.get("/Subtype") == "/Type3" and not figure:
            return
        if text.strip():
            name = str(font.get("/BaseFont", "")) if font else ""
            out.append((text.strip(), tm[4] * cm[0] + cm[4], tm[5] * cm[3] + cm[5], name, size))
    page.extract_text(visitor_text=visit)
    return out


def images(obj, seen=None) -> list:
    """Image XObjects reachable from a page's resources, Form XObjects included."""
    seen = set() if seen is None else seen
    found = []
    resources = obj.get("/Resources")
    if resources is None:
        return found
    xobjects = resources.get_object().get("/XObject") or {}
    for ref in xobjects.values():
        key = getattr(ref, "idnum", id(ref))
        if key in seen:
            continue
        seen.add(key)
        xobj = ref.get_object()
        if xobj.get("/Subtype") == "/Image":
            found.append(xobj)
        elif xobj.get("/Subtype") == "/Form":
            found += images(xobj, seen)
    return found


def drawings(page) -> list[bytes]:
    """The content streams of the Form XObjects a page paints (the figures' drawings)."""
    xobjects = page["/Resources"].get_object().get("/XObject") or {}
    return [ref.get_object().get_data() for ref in xobjects.values()
            if ref.get_object().get("/Subtype") == "/Form"]


@pytest.fixture(scope="module")
def measure():
    """Width in points of a text fragment in the PDF's own font (Helvetica, or DejaVu Sans
    where the output holds text outside Windows-1252)."""
    doc = FPDF(unit="pt")
    doc.core_fonts_encoding = pdf.CORE_ENCODING
    for style, name in pdf.FONT_FILES.items():
        doc.add_font("m", style, pdf.FONT_DIR / name)

    def width(text: str, font: str, size: float) -> float:
        family = "helvetica" if "Helvetica" in font else "m"
        doc.set_font(family, "B" if "Bold" in font else "", size)
        return doc.get_string_width(text)
    return width


@pytest.fixture(scope="module")
def built(ard_mm3, ard_pilot, new_study, mm3_specs):
    """An output of each program: id -> (spec, study, display, template context, PDF bytes)."""
    study = new_study([mm3_specs[i] for i in PAGES if i in mm3_specs])
    study.footnotes = ["Study-wide note: values \u2265 0.5 \u00b1 SD, caf\u00e9 \u2013 \u00b5g/L."]
    pilot = new_study([PILOT_KM], "CDISCPILOT01", "CDISC pilot: xanomeline in mild to moderate Alzheimer's")
    out = {}
    for st, ard in ((study, ard_mm3), (pilot, ard_pilot)):
        for spec in st.outputs:
            display = render_output(ard, st, spec, RUN_STAMP)[0]
            ctx = _context(st, spec, display, "pdf", RUN_STAMP)
            out[spec["id"]] = (spec, st, display, ctx, pdf.pdf_bytes(display, ctx))
    return out


def test_render_reports_writes_a_pdf_per_output_linked_from_the_index(tmp_path, ard_mm3, ard_pilot,
                                                                        new_study, mm3_specs):
    study = new_study([mm3_specs["t1"], mm3_specs["fig2"]])
    paths = render_reports(ard_mm3, study, tmp_path, formats=("html", "pdf"), run_datetime=RUN)
    assert [p.name for p in paths] == ["t1.html", "t1.pdf", "fig2.html", "fig2.pdf", "fig2.png", "index.html"]
    index = (tmp_path / "index.html").read_text()
    assert 'href="t1.pdf"' in index and 'href="fig2.pdf"' in index
    assert "LibreOffice" not in index and "not produced" not in index
    assert not list(tmp_path.glob("*.rtf")) and not list(tmp_path.glob(".*.tmp"))    # no RTF detour
    fig2 = PdfReader(tmp_path / "fig2.pdf")
    assert len(fig2.pages) == 2 and RUN_TEXT in fig2.pages[1].extract_text()
    pilot = new_study([PILOT_KM], "CDISCPILOT01", "CDISC pilot")
    paths = render_reports(ard_pilot, pilot, tmp_path / "pilot", formats=("pdf",), run_datetime=RUN)
    assert [p.name for p in paths] == ["ttde.pdf", "ttde.png", "index.html"]


def test_every_program_type_gets_its_pdf(built):
    programs = {spec["program"] for spec, *_ in built.values()}
    assert programs == {"subseq", "consort", "km", "forest", "baseline", "efficacy"}
    for oid, (*_, data) in built.items():
        assert data.startswith(b"%PDF-") and data.rstrip().endswith(b"%%EOF"), oid


def test_page_count_size_and_page_x_of_y_on_every_page(built, measure):
    for oid, (spec, study, display, ctx, data) in built.items():
        reader = PdfReader(io.BytesIO(data))
        n = len(reader.pages)
        assert n == PAGES[oid], oid
        for i, page in enumerate(reader.pages, 1):
            box = [float(v) for v in page.mediabox]
            assert box == ([0, 0, 792, 612] if display.landscape else [0, 0, 612, 792]), oid
            labels = re.findall(r"Page (\d+) of (\d+)", page.extract_text())
            assert labels == [(str(i), str(n))], (oid, i)
            # in the running head's font, flush with the right margin, on the study line
            label = next(f for f in fragments(page) if f[0] == f"Page {i} of {n}")
            head = next(f for f in fragments(page) if f[0].startswith(ctx["study_line"][:20]))
            assert label[4] == pdf.HEAD_SIZE and "Bold" not in label[3], (oid, i)
            assert label[1] + measure(label[0], label[3], label[4]) == pytest.approx(box[2] - 54, abs=0.05)
            assert label[2] == pytest.approx(head[2]), (oid, i)
    assert built["fig2"][2].landscape and not built["t1"][2].landscape


def test_furniture_on_every_page_as_the_rtf_has_it(built):
    for oid, (spec, study, display, ctx, data) in built.items():
        for text in page_texts(data):
            flat = squash(text)
            assert squash(ctx["study_line"]) in flat
            assert squash(f"{ctx['output']['number']} {ctx['output']['title']} {ctx['output']['population']}") in flat
            for note in ctx["footnotes"]:
                assert squash(note) in flat, (oid, note)
            assert f"Program: reports/programs/{spec['program']}.py; template: reports/pdf.py" in flat
            assert "Data cutoff: 2023-09-08" in flat and RUN_TEXT in flat
    assert len(built["s5"][3]["footnotes"]) > len(built["s5"][2].footnotes)      # spec + study notes too
    # the study-wide footnote with its non-ASCII characters comes out as such
    assert "values \u2265 0.5 \u00b1 SD, caf\u00e9 \u2013 \u00b5g/L." in page_texts(built["t1"][4])[0]


def test_body_prints_what_the_rtf_template_prints(built):
    # tables: every cell of every table on the table page(s)
    for oid in ("t1", "s1", "s5", "fig2", "ttde"):
        display, data = built[oid][2], built[oid][4]
        flat = squash(" ".join(page_texts(data)))
        for table in display.tables:
            for cell in table.columns + [c for row in table.rows for c in row.cells]:
                assert squash(cell) in flat, (oid, cell)
    assert "288 (73.1)" in page_texts(built["t1"][4])[0]
    # CONSORT and forest print the figure only (their data table is the HTML's), as the RTF does
    for oid in ("fig1", "fig3"):
        display, data = built[oid][2], built[oid][4]
        printed = [f[0] for f in fragments(PdfReader(io.BytesIO(data)).pages[0])]   # not the figure's
        assert display.tables and display.tables[0].columns[0] not in printed, oid
    # Kaplan-Meier: the figure page holds no table, the table is on page 2
    km = page_texts(built["fig2"][4])
    assert "Patients with event, n" not in km[0] and "Patients with event, n" in km[1]


def test_bodies_follow_the_rtf_templates():
    """pdf.BODIES says what each program's RTF template includes, in the same order."""
    from reports.programs import PROGRAMS
    for program in PROGRAMS:
        text = (TEMPLATES / f"{program}.rtf.j2").read_text()
        tokens = re.findall(r'include "_(figure|tables)\.rtf\.j2"|(\\page)\b', text)
        parts = [include or "page" for include, _ in tokens]
        assert tuple(parts) == pdf.BODIES.get(program, pdf.TABLES_ONLY), program


def test_figures_are_vector_graphics(built):
    # the plot is drawn: path segments (boxes and arrows of the flow diagram, the forest's
    # lines; hundreds for the curves, whose censoring marks are Form XObjects), filled and
    # stroked
    for oid, segments in (("fig1", 50), ("fig2", 200), ("fig3", 25), ("ttde", 100)):
        page = PdfReader(io.BytesIO(built[oid][4])).pages[0]
        assert images(page) == [], oid
        ops = page.get_contents().get_data() + b"".join(drawings(page))
        assert len(re.findall(rb" [lc]\b", ops)) > segments, oid
        strokes = re.findall(rb"(?<=\s)[SBb]\*?(?=\s)", ops)        # stroke, fill and stroke
        fills = re.findall(rb"(?<=\s)[fBb]\*?(?=\s)", ops)          # fill, fill and stroke
        assert len(strokes) > 10 and len(fills) > 5, oid
    # the check above can see a raster image: the same figure without its vector drawing
    # embeds the PNG
    spec, study, display, ctx, _ = built["fig2"]
    fig = display.figure
    png_only = dataclasses.replace(display, figure=Figure(png=fig.png, alt=fig.alt, width_in=fig.width_in,
                                                          height_in=fig.height_in))
    raster = pdf.pdf_bytes(png_only, ctx)
    assert len(images(PdfReader(io.BytesIO(raster)).pages[0])) == 1


def test_figure_drawing_is_the_png_figure(built):
    """The vector drawing carries the figure the PNG shows: one page of the same size, its
    text as text (the arms' names), no raster, no timestamp (reproducible bytes)."""
    figure = built["fig2"][2].figure
    reader = PdfReader(io.BytesIO(figure.pdf))
    assert len(reader.pages) == 1 and images(reader.pages[0]) == []
    box = [float(v) for v in reader.pages[0].mediabox]
    assert (box[2] / 72, box[3] / 72) == pytest.approx((figure.width_in, figure.height_in))
    drawn = reader.pages[0].extract_text()
    assert "Ixazomib" in drawn and "Placebo" in drawn and "Number at risk" in drawn
    assert b"CreationDate" not in figure.pdf


def test_figure_scaled_inside_the_body(built, monkeypatch):
    """A figure fits the text width and the height between the title block and footnotes,
    however tall it is or however many footnotes the page has."""
    placed = []
    real = pdf._Document.figure

    def spy(self, figure):
        real(self, figure)
        _, x, y, w, h, _ = self.placed[-1]
        placed.append((x, y, w, h, self.body_bottom, self.h - self.edge - self.footer_h))
    monkeypatch.setattr(pdf._Document, "figure", spy)
    spec, study, display, _, _ = built["fig3"]
    display = dataclasses.replace(display)
    spec = dict(spec, footnotes=[f"Extra footnote {i}: " + "word " * 40 for i in range(6)])
    for fig in (display.figure, Figure(png=display.figure.png, pdf=display.figure.pdf, alt="tall",
                                       width_in=display.figure.width_in, height_in=20.0)):
        display.figure = fig
        data = pdf.pdf_bytes(display, _context(study, spec, display, "pdf", RUN_STAMP))
        assert len(PdfReader(io.BytesIO(data)).pages) == 1
    page = Page(True)
    for x, y, w, h, body_bottom, footer_top in placed:
        assert x >= page.margin / 20 - 0.01 and x + w <= (page.width - page.margin) / 20 + 0.01
        assert y > 60 and y + h <= body_bottom <= footer_top
    x, y, w, h, body_bottom, _ = placed[1]     # the tall one: scaled down to the height left
    assert y + h == pytest.approx(body_bottom) and w < page.text / 20 / 2


@pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="poppler's pdftoppm not installed")
def test_figure_in_the_pdf_looks_like_the_png(built, monkeypatch, tmp_path):
    """Rasterized at the PNG's resolution, the PDF's figure is the PNG up to anti-aliasing:
    nothing missing, moved or restyled (a missing curve or label would differ by far more)."""
    import numpy as np
    from PIL import Image
    placed = []
    real = pdf._Document.figure

    def spy(self, figure):
        real(self, figure)
        placed.append(self.placed[-1][1:5])
    monkeypatch.setattr(pdf._Document, "figure", spy)
    for oid in ("fig2", "fig3"):
        spec, study, display, ctx, _ = built[oid]
        placed.clear()
        (tmp_path / "f.pdf").write_bytes(pdf.pdf_bytes(display, ctx))
        x, y, w, h = placed[0]
        png = Image.open(io.BytesIO(display.figure.png)).convert("RGB")
        dpi = png.width / w * 72
        subprocess.run(["pdftoppm", "-r", f"{dpi:.4f}", "-f", "1", "-l", "1", "-png",
                        "-x", str(round(x * dpi / 72)), "-y", str(round(y * dpi / 72)),
                        "-W", str(png.width), "-H", str(png.height), str(tmp_path / "f.pdf"),
                        str(tmp_path / "r")], check=True)
        raster = Image.open(next(tmp_path.glob("r*.png"))).convert("RGB")
        assert raster.size == png.size
        small = (png.width // 4, png.height // 4)
        a = np.asarray(png.convert("L").resize(small, Image.BILINEAR), float)
        b = np.asarray(raster.convert("L").resize(small, Image.BILINEAR), float)
        assert np.abs(a - b).mean() < 4, oid           # nothing moved
        # nothing missing or recoloured: as many pixels of each ink in both (poppler's
        # anti-aliasing is crisper, so the PDF has somewhat more full-colour pixels)
        for ink, low, high in (((0, 114, 178), 0.9, 1.35), ((213, 94, 0), 0.9, 1.35), ((0, 0, 0), 0.9, 2.0)):
            count_png, count_pdf = (int((np.abs(np.asarray(im.convert("RGB"), int) - ink).sum(2) < 90).sum())
                                    for im in (png, raster))
            assert low * count_png <= count_pdf <= high * count_png + 10, (oid, ink, count_png, count_pdf)
        for f in tmp_path.glob("r*.png"):
            f.unlink()


def long_table_display() -> Display:
    rows = []
    for g in range(24):             # groups of 1 to 7 rows: some heading falls at a page foot
        rows.append(Row([f"Group {g} \u2265 \u00b5", "", ""], bold=True))
        rows += [Row([f"Item {g}.{k}", f"{g * k} (\u00b1{k}.0)", f"v{g}.{k}"], indent=1)
                 for k in range(1 + (g * 5 + 4) % 7)]
    table = Table(["Parameter", "Arm A\n(N=100)", "Arm B (N=99)"], rows, caption="Caption of the long table")
    return Display(tables=[table], footnotes=["A footnote on every page."])


def test_long_table_breaks_with_its_header_repeated(new_study, measure):
    spec = dict(id="long", program="baseline", analysis_id="X", number="Table 99", title="A long table",
                population="ITT")
    study = new_study([spec])
    display = long_table_display()
    data = pdf.pdf_bytes(display, _context(study, spec, display, "pdf", "2024-01-02 03:04 UTC"))
    reader = PdfReader(io.BytesIO(data))
    n = len(reader.pages)
    assert n >= 3
    labels, values = [], {}
    for i, page in enumerate(reader.pages, 1):
        frags = fragments(page)
        texts = [f[0] for f in frags]
        assert f"Page {i} of {n}" in texts
        # the header row once per page, above every body row of that page
        for head in ("Parameter", "Arm A", "(N=100)", "Arm B (N=99)"):
            assert texts.count(head) == 1, (i, head)
        head_y = next(f[2] for f in frags if f[0] == "Parameter")
        body = [f for f in frags if f[0].startswith(("Item", "Group"))]
        assert body and all(f[2] < head_y for f in body)
        assert ("Caption of the long table" in texts) == (i == 1)            # the caption is not repeated
        # a group heading is never the last row of a page
        last = min(body, key=lambda f: f[2])
        assert last[0].startswith("Item"), (i, last)
        for text, x, y, font, size in body:
            labels.append(text)
            if text.startswith("Item"):
                # a row is never split: its values on the same page, same baseline
                g, k = map(int, text.split()[1].split("."))
                row = {f[0] for f in frags if abs(f[2] - y) < 0.01}
                assert {f"{g * k} (\u00b1{k}.0)", f"v{g}.{k}"} <= row
                values[text] = x
            else:
                assert "Bold" in font                                # group rows bold
    expected = [r.cells[0] for r in display.tables[0].rows]
    assert labels == expected                                         # every row once, in order
    group_x = min(f[1] for p in reader.pages for f in fragments(p) if f[0].startswith("Group"))
    assert all(x == pytest.approx(group_x + 12) for x in values.values())   # indent 240 twips


def test_text_stays_inside_the_margins(built, measure):
    for oid, (*_, data) in built.items():
        for page in PdfReader(io.BytesIO(data)).pages:
            width, height = float(page.mediabox[2]), float(page.mediabox[3])
            for text, x, y, font, size in fragments(page):
                right = x + measure(text, font, size)
                assert x >= 54 - 0.01 and right <= width - 54 + 0.01, (oid, text)
                assert 0.35 * 72 - size < y < height - 0.35 * 72, (oid, text)


def test_long_footnotes_and_titles_wrap_inside_the_margins(new_study, measure):
    long = "Abbreviations: " + ", ".join(f"TERM{i}: a long explanation of term {i}" for i in range(30))
    unbroken = "x" * 400
    spec = dict(id="t", program="subseq", analysis_id="X", number="Table 1", population="SAF",
                title="A title long enough to need two lines " * 4, footnotes=[long, unbroken])
    study = new_study([spec])
    display = Display(tables=[Table(["Class", "A", "B"], [Row(["One", "1 (1.0)", "2 (2.0)"])])])
    data = pdf.pdf_bytes(display, _context(study, spec, display, "pdf", "run"))
    page = PdfReader(io.BytesIO(data)).pages[0]
    frags = fragments(page)
    for text, x, y, font, size in frags:
        assert 54 - 0.01 <= x and x + measure(text, font, size) <= 612 - 54 + 0.01, text
    flat = squash(page.extract_text())
    assert squash(long) in flat and squash(spec["title"]) in flat
    assert "".join(f[0] for f in frags if set(f[0]) == {"x"}) == unbroken     # cut, nothing lost
    # the table sits above the footnotes however many lines they take
    note_top = max(f[2] for f in frags if f[0].startswith("Abbreviations"))
    assert min(f[2] for f in frags if f[0] == "One") > note_top


def test_any_unicode_prints_and_nothing_crashes(new_study):
    chars = "\u2265 \u2264 \u00b1 \u2013 \u2014 \u00b5 \u00e9 \u00fc \u00df \u03a9 \u00d7 \u221a \u2030 \u0416"
    spec = dict(id="u", program="subseq", analysis_id="X", number="Table \u2116 1", population="SAF",
                title=f"Unicode {chars}", footnotes=[f"Note {chars}", "Keeps {nb} and \\par {\\b x} as text",
                                                      "Control \x00\x07 chars, lone \ud800 surrogate, CJK \u4e2d, "
                                                      "emoji \U0001f600, tab\there"])
    study = new_study([spec])
    display = Display(tables=[Table(["Class", "A\u2265", "B"], [Row([chars, "\u00b15", "\u2014"], bold=True)])])
    data = pdf.pdf_bytes(display, _context(study, spec, display, "pdf", "run"))
    text = PdfReader(io.BytesIO(data)).pages[0].extract_text()
    for token in chars.split() + ["Table \u2116 1", "A\u2265", "\u00b15"]:
        assert token in text, token
    assert "Keeps {nb} and \\par {\\b x} as text" in text       # no page-count alias, no RTF
    assert "chars, lone \ufffd surrogate, CJK" in text and "\x00" not in text and "\x07" not in text
    assert "tab here" in text


def test_clean():
    assert pdf.clean(None) == ""
    assert pdf.clean("a\tb\r\nc\rd\x00\x1b\x7f\x85e") == "a b\nc\nde"
    assert pdf.clean("x\ud800y") == "x\ufffdy"
    assert pdf.clean("\u2265 \u00b5 \U0001f600") == "\u2265 \u00b5 \U0001f600"


def test_same_run_same_bytes(built):
    spec, study, display, ctx, data = built["fig2"]
    assert pdf.pdf_bytes(display, ctx) == data
    info = PdfReader(io.BytesIO(data)).metadata
    assert info["/CreationDate"].startswith("D:20240102030400") and info["/Title"].startswith("Figure 2")


def test_write_pdf_is_atomic_and_never_over_an_input(tmp_path, built):
    from adam.errors import OutputError
    spec, study, display, ctx, data = built["t1"]
    target = pdf.write_pdf(display, ctx, tmp_path / "t1.pdf")
    assert target.read_bytes() == data and [p.name for p in tmp_path.iterdir()] == ["t1.pdf"]
    source = tmp_path / "ard.csv"
    source.write_text("x")
    with pytest.raises(OutputError, match="overwrite an input"):
        pdf.write_pdf(display, ctx, source, inputs=[source])
    assert source.read_text() == "x"
