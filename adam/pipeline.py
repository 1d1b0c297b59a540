"""The pipeline: derive, check, analyze, report, and the runs that chain them.

The only module of ``adam`` (besides the CLI) that imports ``derivations``, ``checks``
and ``reports``; the CLI is a thin layer over these functions.
"""

from __future__ import annotations

from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from adam.errors import AdamError, InputError
from adam.findings import findings_frame, merge_duplicates
from adam.io import open_sdtm, read_adam, read_sdtm
from adam.study import Study, load_study


def _study(study: str | Study) -> Study:
    return study if isinstance(study, Study) else load_study(study)


@dataclass
class CheckResult:
    kind: str
    findings: list = field(default_factory=list)
    datasets: list = field(default_factory=list)

    @property
    def frame(self) -> pd.DataFrame:
        return findings_frame(self.findings)

    @property
    def has_errors(self) -> bool:
        return any(f.severity == "error" for f in self.findings)


def check(study: str | Study, sdtm: Path | None = None, adam: Path | None = None,
          report: Path | None = None, findings_csv: Path | None = None,
          expectations: bool = True, validated: list | None = None) -> CheckResult:
    """Run schemas, conformance rules and expectation suites on an SDTM or ADaM folder;
    write the findings CSV and HTML report when asked. ``validated``: the schema and rule
    findings already made on these same datasets (by :func:`derive`), not made again."""
    spec = _study(study)
    folder = Path(sdtm if sdtm is not None else adam)
    kind = "sdtm" if sdtm is not None else "adam"
    if validated is not None:           # only the expectation suites run: read what they use
        datasets = _suite_inputs(folder, kind)
    else:
        datasets = read_sdtm(folder) if kind == "sdtm" else read_adam(folder)
    inputs = list(folder.glob("*"))
    findings = run_checks(datasets, kind, spec,
                          docs_dir=(report.parent / f"{report.stem}-datadocs") if (report and expectations) else None,
                          expectations=expectations, validated=validated)
    result = CheckResult(kind, findings, sorted(datasets))
    if findings_csv is not None:
        from checks.report import write_findings_csv
        write_findings_csv(findings, findings_csv, inputs=inputs)
    if report is not None:
        from checks.report import write_findings_html
        links = {"GX Data Docs": f"{report.stem}-datadocs/index.html"} if expectations else None
        write_findings_html(result.frame, report, title=f"{spec.studyid} {kind.upper()} checks",
                            links=links, inputs=inputs)
    return result


def _suite_inputs(folder: Path, kind: str) -> dict:
    """The datasets of ``folder`` with only the variables their expectation suites name
    (a dataset whose header name is not its file name is read whole)."""
    from adam.io import dataset_files, read_dataset
    from adam.io.xpt import read_xpt
    from checks.expectations import suite_variables

    out = {}
    for name, path in dataset_files(folder, kind.upper()).items():
        ds = read_xpt(path, columns=suite_variables(name, kind)) if path.suffix.lower() == ".xpt" else None
        out[name] = ds if ds is not None and ds.name.upper() == name.upper() else read_dataset(path)
    return out


def run_checks(datasets: dict, kind: str, study: Study, docs_dir: Path | None = None,
               expectations: bool = True, validated: list | None = None) -> list:
    """All findings of the checkers for ``kind`` ('sdtm' or 'adam'), duplicates merged.
    ``validated``: the schema and rule findings of these datasets, already made."""
    findings = validated_findings(datasets, kind, study) if validated is None else list(validated)
    if expectations:
        from checks.expectations import run_expectations
        findings += run_expectations(datasets, kind=kind, docs_dir=docs_dir)
    return merge_duplicates(findings)


def validated_findings(datasets: dict, kind: str, study: Study) -> list:
    """The findings of the schemas and conformance rules (not merged)."""
    findings = []
    if kind == "sdtm":
        from checks.sdtm import check_sdtm
        findings += check_sdtm(datasets, study)
    else:  # conformance rules first: their IDs mirror Pinnacle 21's
        from checks.rules import check_adam_rules
        from checks.schemas.adam import validate_adam
        findings += check_adam_rules(datasets)
        findings += validate_adam(datasets)
    return findings


def print_findings(result: CheckResult, console, max_rows: int = 40) -> None:
    """A summary by rule, then up to ``max_rows`` findings, on ``console``."""
    from rich.table import Table

    frame = result.frame
    n_err = int((frame["severity"] == "error").sum())
    n_warn = int((frame["severity"] == "warning").sum())
    n_note = int((frame["severity"] == "note").sum())
    console.print(f"{result.kind.upper()} check of {len(result.datasets)} dataset(s): "
                  f"{n_err} error(s), {n_warn} warning(s), {n_note} note(s)")
    if frame.empty:
        return
    summary = (frame.groupby(["dataset", "rule_id", "severity"], sort=False)
               .agg(count=("message", "size"), example=("message", "first")).reset_index())
    table = Table(title="Findings by rule", show_lines=False)
    for col in ("dataset", "rule_id", "severity", "count"):
        table.add_column(col, no_wrap=True)
    table.add_column("example", overflow="fold")
    for row in summary.itertuples(index=False):
        table.add_row(row.dataset, row.rule_id, row.severity, str(row.count), str(row.example))
    console.print(table)
    shown = frame.head(max_rows)
    console.print(f"Findings (first {len(shown)} of {len(frame)}; all of them go to --findings CSV):")
    for row in shown.itertuples(index=False):
        subject = f" {row.usubjid}" if isinstance(row.usubjid, str) and row.usubjid else ""
        target = f" {row.variable}" if isinstance(row.variable, str) and row.variable else ""
        value = f"={row.value!s}" if isinstance(row.value, str) and row.value else ""
        record = f" record {int(row.record)}" if pd.notna(row.record) else ""
        console.print(f"  {row.severity:<7} {row.dataset}{record} {row.rule_id}{subject}{target}{value}: {row.message}",
                      markup=False)


