"""Issue 21 item 9: every HTML page a report writes or links keeps hostile values as text:
the findings report, the GX Data Docs pages it links, the compare report, TLF pages and
their index, the demo's front page."""

import types
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd
import pytest

from adam import pipeline
from adam.io import write_dataset
from adam.metadata import Dataset
from reports.portal import render_demo_index
from reports.render import render_reports
from adam.ard import read_ard
from tests.reports.conftest import FIXTURES, MM3_OUTPUTS, make_study

HOSTILE = ["<script>alert(1)</script>", '"><img src=x onerror=alert(1)>', "'><svg onload=alert(1)>",
           "</td></tr></table><iframe src=javascript:alert(1)>"]


class _Page(HTMLParser):
    """The markup of a page: tags with their attributes, script bodies, and text."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags, self.scripts, self.text, self._in_script = [], [], [], False

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        self._in_script = tag == "script"

    def handle_endtag(self, tag):
        self._in_script = False

    def handle_data(self, data):
        (self.scripts if self._in_script else self.text).append(data)


def assert_inert(path: Path, shown=()) -> None:
    """No hostile value became markup in ``path``; those of ``shown`` are in its text."""
    page = _Page()
    page.feed(path.read_text(encoding="utf-8"))
    for tag, attrs in page.tags:
        assert tag not in ("iframe", "svg") or "alert" not in str(attrs), (path, tag, attrs)
        assert not (tag == "img" and attrs.get("src") == "x"), (path, tag, attrs)
        assert not any(k.startswith("on") and "alert" in (v or "") for k, v in attrs.items()), (path, attrs)
    assert not any("alert(1)" in s for s in page.scripts), path
    text = "".join(page.text)
    for value in shown:
        assert value in text, (path, value)


def _adsl(label=HOSTILE[0]) -> Dataset:
    frame = pd.DataFrame({"STUDYID": ["S1"] * 4, "USUBJID": HOSTILE, "SUBJID": ["1", "2", "3", "4"],
                          "SITEID": ["01"] * 4, "AGE": [50.0, 51.0, 52.0, 53.0], "AGEU": ["YEARS"] * 4,
                          "SEX": HOSTILE, "RACE": ["WHITE"] * 4, "ARM": ["A"] * 4, "TRT01P": ["A"] * 4,
                          "ITTFL": HOSTILE})
    return Dataset("ADSL", frame, label)


def test_findings_report_and_data_docs(tmp_path):
    write_dataset(_adsl(), tmp_path / "adam" / "adsl.xpt", encoding="utf-8")
    report = tmp_path / "out" / "report.html"
    result = pipeline.check(None, adam=tmp_path / "adam", report=report)
    assert any("GX." in f.rule_id + f.message and f.value in HOSTILE for f in result.findings)
    assert_inert(report, shown=HOSTILE)
    pages = sorted((tmp_path / "out" / "report-datadocs").rglob("*.html"))
    validations = [p for p in pages if "validations" in p.parts]
    assert validations and len(pages) >= 3            # index, suite, validation result
    for page in pages:
        assert_inert(page)
    assert_inert(validations[0], shown=[HOSTILE[0]])   # GX lists the unexpected SEX value, as text


def test_compare_report(tmp_path):
    base = _adsl()
    changed = base.frame.assign(AGE=[1.0, 2.0, 3.0, 4.0], SEX=list(reversed(HOSTILE)))
    write_dataset(base, tmp_path / "base.xpt", encoding="utf-8")
    write_dataset(base.with_frame(changed), tmp_path / "qc.xpt", encoding="utf-8")
    result = pipeline.compare(tmp_path / "base.xpt", tmp_path / "qc.xpt", ["USUBJID"],
                              report=tmp_path / "compare.html")
    assert not result.identical
    assert_inert(tmp_path / "compare.html", shown=HOSTILE)


@pytest.fixture
def hostile_tlf(tmp_path):
    ard = read_ard(FIXTURES / "ard_mm3.csv")
    for col in ("group", "subgroup"):
        ard[col] = ard[col].map(lambda v: v.replace("Ixazomib", HOSTILE[1]) if isinstance(v, str) else v)
    outputs = [dict(o, title=f"{o['title']} {HOSTILE[0]}") for o in MM3_OUTPUTS]
    study = make_study(outputs, title=f"Study {HOSTILE[2]}")
    render_reports(ard, study, tmp_path / "tlf", formats=("html",))
    return study, ard


def test_tlf_pages_and_index(hostile_tlf, tmp_path):
    pages = sorted((tmp_path / "tlf").glob("*.html"))
    assert len(pages) == len(MM3_OUTPUTS) + 1
    for page in pages:
        assert_inert(page, shown=[HOSTILE[0]])            # every title names it
    assert_inert(tmp_path / "tlf" / "t1.html", shown=[HOSTILE[1]])   # subseq: an arm column


def test_demo_front_page(hostile_tlf, tmp_path):
    study, ard = hostile_tlf
    check = types.SimpleNamespace(findings=[])
    render_demo_index(tmp_path, {"mm3": study}, {"mm3": {"check": check, "ard": ard, "outputs": []}})
    assert_inert(tmp_path / "index.html", shown=[HOSTILE[2]])
