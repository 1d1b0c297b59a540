"""One shape for every finding of every checker (schemas, conformance rules,
expectation suites, derivation warnings), so the CLI, the CSV and the HTML report have
one source. CSV columns are those of ``shared/spec/cli.md``."""

from __future__ import annotations

from dataclasses import asdict, dataclass

import pandas as pd

SEVERITIES = ("error", "warning", "note")
COLUMNS = ["dataset", "rule_id", "severity", "usubjid", "variable", "value", "message"]


@dataclass(frozen=True)
class Finding:
    dataset: str
    rule_id: str
    severity: str
    message: str
    usubjid: str | None = None
    variable: str | None = None
    value: str | None = None
    record: int | None = None  # 1-based row in the dataset, when one row is at fault

    def __post_init__(self):
        if self.severity not in SEVERITIES:
            raise ValueError(f"severity must be one of {SEVERITIES}, not {self.severity!r}")


def findings_frame(findings) -> pd.DataFrame:
    """Findings as a frame with the CSV columns first and ``record`` last."""
    rows = [asdict(f) for f in findings]
    frame = pd.DataFrame(rows, columns=COLUMNS + ["record"])
    order = {s: i for i, s in enumerate(SEVERITIES)}
    if len(frame):
        frame = frame.sort_values(["dataset", "severity", "rule_id", "record"],
                                  key=lambda c: c.map(order) if c.name == "severity" else c,
                                  kind="stable").reset_index(drop=True)
    return frame


def has_errors(findings) -> bool:
    return any(f.severity == "error" for f in findings)
