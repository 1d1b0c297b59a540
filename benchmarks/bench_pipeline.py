"""End-to-end benchmark: synth, derive (ADSL + ADTTE), check, analyze at several sizes.

    python benchmarks/bench_pipeline.py [--sizes 10000 100000 1000000] [--study tourmaline-mm3]

For each size, ``synth`` runs in one fresh process and the ``run`` stages in another, as a
user runs ``adam synth`` then ``adam run``; each stage prints its wall time and the peak
memory so far of its process and that process's children together (sum of proportional
set sizes, sampled at most once a second (see PeakRSS): pages a forked child shares with
its parent count once).
The stages are those of ``adam run``, as it chains them: ``derive`` reads the
SDTM, derives, validates (schemas and conformance rules) and writes the ADaM XPT; then, in
parallel (two cores), ``check`` in a second process reads the written ADaM, runs the GX
suites (the schema and rule findings come from derive) and writes the findings CSV and
HTML report with the Data Docs, while ``analyze`` reads the ADaM and runs the
study's prespecified analyses (KM per arm, stratified log-rank, stratified Cox for every
endpoint, subgroups, counts, baseline) except the IPCW/MSM person-period bootstraps. When
``Rscript`` is on the PATH, R ``survival`` is timed on the same OS rows
(``bench_stats.R``: read CSV, KM per arm, stratified log-rank, stratified Cox) beside
adamant's own KM + log-rank + Cox on those rows, and the ratio is printed.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


class PeakRSS:
    """Samples the memory of this process and its child processes (together) in a
    background thread: the sum of their proportional set sizes (PSS: a page shared by a
    forked child and its parent counts once, split between them).

    PSS costs the kernel a walk of every page table (about 5 ms for a 5 GB process here;
    one derive sampled every 0.2 s took 85 s against 74 s unsampled, a gap within this
    machine's run-to-run noise). So the sum of resident sizes (``statm``, O(1); never
    below the PSS sum) is read every 0.2 s, and PSS at most once per ``pss_every``
    seconds and only when that sum is above the peak so far: PSS could not have risen
    otherwise."""

    def __init__(self, pss_every: float = 1.0):
        self.peak = 0
        self._pss_every = pss_every
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self):
        last = -float("inf")
        while not self._stop.is_set():
            pids = _tree(os.getpid())
            if sum(_rss_bytes(pid) for pid in pids) > self.peak and time.monotonic() - last >= self._pss_every:
                last = time.monotonic()
                self.peak = max(self.peak, sum(_pss_bytes(pid) for pid in pids))
            time.sleep(0.2)

    def stop(self):
        self._stop.set()
        self._thread.join()


def steal_seconds() -> float:
    """CPU time the hypervisor gave to others while this machine's vCPUs wanted to run
    (``steal`` of /proc/stat, all CPUs), in seconds; 0 where not reported."""
    try:
        fields = Path("/proc/stat").read_text().splitlines()[0].split()
        return int(fields[8]) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return 0.0


def _tree(pid: int) -> list[int]:
    """``pid`` and its descendants (Linux /proc)."""
    pids, k = [pid], 0
    while k < len(pids):
        for task in Path(f"/proc/{pids[k]}/task").glob("*/children"):
            try:
                pids += [int(c) for c in task.read_text().split()]
            except OSError:
                pass
        k += 1
    return pids


def _rss_bytes(pid: int) -> int:
    try:
        return int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, IndexError, ValueError):
        return 0


def _pss_bytes(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1]) * 1024
    except (OSError, IndexError, ValueError):
        pass
    return 0


def _timed_check(spec, workdir: Path, validated) -> float:
    """``run``'s check step (in the second process); its wall seconds."""
    from adam import pipeline

    t0 = time.perf_counter()
    pipeline.check(spec, adam=workdir / "adam", validated=validated,
                   report=workdir / "checks" / "report.html",
                   findings_csv=workdir / "checks" / "findings.csv")
    return time.perf_counter() - t0


