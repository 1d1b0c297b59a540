"""The publication set (issue 18 item 3): several studies' outputs as one report.

The two twins (small, seeded: the numbers do not matter here) are analyzed once; `adam
report` with two --study/--ard pairs writes the set once. Table 1 has four columns under
two spanners whose cells are each study's own Table 1 cells; each figure has one panel per
study with its letter; pairs that do not match, and an ARD of another study, are refused
in one line before any work; one pair writes what the single-study report writes."""

import base64
import os
import re
import subprocess
import sys
from datetime import datetime, timezone
from html import unescape

import pytest
from pypdf import PdfReader

from adam import pipeline
from adam.ard import read_ard
from adam.study import BUILTIN_DIR, load_study
from reports import render_reports
from reports.model import Row, Table
from reports.programs import subseq
from reports.publication import contents, merged, side_by_side, tagged
from reports.render import normalise_ard

STUDIES = ("tourmaline-mm3", "tourmaline-mm4")
EPOCH = "1700000000"          # SOURCE_DATE_EPOCH: the same run stamp in both renders


def adam(*args, env=None):
    return subprocess.run([sys.executable, "-m", "adam.cli", *map(str, args)], capture_output=True,
                          text=True, env=env)


KEPT = ("table1", "figure1", "figure2", "table-baseline")     # a table, a flow, a KM plot, one study's


@pytest.fixture(scope="module")
def ards(tmp_path_factory):
    out = tmp_path_factory.mktemp("twins")
    for name in STUDIES:
        pipeline.synth(name, out / name / "sdtm", n_subjects=100, seed=7)
        pipeline.derive(name, out / name / "sdtm", out / name / "adam")
        pipeline.analyze(name, out / name / "adam", out / name / "ard")
    return {name: out / name / "ard" for name in STUDIES}


@pytest.fixture(scope="module")
def specs(tmp_path_factory):
    """The twins' specifications with the outputs in :data:`KEPT` only (fewer figures to draw)."""
    out = tmp_path_factory.mktemp("specs")
    paths = {}
    for name in STUDIES:
        head, *blocks = (BUILTIN_DIR / f"{name}.toml").read_text(encoding="utf-8").split("[[outputs]]\n")
        kept = [b for b in blocks if re.match(r'id = "([^"]+)"', b)[1] in KEPT]
        paths[name] = out / f"{name}.toml"
        paths[name].write_text(head + "".join("[[outputs]]\n" + b for b in kept), encoding="utf-8")
    return paths


@pytest.fixture(scope="module")
def publication(ards, specs, tmp_path_factory):
    out = tmp_path_factory.mktemp("publication") / "set"
    res = adam("report", "--study", specs[STUDIES[0]], "--ard", ards[STUDIES[0]],
               "--study", specs[STUDIES[1]], "--ard", ards[STUDIES[1]], "--out", out)
    assert res.returncode == 0, res.stderr
    return out


def _cells(html: str, tag: str) -> list[list[str]]:
    """Text of each row's ``tag`` cells of the first table."""
    table = html[html.index("<table"):html.index("</table>")]
    return [[unescape(re.sub(r"<[^>]+>", "", c)).strip() for c in re.findall(rf"<{tag}\b[^>]*>(.*?)</{tag}>", row)]
            for row in re.findall(r"<tr\b[^>]*>(.*?)</tr>", table, re.S)]


