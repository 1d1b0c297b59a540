"""Findings CSV (exact cli.md columns, atomic, never over an input) and HTML report
(counts by severity and dataset, every finding, markup in values escaped)."""

from __future__ import annotations

import csv
import re

import numpy as np
import pandas as pd
import pytest

from adam.errors import OutputError
from adam.findings import Finding, findings_frame
from checks.report import format_value, write_findings_csv, write_findings_html

FINDINGS = [
    Finding("ADTTE", "TTE-002", "error", "CNSR is not an integer >= 0", usubjid="S-3",
            variable="CNSR", value="2.5", record=3),
    Finding("ADSL", "ADSL-001", "error", "ADSL has more than one record for a USUBJID",
            usubjid="S-2", variable="USUBJID", value="S-2", record=5),
    Finding("ADSL", "ADAM-012", "warning", "Variable label is missing", variable="SITEID"),
    Finding("ADTTE", "ADAM-015", "error", 'Copied value "differs", from ADSL',
            usubjid="S-1", variable="EVNTDESC", value="<b>DEATH</b> & <script>x()</script>",
            record=1),
    Finding("DM", "GX.expect_column_values_to_be_between", "note", "AGE, out of range",
            usubjid="S-9", variable="AGE", value="130", record=9),
]


def test_csv_has_exactly_the_cli_columns(tmp_path):
    path = write_findings_csv(FINDINGS, tmp_path / "out" / "findings.csv")
    with open(path, newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    assert rows[0] == ["dataset", "rule_id", "severity", "usubjid", "variable", "value",
                       "message"]
    assert len(rows) == 6
    body = {tuple(r) for r in rows[1:]}
    assert ("ADSL", "ADAM-012", "warning", "", "SITEID", "", "Variable label is missing") in body
    assert ("ADTTE", "ADAM-015", "error", "S-1", "EVNTDESC",
            "<b>DEATH</b> & <script>x()</script>", 'Copied value "differs", from ADSL') in body
    assert list(tmp_path.joinpath("out").iterdir()) == [path]      # no temp file left


def test_csv_of_no_findings_is_header_only(tmp_path):
    path = write_findings_csv([], tmp_path / "f.csv")
    assert path.read_text().strip() == "dataset,rule_id,severity,usubjid,variable,value,message"


def test_csv_refuses_to_overwrite_an_input(tmp_path):
    src = tmp_path / "adsl.csv"
    src.write_text("keep")
    with pytest.raises(OutputError):
        write_findings_csv(FINDINGS, src, inputs=[src])
    assert src.read_text() == "keep"


def test_html_counts_and_every_finding(tmp_path):
    path = write_findings_html(findings_frame(FINDINGS), tmp_path / "report.html",
                               title="Checks for <study>", links={"Data Docs": "gx/index.html"})
    html = path.read_text()
    counts = re.search(r'<table id="counts">(.*?)</table>', html, re.S).group(1)
    cells = {r[0]: r[1:] for r in re.findall(
        r"<tr><td>([^<]+)</td><td class=\"num\">(\d+)</td><td class=\"num\">(\d+)</td>"
        r"<td class=\"num\">(\d+)</td><td class=\"num\">(\d+)</td></tr>", counts)}
    # columns: error, warning, note, total
    assert cells == {"ADSL": ("1", "1", "0", "2"), "ADTTE": ("2", "0", "0", "2"),
                     "DM": ("0", "0", "1", "1"), "All datasets": ("3", "1", "1", "5")}
    table = re.search(r'<table id="findings">(.*?)</table>', html, re.S).group(1)
    assert table.count("<tr>") == 6                          # header + 5 findings
    assert "S-9" in table and "130" in table and "CNSR is not an integer &gt;= 0" in table
    assert "Checks for &lt;study&gt;" in html and 'href="gx/index.html"' in html


def test_html_escapes_markup_in_values(tmp_path):
    html = write_findings_html(FINDINGS, tmp_path / "r.html", title="t").read_text()
    assert "<script>x()</script>" not in html and "<b>DEATH</b>" not in html
    assert "&lt;b&gt;DEATH&lt;/b&gt; &amp; &lt;script&gt;x()&lt;/script&gt;" in html
    assert "Copied value &#34;differs&#34;, from ADSL" in html


def test_html_without_findings_and_truncation(tmp_path):
    empty = write_findings_html([], tmp_path / "e.html", title="t").read_text()
    assert "No findings." in empty
    cut = write_findings_html(FINDINGS, tmp_path / "c.html", title="t", max_rows=2).read_text()
    table = re.search(r'<table id="findings">(.*?)</table>', cut, re.S).group(1)
    assert table.count("<tr>") == 3 and "3 more findings not shown" in cut


@pytest.mark.parametrize("value, text", [
    (None, ""), (np.nan, ""), (pd.NaT, ""), (3.0, "3"), (2.5, "2.5"), (1 + 1e-12, "1.000000000001"), (0.1 + 0.2, "0.3"),
    (pd.Timestamp("2020-01-02"), "2020-01-02"),
    (pd.Timestamp("2020-01-02 10:30"), "2020-01-02T10:30:00"), ("abc", "abc"), (7, "7")])
def test_format_value(value, text):
    assert format_value(value) == text
