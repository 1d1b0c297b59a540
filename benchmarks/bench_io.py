"""Benchmark of the XPT reader: rows/s of ``adam.io.xpt.read_xpt`` (numpy) against
pyreadstat on the biggest ``*.xpt`` files of a folder, and whole-folder ``read_sdtm`` time.

    python benchmarks/bench_io.py /tmp/p200/sdtm [--files 3] [--repeat 3] [--previous]

For each file: the numpy reader (best of ``--repeat`` runs), ``pyreadstat.read_xport``
alone (one run; no blank-to-missing or date conversion, so it flatters pyreadstat) and,
with ``--previous``, the former pyreadstat-based reader (``read_xpt_pyreadstat``, same
output as ``read_xpt``). Ratio = numpy rows/s / pyreadstat rows/s.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path


def _best(fn, repeat: int) -> tuple[float, object]:
    best, result = float("inf"), None
    for _ in range(repeat):
        result = None  # free the previous result before timing again
        t0 = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - t0)
    return best, result


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("folder", type=Path)
    ap.add_argument("--files", type=int, default=3, help="how many of the biggest files")
    ap.add_argument("--repeat", type=int, default=3, help="runs of the numpy reader (best kept)")
    ap.add_argument("--previous", action="store_true",
                    help="also time the former pyreadstat-based reader (slow)")
    args = ap.parse_args()

    import pyreadstat

    from adam.io import read_sdtm
    from adam.io.xpt import read_xpt, read_xpt_pyreadstat

    files = sorted(args.folder.glob("*.xpt"), key=lambda p: p.stat().st_size, reverse=True)
    print(f"{'file':<12} {'MB':>7} {'rows':>11} {'numpy s':>8} {'numpy rows/s':>13} "
          f"{'pyreadstat s':>12} {'rows/s':>11} {'ratio':>6}" + ("  previous rows/s" if args.previous else ""))
    for path in files[:args.files]:
        seconds, ds = _best(lambda: read_xpt(path), args.repeat)
        rows = len(ds.frame)
        del ds
        t0 = time.perf_counter()
        frame, _ = pyreadstat.read_xport(str(path))
        raw_seconds = time.perf_counter() - t0
        assert len(frame) == rows, (path, len(frame), rows)
        del frame
        line = (f"{path.name:<12} {path.stat().st_size / 1e6:>7.0f} {rows:>11,} {seconds:>8.2f} "
                f"{rows / seconds:>13,.0f} {raw_seconds:>12.2f} {rows / raw_seconds:>11,.0f} "
                f"{raw_seconds / seconds:>6.1f}")
        if args.previous:
            t0 = time.perf_counter()
            read_xpt_pyreadstat(path)
            line += f"  {rows / (time.perf_counter() - t0):>16,.0f}"
        print(line, flush=True)
    seconds, datasets = _best(lambda: read_sdtm(args.folder), 1)
    total = sum(len(d.frame) for d in datasets.values())
    print(f"read_sdtm({args.folder}): {len(datasets)} datasets, {total:,} rows in {seconds:.1f} s "
          f"({total / seconds:,.0f} rows/s)")


if __name__ == "__main__":
    from adam.tuning import tune_process

    tune_process()   # measured as the adam command runs (adam.tuning)
    main()
