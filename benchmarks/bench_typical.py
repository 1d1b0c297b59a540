"""Wall time of the commands a user runs on a typical study, against their targets.

    python benchmarks/bench_typical.py [--repeat 3] [--formats html,rtf,pdf]

- ``adam run --study cdiscpilot01`` (the CDISC pilot, 254 subjects, shipped SDTM): <= 4 s
- ``adam demo`` (both TOURMALINE twins at full size: synth, derive, check, analyze,
  report): <= 12 s

Each command runs as a whole fresh process (interpreter start and imports included), as
a user runs it, ``--repeat`` times into a new temporary folder; the minimum and median
are printed. Then one run of each with the time at which each step started (the
pipeline's own progress callback, in one process), to show where the time goes. The
example cache (``adam.examples``) is filled before timing: it is made once per install.
Timings on a shared 2-core machine vary with the host's load: compare runs made together.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TARGETS = {"run": 4.0, "demo": 12.0}

STAGES = r'''
import sys, time
from pathlib import Path
def main():
    t0 = time.perf_counter()
    from adam.tuning import tune_process
    tune_process()
    from adam import pipeline
    marks = [("import", time.perf_counter() - t0)]
    def ticker(prefix):
        return lambda step: marks.append((prefix + step, time.perf_counter() - t0))
    out, what, formats = Path(sys.argv[1]), sys.argv[2], sys.argv[3].split(",")
    if what == "run":
        pipeline.run("cdiscpilot01", None, out, formats=formats, progress=ticker(""))
    else:
        pipeline.demo(out, formats=formats, progress=lambda name: ticker(name + " "))
    marks.append(("end", time.perf_counter() - t0))
    for label, at in marks:
        print(f"    {at:6.2f} s  {label}")
if __name__ == "__main__":
    main()
'''


def command(what: str, out: Path, formats: str) -> list[str]:
    cli = [sys.executable, "-m", "adam.cli"]
    if what == "run":
        return cli + ["run", "--study", "cdiscpilot01", "--out", str(out), "--format", formats]
    return cli + ["demo", "--out", str(out), "--format", formats]


def wall(args: list[str]) -> float:
    t0 = time.perf_counter()
    subprocess.run(args, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - t0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--formats", default="html,rtf,pdf")
    args = parser.parse_args()
    from adam.examples import example_folder

    example_folder("cdiscpilot01/sdtm")
    with tempfile.TemporaryDirectory(prefix="adam-bench-") as tmp:
        for what, target in TARGETS.items():
            times = [wall(command(what, Path(tmp, f"{what}{i}"), args.formats)) for i in range(args.repeat)]
            verdict = "meets" if min(times) <= target else "MISSES"
            print(f"adam {what}: min {min(times):.2f} s, median {statistics.median(times):.2f} s "
                  f"over {len(times)} runs; target {target:.0f} s: {verdict}")
            print("  steps of one more run (seconds since the process started):")
            subprocess.run([sys.executable, "-c", STAGES, str(Path(tmp, f"{what}-stages")), what,
                            args.formats], check=True)


if __name__ == "__main__":
    main()
