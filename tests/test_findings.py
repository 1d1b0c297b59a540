"""Findings: one shape, duplicates across checkers merged."""

from adam.findings import Finding, findings_frame, merge_duplicates


def test_same_fact_from_three_checkers_is_one_finding():
    rule = Finding("ADTTE", "TTE-002", "error", "CNSR is not an integer", "S-2", "CNSR", "2.5", 6)
    schema = Finding("ADTTE", "ADAM-ADTTE-CNSR-INTEGER", "error", "not integer", "S-2", "CNSR", "2.5", 6)
    other = Finding("ADTTE", "TTE-003", "error", "ADT before STARTDT", "S-2", "ADT", "2015-02-15", 8)
    merged = merge_duplicates([rule, schema, other])
    assert [f.rule_id for f in merged] == ["TTE-002", "TTE-003"]
    assert merged[0].message == "CNSR is not an integer (also: ADAM-ADTTE-CNSR-INTEGER)"


def test_most_severe_severity_wins():
    warn = Finding("ADSL", "R1", "warning", "odd", "S-1", "SAFFL", "X", 4)
    err = Finding("ADSL", "R2", "error", "bad", "S-1", "SAFFL", "X", 4)
    (merged,) = merge_duplicates([warn, err])
    assert merged.severity == "error" and merged.rule_id == "R1" and "(also: R2)" in merged.message


def test_findings_frame_columns_and_order():
    frame = findings_frame([Finding("B", "R", "warning", "m"), Finding("A", "R", "error", "m", record=3)])
    assert list(frame.columns)[:7] == ["dataset", "rule_id", "severity", "usubjid", "variable", "value", "message"]
    assert frame["dataset"].tolist() == ["A", "B"]
