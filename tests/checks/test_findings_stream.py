"""Issue 21 item 14: findings held compactly (FindingTable), duplicates merged on it as
they were on lists of Finding, the CSV streamed in chunks with every finding, and the
console / HTML report given counts and the first N findings of each rule."""

import io
import pickle
import random
from dataclasses import asdict

import pandas as pd
import pytest

from adam import pipeline
from adam.findings import (SEVERITIES, Finding, FindingTable, findings_frame, first_per_rule,
                           merge_duplicates)
from checks import report as report_module
from checks.report import write_findings_csv, write_findings_html


def _reference_merge(findings):
    """merge_duplicates as it was on a list of Finding (before the compact form)."""
    rank = {s: i for i, s in enumerate(SEVERITIES)}
    kept, also = {}, {}
    for f in findings:
        key = (f.dataset, f.usubjid, f.variable, f.value, f.record)
        first = kept.setdefault(key, f)
        if first is f:
            continue
        named = also.setdefault(key, [])
        if f.rule_id != first.rule_id and f.rule_id not in named:
            named.append(f.rule_id)
        if rank[f.severity] < rank[first.severity]:
            kept[key] = Finding(**{**asdict(first), "severity": f.severity})
    return [f if not also.get(k) else
            Finding(**{**asdict(f), "message": f"{f.message} (also: {', '.join(also[k])})"})
            for k, f in kept.items()]


def _reference_frame(findings):
    """findings_frame as it was (a frame built from the Finding objects, then sorted)."""
    cols = ["dataset", "rule_id", "severity", "usubjid", "variable", "value", "message", "record"]
    frame = pd.DataFrame({c: [getattr(f, c) for f in findings] for c in cols}, columns=cols)
    order = {s: i for i, s in enumerate(SEVERITIES)}
    if len(frame):
        frame = frame.sort_values(["dataset", "severity", "rule_id", "record"],
                                  key=lambda c: c.map(order) if c.name == "severity" else c,
                                  kind="stable").reset_index(drop=True)
    return frame


def _random_findings(seed):
    rnd = random.Random(seed)
    return [Finding(rnd.choice("AB"), rnd.choice(["R1", "R2", "R3", "R4"]), rnd.choice(SEVERITIES),
                    rnd.choice(["m", "=n", "-1.5"]), usubjid=rnd.choice([None, "S1", "S2"]),
                    variable=rnd.choice([None, "X", "Y"]), value=rnd.choice([None, "1", "=v"]),
                    record=rnd.choice([None, 1, 2, 3]))
            for _ in range(rnd.randint(0, 60))]


def _as_parts(findings, seed):
    """The same findings as a mix of tables and plain lists, in order."""
    rnd, parts, i = random.Random(seed), [], 0
    while i < len(findings):
        k = rnd.randint(1, 5)
        chunk = findings[i:i + k]
        parts.append(FindingTable.from_findings(chunk) if rnd.random() < 0.5 else chunk)
        i += k
    return parts


@pytest.mark.parametrize("seed", range(60))
def test_merge_and_frame_as_before(seed):
    found = _random_findings(seed)
    merged = merge_duplicates(FindingTable.concat(_as_parts(found, seed)))
    before = _reference_merge(found)
    assert list(merged) == before                                  # same findings, same order
    pd.testing.assert_frame_equal(findings_frame(merged), _reference_frame(before))
    pd.testing.assert_frame_equal(findings_frame(found), _reference_frame(found))
    assert list(merge_duplicates(merged)) == _reference_merge(before)   # merging again


@pytest.mark.parametrize("seed", range(20))
def test_csv_streamed_in_chunks_is_the_whole_csv(tmp_path, seed):
    found = merge_duplicates(_random_findings(seed))
    whole = write_findings_csv(_reference_frame(list(found)), tmp_path / "whole.csv")
    streamed = write_findings_csv(found, tmp_path / "chunks.csv", chunk=3)
    assert streamed.read_bytes() == whole.read_bytes()
    assert len(pd.read_csv(streamed, dtype=str)) == len(found)


def _table(n_r1=50, n_r2=3, n_tte=7):
    """Record-level findings as the checkers make them: tables of codes."""
    return FindingTable.concat([
        FindingTable.build(n_r1, dataset="ADSL", rule_id="R-1", severity="error", message="bad",
                           usubjid=[f"S-{r}" for r in range(1, n_r1 + 1)], variable="SEX",
                           value="Q", record=range(1, n_r1 + 1), suffix=True),
        FindingTable.build(n_r2, dataset="ADSL", rule_id="R-2", severity="warning", message="odd",
                           variable="ITTFL", value="X", record=range(1, n_r2 + 1), suffix=True),
        FindingTable.build(n_tte, dataset="ADTTE", rule_id="R-1", severity="error", message="bad",
                           record=range(1, n_tte + 1)),
        [Finding("ADSL", "R-3", "note", "dataset level")],
    ])


def test_table_is_a_sequence_of_findings():
    table = _table()
    assert len(table) == 61
    assert table[0] == Finding("ADSL", "R-1", "error", "bad (record 1)", "S-1", "SEX", "Q", 1)
    assert table[-1] == Finding("ADSL", "R-3", "note", "dataset level")
    assert table[50].message == "odd (record 1)" and table[53].message == "bad"   # no suffix asked
    assert table == list(table) and table.has_errors()
    assert [] + table == table and table + [] == table
    out = []
    out += table
    out.append(Finding("ADSL", "R-4", "note", "m"))                  # as a list would
    assert len(out) == 62
    assert pickle.loads(pickle.dumps(table)) == table                 # forked children return them


