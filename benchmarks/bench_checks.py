"""Timing of the QA toolkit (checks/) on a synthetic ADSL + ADTTE (not a test).

    python benchmarks/bench_checks.py [n_subjects]

Reports: great-expectations import time, conformance rules, GX expectation suites
(with and without Data Docs), PROC COMPARE-style compare, findings CSV/HTML.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from adam.metadata import Dataset, Variable


def timed(label, fn):
    t0 = time.perf_counter()
    out = fn()
    print(f"{label:<52} {time.perf_counter() - t0:7.2f} s")
    return out


def synthetic(n: int, seed: int = 0) -> dict[str, Dataset]:
    rng = np.random.default_rng(seed)
    ids = np.char.add("S-", np.arange(n).astype(str)).astype(object)
    arm = np.where(rng.random(n) < 0.5, "Ixazomib", "Placebo").astype(object)
    rand = pd.Timestamp("2015-01-01") + pd.to_timedelta(rng.integers(0, 900, n), unit="D")
    adsl = pd.DataFrame({
        "STUDYID": "S", "USUBJID": ids, "SUBJID": ids, "SITEID": "10",
        "AGE": rng.integers(30, 85, n).astype(float), "AGEU": "YEARS",
        "SEX": np.where(rng.random(n) < 0.5, "M", "F").astype(object), "RACE": "WHITE",
        "ARM": arm, "TRT01P": arm, "TRT01PN": np.where(arm == "Ixazomib", 1.0, 2.0),
        "ITTFL": "Y", "SAFFL": "Y", "RANDDT": rand})
    days = rng.integers(0, 2000, n)
    adtte = pd.DataFrame({
        "STUDYID": "S", "USUBJID": ids, "TRT01P": arm, "PARAMCD": "OS",
        "PARAM": "Overall Survival", "STARTDT": rand,
        "ADT": rand + pd.to_timedelta(days, unit="D"), "AVAL": days + 1.0,
        "CNSR": rng.integers(0, 2, n).astype(float)})
    adtte.loc[rng.choice(n, 100, replace=False), "CNSR"] = 2.5      # 100 defects
    date = {"RANDDT", "STARTDT", "ADT"}

    def meta(frame):
        return [Variable(c, c.title(), "Num" if frame[c].dtype != object else "Char",
                         8 if frame[c].dtype != object else 40,
                         "DATE9." if c in date else None) for c in frame.columns]
    return {"adsl": Dataset("ADSL", adsl, "Subject-Level Analysis Dataset", meta(adsl)),
            "adtte": Dataset("ADTTE", adtte, "Time-to-Event Analysis Dataset", meta(adtte))}


def main(n: int = 1_000_000) -> None:
    from checks.compare import compare_datasets
    from checks.expectations import _gx, run_expectations
    from checks.report import write_findings_csv, write_findings_html
    from checks.rules import check_adam_rules

    print(f"{n:,} subjects")
    data = timed("build synthetic ADSL + ADTTE", lambda: synthetic(n))
    timed("import great_expectations", _gx)
    rules = timed("check_adam_rules", lambda: check_adam_rules(data))
    print(f"  {len(rules)} rule findings")
    gx = timed("run_expectations(kind='adam')", lambda: run_expectations(data, "adam"))
    print(f"  {len(gx)} expectation findings")
    with tempfile.TemporaryDirectory() as tmp:
        timed("run_expectations(kind='adam', docs_dir=...)",
              lambda: run_expectations(data, "adam", Path(tmp) / "docs"))
        timed("write_findings_csv", lambda: write_findings_csv(rules + gx, Path(tmp) / "f.csv"))
        timed("write_findings_html", lambda: write_findings_html(rules + gx,
                                                                 Path(tmp) / "f.html"))
    adtte = data["adtte"]
    changed = adtte.frame.copy()
    changed.loc[changed.index[::1000], "AVAL"] += 1
    other = adtte.with_frame(changed)
    result = timed("compare_datasets ADTTE vs copy (1 in 1000 changed)",
                   lambda: compare_datasets(adtte, other, ["USUBJID", "PARAMCD"]))
    print(f"  {result.n_differences} differences")


if __name__ == "__main__":
    from adam.tuning import tune_process

    tune_process()   # measured as the adam command runs (adam.tuning)
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000)
