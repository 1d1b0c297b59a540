"""render_reports end to end: files, index, RTF well-formedness, escaping (PDF: test_pdf.py)."""

import base64
import re

from datetime import datetime, timezone

import pytest

from reports import render_reports, rtf

RUN = datetime(2024, 1, 2, 3, 4, tzinfo=timezone.utc)


@pytest.fixture(scope="module")
def rendered(tmp_path_factory, ard_mm3, new_study, mm3_specs):
    out = tmp_path_factory.mktemp("tlf")
    study = new_study(list(mm3_specs.values()))
    paths = render_reports(ard_mm3, study, out, formats=("html", "rtf"), run_datetime=RUN)
    return out, paths, study


@pytest.mark.smoke
def test_one_file_per_output_per_format_and_index(rendered):
    out, paths, study = rendered
    names = {p.name for p in paths}
    for spec in study.outputs:
        assert {f"{spec['id']}.html", f"{spec['id']}.rtf"} <= names
    assert paths[-1] == out / "index.html"
    index = (out / "index.html").read_text()
    for spec in study.outputs:
        assert f'href="{spec["id"]}.html"' in index and f'href="{spec["id"]}.rtf"' in index
    assert not list(out.glob("*.pdf")) and not list(out.glob(".*.tmp"))


def test_figures_are_real_pngs(rendered):
    out, _, _ = rendered
    for stem in ("fig1", "fig2", "fig3", "fig4", "fig5", "fig6", "fig7", "fs1"):
        png = (out / f"{stem}.png").read_bytes()
        width, height = rtf.png_size(png)
        assert len(png) > 20_000 and width >= 2000 and height >= 1200, stem


def test_rtf_pictures_print_at_300_dpi_at_least(rendered):
    """Issue 18: each RTF figure has at least 300 pixels per inch of the size it is shown at."""
    out, _, _ = rendered
    for stem in ("fig1", "fig2", "fig3", "fs1"):
        text = (out / f"{stem}.rtf").read_text(encoding="ascii")
        picw, goal = (int(re.search(rf"\\{key}(\d+)", text).group(1)) for key in ("picw", "picwgoal"))
        assert picw / (goal / 1440) >= 300, stem


def test_html_figures_are_svg_vector_graphics(rendered, ard_mm3):
    """Issue 18: the HTML figure is an SVG drawing (paths, no embedded raster), the same
    bytes on every render (no date, fixed ids)."""
    out, _, study = rendered
    for stem in ("fig2", "fig3"):
        html = (out / f"{stem}.html").read_text()
        svg = base64.b64decode(re.search(r'src="data:image/svg\+xml;base64,([^"]+)"', html).group(1))
        assert svg.lstrip().startswith(b"<?xml") and b"<svg" in svg and b"<path" in svg, stem
        assert b"<image" not in svg and b"<dc:date>" not in svg, stem
    again = out.parent / "again"
    render_reports(ard_mm3, study, again, formats=("html",), run_datetime=RUN)
    assert (again / "fig2.html").read_bytes() == (out / "fig2.html").read_bytes()


@pytest.mark.smoke
def test_table1_cells_in_html_and_rtf(rendered):
    out, _, _ = rendered
    html = (out / "t1.html").read_text()
    text = (out / "t1.rtf").read_text(encoding="ascii")
    for cell in ("288 (73.1)", "190 (73.4)", "138 (35.0)", "74 (28.6)", "105 (26.6)", "71 (27.4)"):
        assert f"<td>{cell}</td>" in html
        assert f" {cell}\\cell" in text
    assert "Ixazomib (N=394)" in html and "Placebo (N=259)" in text


def test_rtf_is_well_formed_with_submission_furniture(rendered):
    out, _, _ = rendered
    for path in out.glob("*.rtf"):
        text = path.read_text(encoding="ascii")
        assert text.startswith("{\\rtf1") and text.rstrip().endswith("}"), path.name
        assert rtf.balanced(text), path.name
        assert "{\\field{\\*\\fldinst PAGE}" in text and "{\\field{\\*\\fldinst NUMPAGES}" in text
        assert "{\\footer" in text and "Data cutoff: 2023-09-08" in text and "Run: 2024-01-02 03:04 UTC" in text
    fig = (out / "fig2.rtf").read_text()
    assert "\\landscape" in fig and "\\pngblip" in fig and "template: km.rtf.j2" in fig
    assert "\\trowd" in (out / "t1.rtf").read_text() and "\\trhdr" in (out / "t1.rtf").read_text()
    # footnotes, including those of the spec, sit in the footer group (every page)
    eff = (out / "s5.rtf").read_text()
    footer = eff[eff.index("{\\footer"):]
    assert "Study-level footnote from the spec." in footer[:footer.index("\\par}") + 5]


def test_html_furniture(rendered):
    out, _, _ = rendered
    assert '<td class="indent-0" colspan="5">Overall survival</td>' in (out / "s5.html").read_text()
    html = (out / "fig2.html").read_text()
    assert "Figure 2" in html and "Intent-to-treat population" in html
    assert 'src="data:image/svg+xml;base64,' in html and "data:image/png" not in html
    assert 'counter(pages)' in html and "Program: reports/programs/km.py; template: km.html.j2" in html


def test_markup_in_data_is_escaped(tmp_path, ard_mm3, new_study, mm3_specs):
    ard = ard_mm3.copy()
    ard["subgroup"] = ard["subgroup"].replace({"PI-naive": "<script>alert(1)</script>",
                                               "Corticosteroids": "{\\b x} caf\u00e9"})
    study = new_study([mm3_specs["t1"], mm3_specs["fig3"]])
    render_reports(ard, study, tmp_path, formats=("html", "rtf"), run_datetime=RUN)
    forest_html = (tmp_path / "fig3.html").read_text()
    assert "<script>" not in forest_html and "&lt;script&gt;alert(1)&lt;/script&gt;" in forest_html
    t1_html = (tmp_path / "t1.html").read_text()
    assert "{\\b x} caf\u00e9" in t1_html
    t1_rtf = (tmp_path / "t1.rtf").read_text(encoding="ascii")
    assert "\\{\\\\b x\\} caf\\u233?" in t1_rtf and "{\\b x}" not in t1_rtf
    assert rtf.balanced(t1_rtf) and rtf.balanced((tmp_path / "fig3.rtf").read_text())


def test_duplicate_output_ids_are_refused(tmp_path, ard_mm3, new_study, mm3_specs):
    from adam.errors import UsageError
    with pytest.raises(UsageError, match="more than once: t1"):
        render_reports(ard_mm3, new_study([mm3_specs["t1"], mm3_specs["t1"]]), tmp_path)
    assert not list(tmp_path.iterdir())


def test_in_memory_ard_with_blank_strings_renders_the_same(tmp_path, ard_mm3, new_study, mm3_specs):
    from reports.render import render_output
    raw = ard_mm3.astype(object).where(ard_mm3.notna(), "")      # '' for empty numbers, as a CSV reader gives
    study = new_study([mm3_specs["fig2"]])
    _, html_a, _ = render_output(ard_mm3, study, mm3_specs["fig2"], "run")
    _, html_b, _ = render_output(raw, study, mm3_specs["fig2"], "run")
    assert html_a == html_b


def test_not_an_ard_is_an_input_error(tmp_path, ard_mm3, new_study, mm3_specs):
    from adam.errors import InputError
    with pytest.raises(InputError, match="missing column"):
        render_reports(ard_mm3.drop(columns="options"), new_study([mm3_specs["t1"]]), tmp_path)
