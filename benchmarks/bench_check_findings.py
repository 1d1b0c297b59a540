"""``adam check`` of an ADSL with millions of findings, under an address-space limit.

Writes a Dataset-JSON ADSL of N subjects where every record breaks two rules (a SEX
value outside its codelist, a population flag neither Y nor N: ~2 findings per record),
then runs ``adam check --adam`` on it (findings CSV and HTML report) in a fresh process
limited to ``--limit-gb`` of address space (``prlimit --as``), and prints its wall time,
peak resident memory, exit code and the CSV's line count. Not a timed test::

    python benchmarks/bench_check_findings.py --rows 1000000 --limit-gb 4
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def write_adsl(path: Path, rows: int) -> None:
    """A Dataset-JSON ADSL whose every record has SEX 'Q' and ITTFL 'X'."""
    names = ["STUDYID", "USUBJID", "SUBJID", "SITEID", "AGE", "AGEU", "SEX", "RACE", "ARM",
             "TRT01P", "TRT01PN", "ITTFL", "SAFFL"]
    columns = [{"itemOID": f"IT.ADSL.{n}", "name": n, "label": n.title(),
                "dataType": "double" if n in ("AGE", "TRT01PN") else "string",
                "length": 8 if n in ("AGE", "TRT01PN") else 40} for n in names]
    with open(path, "w", encoding="utf-8") as fh:
        head = {"datasetJSONCreationDateTime": "2026-01-01T00:00:00", "datasetJSONVersion": "1.1.0",
                "itemGroupOID": "IG.ADSL", "records": rows, "name": "ADSL",
                "label": "Subject-Level Analysis Dataset", "columns": columns}
        fh.write(json.dumps(head)[:-1] + ', "rows": [')
        for i in range(rows):
            arm = ("Drug", 1) if i % 2 else ("Placebo", 2)
            row = ["S1", f"S1-{i:07d}", f"{i:07d}", "01", 40 + i % 30, "YEARS", "Q", "WHITE",
                   arm[0], arm[0], arm[1], "X", "Y"]
            fh.write(("," if i else "") + json.dumps(row))
        fh.write("]}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--limit-gb", type=float, default=4.0)
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="adamant-bench-check-"))
    adam = work / "adam"
    adam.mkdir()
    t0 = time.perf_counter()
    write_adsl(adam / "adsl.json", args.rows)
    print(f"wrote {args.rows} records in {time.perf_counter() - t0:.1f} s")
    limit = int(args.limit_gb * 2**30)
    cmd = [sys.executable, "-m", "adam.cli", "check", "--adam", str(adam),
           "--findings", str(work / "findings.csv"), "--report", str(work / "report.html"),
           "--max-rows", "5"]
    if shutil.which("prlimit"):
        cmd = ["prlimit", f"--as={limit}", "--"] + cmd
    t0 = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 2**20
    lines = sum(1 for _ in open(work / "findings.csv", encoding="utf-8")) if (work / "findings.csv").exists() else 0
    print(f"check: exit {done.returncode}, {wall:.1f} s, peak RSS {peak:.2f} GB "
          f"(limit {args.limit_gb} GB of address space), findings.csv {lines - 1 if lines else 0} rows")
    if done.returncode not in (0, 1):
        print(done.stderr[-2000:])
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    else:
        print(work)


if __name__ == "__main__":
    main()
