"""Benchmark of ``adam.synth.synthesize``: wall time and peak memory (max RSS) for 1e4,
1e5 and 1e6 subjects. Each size runs in a fresh subprocess so the peaks do not mix.

    python benchmarks/bench_synth.py [--study tourmaline-mm3] [--sizes 10000 100000 1000000]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys

CHILD = r"""
import json, resource, sys, time
from adam.synth import synthesize
study, n = sys.argv[1], int(sys.argv[2])
t0 = time.perf_counter()
sd = synthesize(study, n_subjects=n)
elapsed = time.perf_counter() - t0
rows = {k: len(v.frame) for k, v in sd.items()}
peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"n": n, "seconds": elapsed, "peak_mb": peak_mb, "rows": rows}))
"""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--study", default="tourmaline-mm3")
    ap.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    args = ap.parse_args()
    print(f"{'subjects':>10} {'seconds':>9} {'peak MB':>9}  records")
    for n in args.sizes:
        out = subprocess.run([sys.executable, "-c", CHILD, args.study, str(n)],
                             capture_output=True, text=True, check=True)
        r = json.loads(out.stdout.strip().splitlines()[-1])
        total = sum(r["rows"].values())
        print(f"{r['n']:>10,} {r['seconds']:>9.1f} {r['peak_mb']:>9.0f}  {total:,} "
              f"(ex {r['rows']['ex']:,}, rs {r['rows']['rs']:,}, cm {r['rows']['cm']:,})")


if __name__ == "__main__":
    from adam.tuning import tune_process

    tune_process()   # measured as the adam command runs (adam.tuning)
    main()
