"""Issue 21 item 14 (part): a report lists the first N findings of each dataset and rule,
counts them all, and the CSV has every one."""

import pandas as pd

from adam.findings import Finding, findings_frame, first_per_rule
from checks.report import write_findings_csv, write_findings_html


def _many():
    return ([Finding("ADSL", "R-1", "error", f"bad (record {r})", usubjid=f"S-{r}", record=r) for r in range(1, 51)]
            + [Finding("ADSL", "R-2", "warning", f"odd (record {r})", record=r) for r in range(1, 4)]
            + [Finding("ADTTE", "R-1", "error", f"bad (record {r})", record=r) for r in range(1, 8)])


def test_first_per_rule():
    frame = findings_frame(_many())
    shown = first_per_rule(frame, 5)
    assert shown.groupby(["dataset", "rule_id"]).size().to_dict() == {
        ("ADSL", "R-1"): 5, ("ADSL", "R-2"): 3, ("ADTTE", "R-1"): 5}
    assert shown[shown.rule_id == "R-1"].record.tolist()[:5] == [1, 2, 3, 4, 5]   # the first ones
    assert first_per_rule(frame, None) is frame


def test_report_lists_n_per_rule_csv_has_all(tmp_path):
    frame = findings_frame(_many())
    html = write_findings_html(frame, tmp_path / "r.html", per_rule=5).read_text(encoding="utf-8")
    assert "S-5<" in html and "S-6<" not in html
    assert "47 more findings not shown" in html                 # 60 found, 13 listed
    assert ">50<" in html                                       # the count of ADSL errors is complete
    csv = pd.read_csv(write_findings_csv(frame, tmp_path / "f.csv"), dtype=str)
    assert len(csv) == 60
