"""Render every output of a study from its ARD: HTML, RTF and PDF per output, PNG per
figure, and an ``index.html`` linking them all. HTML and RTF are Jinja templates; the PDF
is printed by :mod:`reports.pdf` from the same display and context."""

from __future__ import annotations

import functools
import re
import os
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from pathlib import Path

import jinja2
import pandas as pd

from adam.ard import COLUMNS
from adam.errors import InputError, UsageError
from adam.io.atomic import write_bytes, write_text
from reports import rtf
from reports.model import Display, Figure, Panels, Table
from reports.pdf import pdf_bytes
from reports.programs import PROGRAMS
from reports.programs.common import population_label

FORMATS = ("html", "rtf", "pdf")
SPEC_KEYS = {"id", "program", "analysis_id", "analysis_ids", "number", "title", "population",
             "footnotes", "labels", "contrast", "overall_analysis_id", "ylabel", "time_unit",
             "row_header", "safety_analysis_id", "p_values", "exploratory", "publication_title"}
TEMPLATES = Path(__file__).parent / "templates"
SAFE_ID = re.compile(r"[A-Za-z0-9_][A-Za-z0-9._-]*")


class Page:
    """RTF page geometry in twips: US letter, margins 0.75 in (0.6 in top/bottom),
    header/footer 0.35 in from the edge; ``figure_h_in`` leaves room for title and footnotes."""

    margin, top, bottom, edge = rtf.twips(0.75), rtf.twips(0.6), rtf.twips(0.6), rtf.twips(0.35)

    def __init__(self, landscape: bool):
        self.landscape = landscape
        width_in, height_in = (11.0, 8.5) if landscape else (8.5, 11.0)
        self.width, self.height = rtf.twips(width_in), rtf.twips(height_in)
        self.text = self.width - 2 * self.margin
        self.half = self.text // 2
        self.figure_h_in = height_in - 3.1


@functools.lru_cache(maxsize=1)
def _environments() -> tuple[jinja2.Environment, jinja2.Environment]:
    """The HTML environment (autoescape on) and the RTF one (RTF-escaping finalize hook,
    angle-bracket delimiters because braces are RTF syntax)."""
    loader = jinja2.FileSystemLoader(TEMPLATES)
    html = jinja2.Environment(loader=loader, autoescape=True, trim_blocks=True, lstrip_blocks=True,
                              undefined=jinja2.StrictUndefined)
    rtf_env = jinja2.Environment(loader=loader, autoescape=False, finalize=rtf.escape,
                                 trim_blocks=True, lstrip_blocks=True, undefined=jinja2.StrictUndefined,
                                 block_start_string="<%", block_end_string="%>",
                                 variable_start_string="<<", variable_end_string=">>",
                                 comment_start_string="<#", comment_end_string="#>")
    return html, rtf_env


def run_stamp(when: datetime | None = None) -> str:
    """Run date-time (UTC); ``SOURCE_DATE_EPOCH`` fixes it for reproducible builds."""
    if when is None:
        epoch = os.environ.get("SOURCE_DATE_EPOCH")
        when = (datetime.fromtimestamp(int(epoch), timezone.utc) if epoch and epoch.isdigit()
                else datetime.now(timezone.utc))
    return when.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


def study_line(study) -> str:
    """Running head: the study title, prefixed by the study id unless it already starts so."""
    title = str(getattr(study, "title", "") or "")
    sid = str(study.studyid)
    return title if title.startswith(sid) else f"{sid}: {title}" if title else sid


def check_spec(spec: dict) -> None:
    """A :class:`UsageError` naming the output for an unknown key or program."""
    name = spec.get("id", "?")
    unknown = set(spec) - SPEC_KEYS
    if unknown:
        raise UsageError(f"output {name}: unknown key(s) {', '.join(sorted(unknown))}")
    if "id" not in spec or "program" not in spec:
        raise UsageError(f"output {name}: 'id' and 'program' are required")
    if not SAFE_ID.fullmatch(str(spec["id"])):
        raise UsageError(f"output {name}: id must be a plain file name (letters, digits, '.', '_', '-')")
    if spec["program"] not in PROGRAMS:
        raise UsageError(f"output {name}: unknown program {spec['program']!r} "
                         f"(one of {', '.join(PROGRAMS)})")
    if spec["program"] != "efficacy" and "analysis_id" not in spec:
        raise UsageError(f"output {name}: 'analysis_id' is required for program {spec['program']}")


