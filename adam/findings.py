"""One shape for every finding of every checker (schemas, conformance rules,
expectation suites, derivation warnings), so the CLI, the CSV and the HTML report have
one source. CSV columns are those of ``shared/spec/cli.md``."""

from __future__ import annotations

from dataclasses import asdict, dataclass

import pandas as pd

SEVERITIES = ("error", "warning", "note")
COLUMNS = ["dataset", "rule_id", "severity", "usubjid", "variable", "value", "message"]


@dataclass(frozen=True, slots=True)      # slots: millions of findings stay small
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
    findings = list(findings)
    frame = pd.DataFrame({c: [getattr(f, c) for f in findings] for c in COLUMNS + ["record"]},
                         columns=COLUMNS + ["record"])   # column by column: no dict per finding
    order = {s: i for i, s in enumerate(SEVERITIES)}
    if len(frame):
        frame = frame.sort_values(["dataset", "severity", "rule_id", "record"],
                                  key=lambda c: c.map(order) if c.name == "severity" else c,
                                  kind="stable").reset_index(drop=True)
    return frame


def merge_duplicates(findings) -> list[Finding]:
    """One finding per (dataset, subject, variable, value, record): when several checkers
    report the same fact (a conformance rule, a schema and an expectation suite), the
    first one listed is kept, with the most severe severity and the others' rule IDs
    named in its message."""
    rank = {s: i for i, s in enumerate(SEVERITIES)}
    kept: dict[tuple, Finding] = {}
    also: dict[tuple, list[str]] = {}       # only for the keys reported more than once
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
    return [f if not also.get(k) else Finding(**{**asdict(f), "message": f"{f.message} (also: {', '.join(also[k])})"})
            for k, f in kept.items()]


def first_per_rule(frame: pd.DataFrame, n: int) -> pd.DataFrame:
    """The first ``n`` findings of each dataset and rule of a :func:`findings_frame`
    (what a report lists; the CSV has them all)."""
    if n is None or len(frame) <= n:
        return frame
    return frame[frame.groupby(["dataset", "rule_id"], sort=False).cumcount().to_numpy() < n]


def has_errors(findings) -> bool:
    return any(f.severity == "error" for f in findings)