def test_html_counts_all_lists_first_n_per_rule(tmp_path):
    table = _table()
    html = write_findings_html(table, tmp_path / "r.html", per_rule=5).read_text(encoding="utf-8")
    assert "S-5<" in html and "S-6<" not in html                      # the first 5 of ADSL R-1
    assert html.count("<tr><td>ADSL</td><td class=\"code\">R-1<") == 5
    assert html.count("<tr><td>ADTTE</td><td class=\"code\">R-1<") == 5
    assert html.count("<tr><td>ADSL</td><td class=\"code\">R-2<") == 3
    assert "47 more findings not shown" in html                      # 61 found, 5 + 3 + 1 + 5 listed
    assert ">54<" in html and ">7<" in html                          # ADSL / ADTTE totals, all counted
    frame_html = write_findings_html(findings_frame(table), tmp_path / "f.html", per_rule=5)
    strip = lambda text: text.split("generated", 1)[1].split("</p>", 1)[1]   # noqa: E731
    assert strip(html) == strip(frame_html.read_text(encoding="utf-8"))      # as from the frame


def test_first_per_rule_of_table_as_of_frame():
    table = _table()
    order = table.order()
    shown = table.frame(table.first_per_rule(order, 4))
    expected = first_per_rule(findings_frame(table), 4).reset_index(drop=True)
    pd.testing.assert_frame_equal(shown, expected)
    assert shown.groupby(["dataset", "rule_id"]).size().to_dict() == {
        ("ADSL", "R-1"): 4, ("ADSL", "R-2"): 3, ("ADSL", "R-3"): 1, ("ADTTE", "R-1"): 4}


def test_console_counts_all_and_lists_the_first(tmp_path):
    from rich.console import Console

    out = io.StringIO()
    pipeline.print_findings(pipeline.CheckResult("adam", _table(), ["adsl", "adtte"]),
                            Console(file=out, width=200), max_rows=6)
    text = out.getvalue()
    assert "2 dataset(s): 57 error(s), 3 warning(s), 1 note(s)" in text
    assert "Findings (first 6 of 61" in text
    listed = [line for line in text.splitlines() if line.startswith("  error")]
    assert [line.split()[3] for line in listed] == ["1", "2", "3", "4", "5", "6"]   # records
    summary = _table().summary()
    assert summary[["dataset", "rule_id", "severity", "count"]].values.tolist() == [
        ["ADSL", "R-1", "error", 50], ["ADSL", "R-2", "warning", 3], ["ADSL", "R-3", "note", 1],
        ["ADTTE", "R-1", "error", 7]]


def test_check_writes_every_finding_and_caps_the_report(tmp_path, monkeypatch):
    """adam check of an ADSL whose every record breaks SEX and ITTFL, with a report cap of
    4 and a CSV written 7 rows at a time: the CSV has every finding once (the rule, the
    schema and the GX suite merged), the report lists 4 per rule and counts them all."""
    from adam.io import write_dataset
    from adam.metadata import Dataset

    n = 23
    frame = pd.DataFrame({"STUDYID": "S1", "USUBJID": [f"S1-{i:03d}" for i in range(n)],
                          "SUBJID": [f"{i:03d}" for i in range(n)], "SITEID": "01",
                          "AGE": 40.0, "AGEU": "YEARS", "SEX": "Q", "RACE": "WHITE",
                          "ARM": "Drug", "ACTARM": "Drug", "TRT01P": "Drug", "ITTFL": "X",
                          "SAFFL": "Y"})
    adam = tmp_path / "adam"
    adam.mkdir()
    write_dataset(Dataset("ADSL", frame, label="Subject-Level Analysis Dataset"), adam / "adsl.xpt")
    monkeypatch.setattr(pipeline, "REPORT_PER_RULE", 4)
    monkeypatch.setattr(report_module, "CSV_CHUNK", 7)
    result = pipeline.check(None, adam=adam, report=tmp_path / "r.html",
                            findings_csv=tmp_path / "f.csv")
    csv = pd.read_csv(tmp_path / "f.csv", dtype=str, keep_default_na=False)
    assert len(csv) == len(result.findings) == 2 * n + 13            # + 13 labels missing
    assert csv.groupby("rule_id").size().to_dict() == {"ADAM-ADSL-SEX-CT": n, "ADSL-003": n, "ADAM-012": 13}
    records = csv[csv["rule_id"] != "ADAM-012"]                       # merged: one per fact
    assert (records["severity"] == "error").all()                     # GX's error upgrades the CT warning
    assert records["message"].str.contains(r"\(also: ").all()
    assert records["usubjid"].tolist()[:3] == ["S1-000", "S1-001", "S1-002"]
    html = (tmp_path / "r.html").read_text(encoding="utf-8")
    for rule in ("ADAM-ADSL-SEX-CT", "ADSL-003", "ADAM-012"):
        assert html.count(f'<tr><td>ADSL</td><td class="code">{rule}<') == 4   # 4 per rule
    assert f"{2 * n + 13 - 12} more findings not shown" in html
    assert f">{2 * n + 13}<" in html                                  # all counted
    assert result.has_errors and result.count("error") == 2 * n
