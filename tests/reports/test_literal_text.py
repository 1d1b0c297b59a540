"""Issue 21 item 11: figure text is drawn literally: a treatment label holding ``$...$``
is neither mathtext (``5$ and 6$`` -> ``5and6``) nor an error, in every figure program
(km, forest, consort) and in the table-only ones (subseq), in the PNG and in the vector
PDF drawing the PDF outputs place on their pages (its text read back with pypdf)."""

import io

import pytest
from pypdf import PdfReader

from reports.render import render_output, render_reports, run_stamp
from tests.reports.conftest import MM3_OUTPUTS

LABELS = ["5$ and 6$", r"$\frac{1$ arm"]      # mathtext would eat the first, fail on the second


def _hostile(ard, label):
    ard = ard.copy()
    for col in ("group", "subgroup"):
        ard[col] = ard[col].map(lambda v: v.replace("Ixazomib", label) if isinstance(v, str) else v)
    return ard


def _drawn_text(figure) -> str:
    """The text of a figure's vector drawing, as a PDF reader extracts it."""
    return PdfReader(io.BytesIO(figure.pdf)).pages[0].extract_text()


@pytest.mark.parametrize("label", LABELS)
@pytest.mark.parametrize("output", [o for o in MM3_OUTPUTS if o["program"] in ("km", "forest", "consort")][:3],
                         ids=lambda o: o["program"])
def test_figures_draw_dollars(ard_mm3, study_mm3, output, label):
    display, _, _ = render_output(_hostile(ard_mm3, label), study_mm3, dict(output), run_stamp())
    drawn = _drawn_text(display.figure)
    assert drawn.count("$") >= label.count("$")          # the label is drawn, dollars and all
    assert label.replace("$", "") not in drawn.replace("$" + "", "$")   # not eaten as mathtext
    plain, _, _ = render_output(_hostile(ard_mm3, label.replace("$", "")), study_mm3, dict(output), run_stamp())
    assert "$" not in _drawn_text(plain.figure)
    assert display.figure.png != plain.figure.png       # the dollars are drawn in the PNG too


def test_reports_with_dollar_labels(ard_mm3, study_mm3, tmp_path):
    ard = _hostile(ard_mm3, LABELS[1])
    written = render_reports(ard, study_mm3, tmp_path, formats=("html", "pdf"))
    assert any(p.suffix == ".pdf" for p in written)
    subseq = (tmp_path / "t1.html").read_text(encoding="utf-8")
    assert r"$\frac{1$ arm" in subseq
