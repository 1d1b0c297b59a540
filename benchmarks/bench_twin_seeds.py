"""How robust are the twins' conclusions across seeds (issue 18): the calibration list of
:func:`adam.synth.calibration.conclusions` on seeds other than the default.

    python benchmarks/bench_twin_seeds.py [--seeds 1-20] [--jobs 2] [--json results.json]

For each study and seed: synth (the published N) -> derive -> analyze through
:mod:`adam.pipeline` in a temporary folder, then every check of the list, plus the SDTM
checks (:func:`checks.sdtm.check_sdtm`: no error or warning finding). Prints, per check,
how many seeds pass in each study with the median twin value over the seeds where it is
estimable; then, per seed, how many checks pass, and the failed checks by seed. The default seed (20140701) is pinned by
tests/test_twins_end_to_end.py and is not among these.

Jobs run in ``--jobs`` worker processes, each kept to one core (so the pipeline's own
forked steps run inline there): about 4 s of CPU per study and seed.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from adam.synth.calibration import PUBLISHED, Check

STUDIES = tuple(PUBLISHED)
SDTM_CHECK = "SDTM checks: no error or warning finding"


def _pin(cores) -> None:
    """Keep this worker to one core of ``cores`` (a queue of core ids)."""
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {cores.get()})


def one_run(study: str, seed: int) -> dict:
    """The checks of one twin (``{key: [passed, observed]}``) and its wall time."""
    from adam import pipeline
    from adam.io import read_adam, read_sdtm
    from adam.study import load_study
    from adam.synth.calibration import conclusions
    from checks.sdtm import check_sdtm

    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix=f"twin-{seed}-") as tmp:
        out = Path(tmp)
        try:
            pipeline.synth(study, out / "sdtm", seed=seed)
            pipeline.derive(study, out / "sdtm", out / "adam")
            ard = pipeline.analyze(study, out / "adam", out / "ard")
        except Exception as exc:          # a seed the pipeline refuses fails every check
            return {"study": study, "seed": seed, "error": f"{type(exc).__name__}: {exc}",
                    "checks": {}, "seconds": time.perf_counter() - t0}
        checks = conclusions(study, ard, read_adam(out / "adam")["adsl"].frame)
        sdtm = [f for f in check_sdtm(read_sdtm(out / "sdtm"), load_study(study))
                if f.severity in ("error", "warning")]
        checks.append(Check("SDTM checks", "no error or warning finding", not sdtm, len(sdtm), "0"))
    return {"study": study, "seed": seed, "error": None, "seconds": time.perf_counter() - t0,
            "checks": {c.key: [c.passed, c.observed, c.published] for c in checks},
            "sdtm_rules": sorted({f.rule_id for f in sdtm})}


def _seeds(text: str) -> list[int]:
    out = []
    for part in text.split(","):
        lo, _, hi = part.partition("-")
        out.extend(range(int(lo), int(hi or lo) + 1))
    return out


def _fmt(x: float) -> str:
    return "NaN" if x != x else f"{x:.3g}"


def report(results: list[dict], seeds: list[int]) -> None:
    by = {(r["study"], r["seed"]): r for r in results}
    groups, order, published = {}, {}, {}
    for r in results:                    # checks grouped by kind, in the list's order
        for key, (_, _, pub) in r["checks"].items():
            group = groups.setdefault(key.split(": ")[0], len(groups))
            order.setdefault(key, (group, len(order)))
            published.setdefault(key, {})[r["study"]] = pub
    keys = sorted(order, key=order.get)
    n = len(seeds)
    width = max(len(k) for k in keys)
    pub_width = {s: max(len(p.get(s, "")) for p in published.values()) for s in STUDIES}
    print((f"{'check':<{width}}" + "".join(
        f"  {s[-3:].upper() + ' pass':>9} {'median':>7} {'published':<{pub_width[s]}}" for s in STUDIES)).rstrip())
    for key in keys:
        line = f"{key:<{width}}"
        for study in STUDIES:
            got = [by[(study, s)]["checks"].get(key) for s in seeds]
            if all(g is None for g in got):
                line += " " * (19 + pub_width[study])
                continue
            passed = sum(bool(g and g[0]) for g in got)
            values = [g[1] for g in got if g is not None and g[1] == g[1]]
            med = statistics.median(values) if values else float("nan")
            line += f"  {passed:>5}/{n:<3} {_fmt(med):>7} {published[key][study]:<{pub_width[study]}}"
        print(line.rstrip())
    print()
    print(f"{'seed':>6}  " + "  ".join(f"{s[-3:].upper()} checks passed".ljust(24) for s in STUDIES)
          + "  both all pass")
    all_pass = {s: 0 for s in STUDIES}
    both = 0
    for seed in seeds:
        cells, ok_both = [], True
        for study in STUDIES:
            r = by[(study, seed)]
            ok = sum(v[0] for v in r["checks"].values())
            total = len(r["checks"])
            fine = r["error"] is None and ok == total
            all_pass[study] += fine
            ok_both &= fine
            cells.append((f"{ok}/{total}" + (" all" if fine else "") if r["error"] is None
                          else f"error: {r['error']}"[:24]).ljust(24))
        both += ok_both
        print(f"{seed:>6}  " + "  ".join(cells) + f"  {'yes' if ok_both else 'no'}")
    print()
    for study in STUDIES:
        print(f"{study}: {all_pass[study]} of {n} seeds pass every check")
    print(f"both twins: {both} of {n} seeds pass every check")
    print("\nfailed checks by seed:")
    for seed in seeds:
        for study in STUDIES:
            r = by[(study, seed)]
            bad = [k + (f" ({', '.join(r['sdtm_rules'])})" if k == SDTM_CHECK else "")
                   for k, v in r["checks"].items() if not v[0]]
            if bad or r["error"]:
                print(f"{seed:>6} {study[-3:].upper()}: {r['error'] or '; '.join(bad)}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", default="1-20", help="e.g. 1-20 or 1,5,7-9")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--json", type=Path, help="also write every check of every run here")
    args = ap.parse_args()
    seeds = _seeds(args.seeds)
    jobs = [(study, seed) for seed in seeds for study in STUDIES]
    from multiprocessing import get_context

    from adam.parallel import cores

    ctx = get_context("spawn")
    mine = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else list(range(cores()))
    n_jobs = max(1, min(args.jobs, len(mine)))
    queue = ctx.Queue()
    for core in mine[:n_jobs]:
        queue.put(core)
    t0 = time.perf_counter()
    with ProcessPoolExecutor(n_jobs, mp_context=ctx, initializer=_pin, initargs=(queue,)) as pool:
        results = list(pool.map(one_run, *zip(*jobs)))
    wall = time.perf_counter() - t0
    print(f"Twin robustness: {len(seeds)} seeds ({args.seeds}), {len(STUDIES)} studies, published N; "
          f"{wall:.0f} s wall with {n_jobs} worker(s), {sum(r['seconds'] for r in results):.0f} s in runs\n")
    report(results, seeds)
    if args.json:
        from adam.io.atomic import write_text

        write_text(args.json, json.dumps(results, indent=1))


if __name__ == "__main__":
    from adam.tuning import tune_process

    tune_process()
    sys.exit(main())