# ----------------------------------------------------------------------------- derive
def derive_datasets(study: Study, sdtm: dict) -> tuple[dict, list]:
    """Run the study's dataset program: it returns the ADaM datasets, or the datasets and
    the findings it made (invalid dates, metadata departures...)."""
    result = study.derive_function()(sdtm, study)
    if isinstance(result, tuple):
        datasets, findings = result
        return datasets, list(findings)
    return result, []


def derive(study: str | Study, sdtm: Path, out: Path) -> tuple[dict, list]:
    """SDTM folder -> ADaM datasets, validated before anything is written, then written
    atomically as XPT v5 into ``out``. Raises :class:`ValidationFailed` (nothing written)
    when a schema or conformance rule finds an error."""
    adam_sets, findings, _ = derive_checked(_study(study), sdtm, out)
    return adam_sets, findings


def derive_checked(spec: Study, sdtm: Path, out: Path) -> tuple[dict, list, list]:
    """:func:`derive`, also returning the schema and rule findings it made (unmerged),
    which :func:`check` can take as ``validated`` instead of making them again."""
    from adam.errors import ValidationFailed
    from adam.io import prepare_xpt, write_prepared

    sdtm_sets = open_sdtm(sdtm)                     # each domain read when the program uses it
    adam_sets, findings = derive_datasets(spec, sdtm_sets)
    del sdtm_sets                                   # the SDTM is not needed any more
    validated = validated_findings(adam_sets, "adam", spec)
    findings = findings + merge_duplicates(validated)
    errors = [f for f in findings if f.severity == "error"]
    if errors:
        first = errors[0]
        where = f"{first.dataset}" + (f" {first.usubjid}" if first.usubjid else "")
        raise ValidationFailed(f"{len(errors)} error-level finding(s); nothing written. First: "
                               f"{where}: {first.rule_id}: {first.message}", findings=findings)
    prepared = {name: prepare_xpt(ds) for name, ds in adam_sets.items()}  # all pass, or none is written
    out = Path(out)
    inputs = list(Path(sdtm).glob("*"))
    for name, xpt in prepared.items():
        write_prepared(xpt, out / f"{name.lower()}.xpt", inputs=inputs)
    return adam_sets, findings, validated


# ----------------------------------------------------------------------------- analyze
def analyze(study: str | Study, adam: Path, out: Path) -> pd.DataFrame:
    """The study's prespecified analyses of an ADaM folder -> ``out/ard.csv``."""
    from adam.analysis import run_analyses
    from adam.ard import write_ard

    spec = _study(study)
    ard = run_analyses(read_adam(adam), spec)
    write_ard(ard, Path(out) / "ard.csv")
    return ard


def analyze_adtte(adtte: Path, out: Path, param: str, trt: str, ref: str | None = None,
                  strata: list[str] | None = None, ties: str = "efron",
                  conf_type: str = "log-log", timepoints: list[float] = (),
                  rmst_tau: float | None = None) -> pd.DataFrame:
    """Ad-hoc time-to-event analysis of any ADTTE file -> ``out/ard.csv`` (times in AVAL units)."""
    from adam.analysis import tte_rows
    from adam.ard import ard_frame, write_ard
    from adam.errors import UsageError
    from adam.io import read_dataset

    ds = read_dataset(adtte)
    frame = ds.frame
    for var in ("PARAMCD", "AVAL", "CNSR", trt, *(strata or [])):
        if var not in frame:
            raise InputError(f"ADTTE has no variable {var}", file=adtte, variable=var)
    _check_tte_values(frame, adtte)
    frame = frame.loc[frame["PARAMCD"] == param]
    if frame.empty:
        known = ", ".join(sorted(ds.frame["PARAMCD"].dropna().unique().astype(str)))
        raise UsageError(f"no records with PARAMCD {param!r} (present: {known})", file=adtte)
    levels = sorted(frame[trt].dropna().astype(str).unique())
    if ref is not None and ref not in levels:
        raise UsageError(f"--ref {ref!r} is not a level of {trt} ({', '.join(levels)})")
    study_id = str(frame["STUDYID"].dropna().iloc[0]) if "STUDYID" in frame and frame["STUDYID"].notna().any() else ""
    rows = tte_rows(frame, study_id=study_id, analysis_id=f"{param}-ADHOC", paramcd=param,
                    population="", trt_var=trt, ref=ref, strata=strata or None,
                    methods=("km", "logrank", "cox", "revkm"), timepoints=list(timepoints),
                    risk_times=list(timepoints), rmst_tau=rmst_tau, ties=ties, conf_type=conf_type)
    ard = ard_frame(rows)
    write_ard(ard, Path(out) / "ard.csv")
    return ard