def footnotes(study, spec: dict, display: Display) -> list[str]:
    """An output's footnotes: its program's, then its spec's, then the study-wide ones."""
    return (list(display.footnotes) + list(spec.get("footnotes", []))
            + list(getattr(study, "footnotes", None) or []))


def _context(study, spec: dict, display: Display, kind: str, run: str, program_line: str = "") -> dict:
    """What a template (or, for ``kind`` "pdf", :mod:`reports.pdf`) prints around the
    display; ``program_line``: the program named in the footer (default: the spec's)."""
    page = Page(display.landscape)
    program = spec["program"]
    template = "reports/pdf.py" if kind == "pdf" else f"{program}.{kind}.j2"
    return {
        "study": study, "display": display, "run": run, "page": page,
        "study_line": study_line(study),
        "output": {"id": spec["id"], "number": spec.get("number", spec["id"]),
                   "title": spec.get("title", ""),
                   "population": population_label(spec.get("population", ""))},
        "footnotes": footnotes(study, spec, display),
        "program": program_line or f"reports/programs/{program}.py", "template": template, "layout": program,
    }


def _rtf_globals(page: Page):
    def cell_edges(table: Table) -> list[int]:
        return rtf.cell_edges(table.widths, page.text / rtf.TWIPS_PER_INCH)

    def picture(figure) -> rtf.Raw:
        box_w = page.text / rtf.TWIPS_PER_INCH
        if isinstance(figure, Panels):
            return rtf.panels(figure, box_w, page.figure_h_in)
        scale = min(box_w / figure.width_in, page.figure_h_in / figure.height_in)
        return rtf.picture(figure.png, figure.width_in * scale, figure.height_in * scale)
    return {"cell_edges": cell_edges, "picture": picture}


def normalise_ard(ard: pd.DataFrame) -> pd.DataFrame:
    """The ARD as the programs expect it whatever its origin (``read_ard`` or an in-memory
    frame): text columns str with '' for empty, ``stat_value``/``timepoint`` float."""
    missing = [c for c in COLUMNS if c not in ard.columns]
    if missing:
        raise InputError(f"not an ARD: missing column(s) {', '.join(missing)}")
    out = ard.copy()
    for col in COLUMNS:
        if col in ("stat_value", "timepoint"):
            blank = out[col].astype(str).str.strip() == ""
            out[col] = pd.to_numeric(out[col].mask(blank), errors="coerce").astype(float)
        else:
            out[col] = out[col].fillna("").astype(str)
    return out


def render_output(ard: pd.DataFrame, study, spec: dict, run: str) -> tuple[Display, str, str]:
    """Build one output: its display, HTML text and RTF text."""
    check_spec(spec)
    display = PROGRAMS[spec["program"]].build(normalise_ard(ard), study, spec)
    return (display, *_texts(Output(study, spec, display), run))


@dataclass
class Output:
    """One output to write: its display, the study and output spec its templates print
    around it (``spec["id"]`` is the file stem), the program named in its footer."""
    study: object
    spec: dict
    display: Display
    program_line: str = ""


def _texts(output: Output, run: str) -> tuple[str, str]:
    """The HTML and RTF of an output."""
    study, spec, display = output.study, output.spec, output.display
    html_env, rtf_env = _environments()
    html = html_env.get_template(f"{spec['program']}.html.j2").render(
        _context(study, spec, display, "html", run, output.program_line))
    rtf_ctx = (_context(study, spec, display, "rtf", run, output.program_line)
               | _rtf_globals(Page(display.landscape)))
    return html, rtf_env.get_template(f"{spec['program']}.rtf.j2").render(rtf_ctx).lstrip()


