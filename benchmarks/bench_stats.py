"""Time KM per arm + stratified log-rank + stratified Cox (Efron) at 1e4, 1e5, 1e6 rows.

    python benchmarks/bench_stats.py [--sizes 10000 100000 1000000]

Two arms, three strata variables, integer day times (many ties). When ``Rscript`` is on the
PATH the same rows go to a CSV, and both ``benchmarks/bench_stats.R`` and this script
(``--csv``) are timed as whole processes (start-up, imports and reading the file
included); the ratio R / Python is printed with R's estimates beside Python's."""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from adam.stats.cox import CoxPH
from adam.stats.km import km_by_group
from adam.stats.logrank import logrank_test

HERE = Path(__file__).resolve().parent


def make_rows(n: int, seed: int = 20240501) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    arm = rng.integers(0, 2, n)
    s1, s2, s3 = rng.integers(0, 2, n), rng.integers(0, 2, n), rng.integers(0, 3, n)
    hazard = 0.002 * np.exp(-0.3 * arm + 0.2 * s1 - 0.1 * s2 + 0.15 * s3)
    event_time = rng.exponential(1 / hazard)
    censor_time = rng.uniform(0, 1500, n)
    time = np.ceil(np.minimum(event_time, censor_time))
    event = (event_time <= censor_time).astype(int)
    return pd.DataFrame({"time": time, "event": event, "arm": arm, "s1": s1, "s2": s2, "s3": s3})


def run_python(d: pd.DataFrame) -> dict:
    strata = [d["s1"], d["s2"], d["s3"]]
    km = km_by_group(d["time"], d["event"], d["arm"])
    lr = logrank_test(d["time"], d["event"], d["arm"], strata=strata)
    cox = CoxPH(ties="efron").fit(d["time"], d["event"], d["arm"], strata=strata)
    return {"median": [fit.median for fit in km.values()], "chisq": lr.chisq, "coef": cox.coef[0]}


def time_process(command: list[str]) -> tuple[float, str]:
    start = time.perf_counter()
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout.strip()
    return time.perf_counter() - start, out


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--csv", help="read rows from this CSV, run once, print the estimates")
    args = parser.parse_args(argv)
    if args.csv:
        print(run_python(pd.read_csv(args.csv)))
        return
    has_r = shutil.which("Rscript") is not None
    for n in args.sizes:
        d = make_rows(n)
        start = time.perf_counter()
        result = run_python(d)
        py = time.perf_counter() - start
        line = (f"n={n:>8}: python {py:7.3f} s  median {result['median']} "
                f"chisq {result['chisq']:.10g} coef {result['coef']:.10g}")
        if has_r:
            with tempfile.TemporaryDirectory() as tmp:
                csv = Path(tmp) / "rows.csv"
                d.to_csv(csv, index=False)
                py_secs, _ = time_process([sys.executable, __file__, "--csv", str(csv)])
                r_secs, r_out = time_process(["Rscript", str(HERE / "bench_stats.R"), str(csv)])
            line += (f"\n            whole process incl. start-up and CSV read: python {py_secs:7.3f} s"
                     f" | R {r_secs:7.3f} s | R/python {r_secs / py_secs:5.1f}x\n            R: {r_out}")
        print(line, flush=True)


if __name__ == "__main__":
    from adam.tuning import tune_process

    tune_process()   # measured as the adam command runs (adam.tuning)
    sys.exit(main())
