"""Issue 21 item 11: figure text is drawn literally: a treatment label holding ``$...$``
is neither mathtext (``5$ and 6$`` -> ``5and6``) nor an error, in every figure program
(km, forest, consort) and in the table-only ones (subseq), in the PNG and in the SVG the
PDF draws as its vector figure."""

import re

import pytest

from reports.figures.style import literal_text, new_figure, to_figure
from reports.render import render_output, render_reports, run_stamp
from tests.reports.conftest import MM3_OUTPUTS

LABELS = ["5$ and 6$", r"$\frac{1$ arm"]      # mathtext would eat the first, fail on the second


def _hostile(ard, label):
    ard = ard.copy()
    for col in ("group", "subgroup"):
        ard[col] = ard[col].map(lambda v: v.replace("Ixazomib", label) if isinstance(v, str) else v)
    return ard


@literal_text
def _glyph_ids(char: str) -> set[bytes]:
    """The SVG glyph ids of ``char`` in the fonts the figures use."""
    fig = new_figure(1, 1)
    fig.text(0.1, 0.5, char)
    fig.text(0.1, 0.2, char, family="monospace")
    fig.text(0.5, 0.5, char, weight="bold")
    return set(re.findall(rb'<path id="([^"]+)"', to_figure(fig, "").svg))


def _uses(svg: bytes, ids: set[bytes]) -> int:
    return sum(svg.count(b'xlink:href="#' + i + b'"') for i in ids)


@pytest.mark.parametrize("label", LABELS)
@pytest.mark.parametrize("output", [o for o in MM3_OUTPUTS if o["program"] in ("km", "forest", "consort")][:3],
                         ids=lambda o: o["program"])
def test_figures_draw_dollars(ard_mm3, study_mm3, output, label):
    dollar = _glyph_ids("$")
    display, _, _ = render_output(_hostile(ard_mm3, label), study_mm3, dict(output), run_stamp())
    svg = display.figure.svg
    assert _uses(svg, dollar) >= label.count("$")        # the label is drawn, dollars and all
    plain, _, _ = render_output(_hostile(ard_mm3, label.replace("$", "")), study_mm3, dict(output), run_stamp())
    assert _uses(plain.figure.svg, dollar) == 0
    assert display.figure.png != plain.figure.png       # the dollars are drawn in the PNG too


def test_reports_with_dollar_labels(ard_mm3, study_mm3, tmp_path):
    ard = _hostile(ard_mm3, LABELS[1])
    written = render_reports(ard, study_mm3, tmp_path, formats=("html", "pdf"))
    assert any(p.suffix == ".pdf" for p in written)
    subseq = (tmp_path / "t1.html").read_text(encoding="utf-8")
    assert r"$\frac{1$ arm" in subseq