def checked_formats(formats) -> tuple[str, ...]:
    formats = tuple(formats)
    bad = [f for f in formats if f not in FORMATS]
    if bad:
        raise UsageError(f"unknown format(s) {', '.join(bad)} (choose from {', '.join(FORMATS)})")
    return formats


def render_reports(ard: pd.DataFrame, study, out_dir: Path, formats=FORMATS,
                   run_datetime: datetime | None = None, displays: dict | None = None) -> list[Path]:
    """Write every output of ``study.outputs`` in ``formats`` to ``out_dir``; return the paths
    written (per output HTML, RTF, PDF, figure PNG, then ``index.html``). ``displays``: a
    dict given here gets each output's display by id, its figure as the bytes written
    (:func:`detached`), e.g. for a publication set (:mod:`reports.publication`)."""
    formats = checked_formats(formats)
    ids = [str(spec.get("id")) for spec in study.outputs]
    repeated = sorted({i for i in ids if ids.count(i) > 1})
    if repeated:
        raise UsageError(f"output id(s) used more than once: {', '.join(repeated)}")
    ard = normalise_ard(ard)
    outputs = []
    for spec in study.outputs:
        check_spec(spec)
        outputs.append(Output(study, spec, PROGRAMS[spec["program"]].build(ard, study, spec)))
    written = write_outputs(outputs, out_dir, formats, study, run_stamp(run_datetime))
    if displays is not None:
        displays.update({o.spec["id"]: detached(o.display, formats) for o in outputs})
    return written


def write_outputs(outputs: list[Output], out_dir: Path, formats, index_study, run: str) -> list[Path]:
    """Write each output in ``formats`` (and its figure as PNG: one file per panel of a
    :class:`Panels`, ``<id>-A.png`` ...) and an ``index.html`` (headed by
    ``index_study``) linking them; return the paths written. Every text is made before a
    file is written: an output that cannot be made leaves no partial set behind."""
    out_dir = Path(out_dir)
    rendered = []
    for output in outputs:
        html, rtf_text = _texts(output, run)
        pdf = (pdf_bytes(output.display, _context(output.study, output.spec, output.display, "pdf", run,
                                                  output.program_line))
               if "pdf" in formats else None)
        rendered.append((output, html, rtf_text, pdf))
    written: list[Path] = []
    entries = []
    for output, html, rtf_text, pdf in rendered:
        spec, figure = output.spec, output.display.figure
        stem = spec["id"]
        files = []
        if "html" in formats:
            written.append(write_text(out_dir / f"{stem}.html", html))
            files.append(("HTML", f"{stem}.html"))
        if "rtf" in formats:
            written.append(write_text(out_dir / f"{stem}.rtf", rtf_text, encoding="ascii"))
            files.append(("RTF", f"{stem}.rtf"))
        if pdf is not None:
            written.append(write_bytes(out_dir / f"{stem}.pdf", pdf))
            files.append(("PDF", f"{stem}.pdf"))
        pngs = ([(f"PNG {letter}", f"{stem}-{letter}.png", f.png) for letter, f in zip(figure.letters, figure.figures)]
                if isinstance(figure, Panels) else [("PNG", f"{stem}.png", figure.png)] if figure is not None else [])
        for kind, name, png in pngs:
            written.append(write_bytes(out_dir / name, png))
            files.append((kind, name))
        entries.append({"number": spec.get("number", stem), "title": spec.get("title", ""),
                        "population": population_label(spec.get("population", "")), "files": files})
    html_env, _ = _environments()
    index = html_env.get_template("index.html.j2").render(study=index_study, entries=entries,
                                                          study_line=study_line(index_study), run=run)
    written.append(write_text(out_dir / "index.html", index))
    return written


def detached(display: Display, formats) -> Display:
    """``display`` with its figure as the bytes already rendered for ``formats`` (PNG;
    SVG for HTML, the vector PDF for PDF), not the drawing: small to keep and to send."""
    figure = display.figure
    if isinstance(figure, Figure):
        figure = Figure(width_in=figure.width_in, height_in=figure.height_in, alt=figure.alt, png=figure.png,
                        svg=figure.svg if "html" in formats else b"", pdf=figure.pdf if "pdf" in formats else b"")
    return replace(display, figure=figure)