def test_table1_has_both_studies_side_by_side(publication, ards):
    html = (publication / "table1.html").read_text(encoding="utf-8")
    spanners = re.findall(r'<th(?: scope="colgroup" class="spanner")? colspan="(\d)">(.*?)</th>', html)
    assert [(int(n), re.sub(r"<[^>]+>", "", t)) for n, t in spanners] == [
        (1, ""), (2, "TOURMALINE-MM3"), (2, "TOURMALINE-MM4")]
    heads = _cells(html, "th")[1]
    body = [r for r in _cells(html, "td") if r]
    own = {}                    # each study's own Table 1, built from its ARD
    for name in STUDIES:
        study = load_study(name)
        spec = next(o for o in study.outputs if o["number"] == "Table 1")
        own[name] = subseq.build(normalise_ard(read_ard(ards[name] / "ard.csv")), study, spec).tables[0]
    mm3, mm4 = own[STUDIES[0]], own[STUDIES[1]]
    assert heads == [mm3.columns[0], *mm3.columns[1:], *mm4.columns[1:]]
    assert [h.split(" (")[0] for h in heads[1:]] == ["Ixazomib", "Placebo"] * 2
    assert [r[0] for r in body] == [r.cells[0] for r in mm3.rows] == [r.cells[0] for r in mm4.rows]
    for row, a, b in zip(body, mm3.rows, mm4.rows):
        assert row[1:] == a.cells[1:] + b.cells[1:]
    assert all(re.fullmatch(r"\d+ \(\d+\.\d\)", c) for r in body for c in r[1:])
    text = PdfReader(publication / "table1.pdf").pages[0].extract_text()
    assert "TOURMALINE-MM3" in text and "TOURMALINE-MM4" in text and body[0][4] in text
    rtf = (publication / "table1.rtf").read_text(encoding="ascii")
    assert rtf.count("\\brdrb\\brdrs\\brdrw10\\brsp20 TOURMALINE-MM") == 2      # the spanners, ruled


def test_each_figure_has_one_panel_per_study_with_its_letter(publication):
    for stem in ("figure1", "figure2"):
        html = (publication / f"{stem}.html").read_text(encoding="utf-8")
        svg = base64.b64decode(re.search(r'src="data:image/svg\+xml;base64,([^"]+)"', html)[1]).decode()
        assert re.findall(r"<text[^>]*>([^<]*)</text>", svg) == ["A  TOURMALINE-MM3", "B  TOURMALINE-MM4"]
        assert svg.count("<image ") == 2
        assert (publication / f"{stem}-A.png").read_bytes()[:4] == b"\x89PNG"
        assert (publication / f"{stem}-B.png").read_bytes()[:4] == b"\x89PNG"
        assert not (publication / f"{stem}.png").exists()
    # on paper each panel keeps legible text: Kaplan-Meier and CONSORT one panel per page
    # (side by side a KM pair would print at 0.46, 12 pt text at 5.5 pt), then the summary table
    km = [p.extract_text().replace("  ", " ") for p in PdfReader(publication / "figure2.pdf").pages]
    assert "A TOURMALINE-MM3" in km[0] and "B TOURMALINE-MM4" not in km[0] and "B TOURMALINE-MM4" in km[1]
    flow = [p.extract_text().replace("  ", " ") for p in PdfReader(publication / "figure1.pdf").pages]
    assert len(flow) == 2 and "A TOURMALINE-MM3" in flow[0] and "B TOURMALINE-MM4" in flow[1]
    rtf = (publication / "figure1.rtf").read_text(encoding="ascii")
    assert rtf.count("\\pict") == 2 and rtf.index("A  TOURMALINE-MM3") < rtf.index("\\page") < rtf.index("B  TOURMALINE")


def test_the_set_names_its_outputs_as_the_report(publication):
    """The built-in twins' set: Table 1, Figures 1-7, the supplement's S1 (MM3) and S2 (MM4),
    then what the report does not have, named so as not to clash with its S1-S4."""
    entries = contents([load_study(name) for name in STUDIES])
    assert [e.number for e in entries] == ["Table 1"] + [f"Figure {i}" for i in range(1, 8)] + [
        "Table S1", "Table S2", "Additional Figure 1", "Additional Table 1"]
    assert [len(e.carriers) for e in entries] == [2] * 8 + [1, 1, 2, 2]
    titles = {e.number: e.title for e in entries}
    assert titles["Figure 2"] == "Kaplan-Meier estimates of overall survival"       # ', TOURMALINE-MM3' dropped
    assert titles["Table S1"] == "Baseline characteristics, TOURMALINE-MM3"       # one study's: as it is
    index = (publication / "index.html").read_text(encoding="utf-8")
    assert re.findall(r"<tr><td>([^<]+)</td>", index) == ["Table 1", "Figure 1", "Figure 2", "Table S1", "Table S2"]
    links = re.findall(r'href="([^"]+)"', index)
    assert {"table-baseline-tourmaline-mm3.pdf", "table-baseline-tourmaline-mm4.rtf", "figure1-B.png"} <= set(links)
    for link in links:
        assert (publication / link).is_file(), link
    notes = (publication / "figure2.html").read_text(encoding="utf-8")
    assert "A: Hazard ratio from a Cox model stratified by" in notes            # each study's own strata
    assert "B: Hazard ratio from a Cox model stratified by" in notes
    assert notes.count("Time in months = days / 30.4375") == 1                   # shared: once, no letter
    assert "Data cutoff: TOURMALINE-MM3 2023-09-08; TOURMALINE-MM4 2022-10-29." in notes