def _check_tte_values(frame: pd.DataFrame, path: Path) -> None:
    """AVAL and CNSR must be numeric, present, AVAL >= 0 and CNSR a non-negative integer."""
    import numpy as np

    for var in ("AVAL", "CNSR"):
        col = frame[var]
        if not pd.api.types.is_numeric_dtype(col):
            raise InputError(f"must be numeric, found text such as {col.dropna().iloc[0]!r}" if col.notna().any()
                             else "must be numeric", file=path, variable=var)
        values = col.to_numpy(dtype=float)
        bad = np.isnan(values) | (values < 0)
        if var == "CNSR":
            bad |= values != np.round(values)
        if bad.any():
            r = int(np.flatnonzero(bad)[0])
            what = "missing" if np.isnan(values[r]) else f"invalid value {values[r]!r}"
            raise InputError(f"{what} (must be {'>= 0' if var == 'AVAL' else 'an integer >= 0'})",
                             file=path, record=r + 1, variable=var)


# ----------------------------------------------------------------------------- synth
def synth(study: str, out: Path, n_subjects: int | None = None, seed: int | None = None) -> dict[str, Path]:
    """Synthetic SDTM of a trial twin, one XPT per domain in ``out``, each domain written
    and released before the next is built; returns ``{domain: path}``."""
    from adam.synth import iter_domains, write_sdtm

    kwargs = {} if seed is None else {"seed": seed}
    return write_sdtm(iter_domains(study, n_subjects=n_subjects, **kwargs), Path(out))


# ----------------------------------------------------------------------------- report
def report(study: str | Study, ard: Path, out: Path, formats=("html", "rtf", "pdf")) -> list[Path]:
    """TLFs of ``study`` from an ``ard.csv`` (file or folder) into ``out``."""
    from adam.ard import read_ard
    from reports import render_reports

    spec = _study(study)
    return render_reports(read_ard(ard), spec, Path(out), formats=tuple(formats))


# ----------------------------------------------------------------------------- run
STEPS = ("derive", "check", "analyze", "report")


def run(study: str | Study, sdtm: Path, out: Path, formats=("html", "rtf", "pdf"),
        progress=None, expectations: bool = True) -> dict:
    """derive -> check -> analyze -> report into ``out/adam``, ``out/checks``,
    ``out/ard/ard.csv``, ``out/tlf``. ``progress(step)`` is called before each step."""
    spec = _study(study)
    out = Path(out)
    tick = progress or (lambda step: None)
    tick("derive")
    _, _, validated = derive_checked(spec, sdtm, out / "adam")
    tick("check")   # the written ADaM; derive already ran the schemas and rules on it
    with second_process() as pool:   # check and analyze both read the written ADaM
        checking = pool.submit(check, spec, adam=out / "adam", report=out / "checks" / "report.html",
                               findings_csv=out / "checks" / "findings.csv",
                               expectations=expectations, validated=validated)
        tick("analyze")
        ard = analyze(spec, out / "adam", out / "ard")
        try:
            result = checking.result()
        except BrokenProcessPool as exc:  # the worker died (killed, out of memory)
            raise AdamError(f"the check step's process ended abnormally ({exc}); "
                            f"run 'adam check' on {out / 'adam'} alone") from None
    tick("report")
    outputs = report(spec, out / "ard", out / "tlf", formats=formats)
    tick("done")
    return {"check": result, "ard": ard, "outputs": outputs}


class InThisProcess:
    """The executor interface, running each call at once (one core: nothing to gain)."""

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def submit(self, fn, *args, **kwargs):
        from concurrent.futures import Future

        future = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as exc:  # delivered by result(), as from a process
            future.set_exception(exc)
        return future


def second_process():
    """A one-worker process pool (spawned: no state shared with this process) when this
    machine gives us two cores or more, else calls made in this process."""
    import os

    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    if cores < 2:
        return InThisProcess()
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    return ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"))


# ----------------------------------------------------------------------------- demo
DEMO_STUDIES = ("tourmaline-mm3", "tourmaline-mm4")


def demo(out: Path, formats=("html", "rtf", "pdf"), progress=None) -> dict:
    """Synthesize both TOURMALINE twins and run everything into ``out/<study>/``, with
    ``out/index.html`` linking every output. ``progress(study)`` returns a ``tick(step)``."""
    from reports.portal import render_demo_index

    out = Path(out)
    results = {}
    for name in DEMO_STUDIES:
        tick = progress(name) if progress else (lambda step: None)
        tick("synth")
        synth(name, out / name / "sdtm")
        results[name] = run(name, out / name / "sdtm", out / name, formats=formats, progress=tick)
    render_demo_index(out, {name: _study(name) for name in results}, results)
    return results