def one_size(n: int, study: str, workdir: Path, stages: str) -> dict:
    """Run ``stages`` (``synth``, or ``run``: derive then check beside analyze) for ``n``
    subjects in this process; return their timings."""
    from adam import pipeline
    from adam.study import load_study

    spec = load_study(study)
    rss = PeakRSS()
    out = {"n": n}

    def stage(name, fn):
        t0 = time.perf_counter()
        value = fn()
        out[name] = (time.perf_counter() - t0, rss.peak / 2**30)
        return value

    if stages == "synth":
        stage("synth", lambda: pipeline.synth(study, workdir / "sdtm", n_subjects=n))
        rss.stop()
        return out
    tte_ids = [a["id"] for a in spec.analyses if a["type"] not in ("ipcw", "msm")]
    with pipeline.second_process() as pool:        # as run does: check beside analyze
        pipeline.prepare_check_process(pool)
        _, _, validated = stage("derive", lambda: pipeline.derive_checked(spec, workdir / "sdtm", workdir / "adam"))
        t0 = time.perf_counter()
        checking = pool.submit(_timed_check, spec, workdir, validated)
        adam = stage("analyze", lambda: _analyze(workdir / "adam", spec, tte_ids))
        out["check"] = (checking.result(), rss.peak / 2**30)
    out["check+analyze"] = (time.perf_counter() - t0, rss.peak / 2**30)
    adtte = adam["adtte"].frame
    os_rows = adtte.loc[adtte["PARAMCD"] == "OS", ["AVAL", "CNSR", "TRT01P", "STRAT1R", "STRAT2R", "STRAT3R"]]
    csv = workdir / "os.csv"
    import pandas as pd

    pd.DataFrame({"time": os_rows["AVAL"], "event": (os_rows["CNSR"] == 0).astype(int),
                  "arm": (os_rows["TRT01P"] != "Placebo").astype(int),
                  **{f"s{i}": pd.factorize(os_rows[f"STRAT{i}R"])[0] for i in (1, 2, 3)}}
                 ).to_csv(csv, index=False)
    out["csv"] = str(csv)
    rss.stop()
    return out


def _analyze(folder: Path, spec, ids):
    from adam.analysis import analysis_variables, run_analyses
    from adam.io import read_adam

    adam = read_adam(folder, analysis_variables(spec, ids))   # as `adam analyze` reads
    run_analyses(adam, spec, only=ids)
    return adam


def python_stats_seconds(csv: str) -> float:
    """adamant KM + stratified log-rank + stratified Cox on the CSV, as a whole process."""
    code = ("from adam.tuning import tune_process;tune_process();"
            "import pandas as pd;from adam.stats.km import km_by_group;from adam.stats.logrank import logrank_test;"
            "from adam.stats.cox import CoxPH;"
            f"d=pd.read_csv({csv!r});s=[d.s1,d.s2,d.s3];km_by_group(d.time,d.event,d.arm);"
            "logrank_test(d.time,d.event,d.arm,strata=s);CoxPH(ties='efron').fit(d.time,d.event,d.arm,strata=s)")
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], check=True)
    return time.perf_counter() - t0


def r_seconds(csv: str) -> float | None:
    if not shutil.which("Rscript"):
        return None
    t0 = time.perf_counter()
    subprocess.run(["Rscript", str(HERE / "bench_stats.R"), csv], check=True, capture_output=True)
    return time.perf_counter() - t0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--study", default="tourmaline-mm3")
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--stages", help=argparse.SUPPRESS)
    parser.add_argument("--workdir", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(one_size(args.child, args.study, Path(args.workdir), args.stages)))
        return
    print(f"{'subjects':>9} {'stage':>13} {'seconds':>8} {'peak GB':>8}  (check runs in a second "
          "process beside analyze, as in `adam run`; peak = PSS of this process and its children)")
    for n in args.sizes:
        with tempfile.TemporaryDirectory() as tmp:
            result, steal = {}, steal_seconds()
            for stages in ("synth", "run"):        # as `adam synth` then `adam run`
                res = subprocess.run([sys.executable, __file__, "--child", str(n), "--study", args.study,
                                      "--stages", stages, "--workdir", tmp],
                                     check=True, capture_output=True, text=True)
                result.update(json.loads(res.stdout.strip().splitlines()[-1]))
            for stage in ("synth", "derive", "check", "analyze", "check+analyze"):
                seconds, peak = result[stage]
                print(f"{n:>9} {stage:>13} {seconds:8.2f} {peak:8.2f}")
            total = sum(result[stage][0] for stage in ("synth", "derive", "check+analyze"))
            peak = max(result["synth"][1], result["check+analyze"][1])
            print(f"{n:>9} {'total':>13} {total:8.2f} {peak:8.2f}  (CPU stolen by the hypervisor "
                  f"meanwhile: {steal_seconds() - steal:.1f} s)")
            py = python_stats_seconds(result["csv"])
            r = r_seconds(result["csv"])
            line = f"{n:>9} OS stats (KM + strat. log-rank + strat. Cox, whole process): adamant {py:.2f} s"
            if r is not None:
                line += f", R survival {r:.2f} s, ratio adamant/R {py / r:.2f}"
            print(line, flush=True)


if __name__ == "__main__":
    from adam.tuning import tune_process

    tune_process()   # measured as the adam command runs (adam.tuning)
    main()