def test_refusals_exit_2_in_one_line_before_any_work(ards, tmp_path):
    a, b = ards[STUDIES[0]], ards[STUDIES[1]]
    cases = [(["--study", STUDIES[0], "--ard", a, "--study", STUDIES[1]],
              "give --study and --ard in pairs: 2 --study, 1 --ard"),
             (["--study", STUDIES[0], "--ard", b, "--study", STUDIES[1], "--ard", a],
              "the ARD's study (TOURMALINE-MM4) differs from the specification's (TOURMALINE-MM3)"),
             (["--study", STUDIES[0], "--ard", a, "--study", STUDIES[0], "--ard", a],
              "--study tourmaline-mm3 is given more than once")]
    errors = []
    for args, message in cases:
        res = adam("report", *args, "--out", tmp_path / "out")
        assert res.returncode == 2, res.stderr
        assert res.stderr.strip().count("\n") == 0 and message in res.stderr, res.stderr
        assert not (tmp_path / "out").exists()
        errors.append(res.stderr)
    assert str(b / "ard.csv") in errors[1]           # the ARD named


def test_one_pair_writes_what_the_study_report_writes(ards, specs, tmp_path):
    name = STUDIES[0]
    res = adam("report", "--study", specs[name], "--ard", ards[name], "--out", tmp_path / "cli", "--format", "html",
               env={**os.environ, "SOURCE_DATE_EPOCH": EPOCH})
    assert res.returncode == 0, res.stderr
    render_reports(read_ard(ards[name] / "ard.csv"), load_study(specs[name]), tmp_path / "direct",
                   formats=("html",), run_datetime=datetime.fromtimestamp(int(EPOCH), timezone.utc))
    cli = {p.name: p.read_bytes() for p in (tmp_path / "cli").iterdir()}
    assert cli == {p.name: p.read_bytes() for p in (tmp_path / "direct").iterdir()}
    assert "figure2.png" in cli and not any(n.endswith("-A.png") for n in cli)
    assert b'class="spanners"' not in cli["table1.html"]


def test_rows_are_matched_by_label_under_their_headings():
    """Hand-built: a level only B has goes into its group; a cell A lacks is blank, not 0."""
    a = Table(["Characteristic", "X", "Y"], [Row(["Sex", "", ""], bold=True), Row(["F", "1 (50.0)", "2 (40.0)"], 1),
                                             Row(["Missing", "1", "0"], 1), Row(["Race", "", ""], bold=True),
                                             Row(["Missing", "2", "3"], 1)])
    b = Table(["Characteristic", "X", "Y"], [Row(["Sex", "", ""], bold=True), Row(["F", "3 (30.0)", "4 (40.0)"], 1),
                                             Row(["M", "7 (70.0)", "6 (60.0)"], 1), Row(["Race", "", ""], bold=True),
                                             Row(["Missing", "5", "6"], 1)])
    both = side_by_side([a, b], ["A study", "B study"])
    assert both.spanners == [("", 1), ("A study", 2), ("B study", 2)]
    assert [r.cells for r in both.rows] == [
        ["Sex", "", "", "", ""], ["F", "1 (50.0)", "2 (40.0)", "3 (30.0)", "4 (40.0)"],
        ["Missing", "1", "0", "", ""], ["M", "", "", "7 (70.0)", "6 (60.0)"],
        ["Race", "", "", "", ""], ["Missing", "2", "3", "5", "6"]]
    assert [r.spans for r in both.rows] == [True, False, False, False, True, False]
    assert merged([[1, 2, 4], [1, 3, 4, 5]]) == [1, 2, 3, 4, 5]
    assert tagged([["shared", "only A"], ["only B", "shared"]], ["A", "B"]) == ["B: only B", "shared", "A: only A"]
