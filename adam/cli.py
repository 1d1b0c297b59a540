"""The ``adam`` command (``shared/spec/cli.md``).

Exit codes: 0 success (warnings alone exit 0); 1 error findings or differences; 2 bad
usage or unreadable input, with
one line on stderr naming the file, record or variable and the cause (a traceback only
with ``--debug``). Each command is a thin layer over :mod:`adam.pipeline`.
"""

from __future__ import annotations

import sys
import warnings
from pathlib import Path
from typing import List, Optional

import typer

try:  # typer >= 0.26 vendors click
    from typer._click.exceptions import NoArgsIsHelpError, UsageError as ClickUsageError
except ImportError:  # pragma: no cover
    from click.exceptions import NoArgsIsHelpError, UsageError as ClickUsageError
from rich.console import Console

from adam import __version__
from adam.errors import AdamError

class _FlowOrder(typer.core.TyperGroup):
    """List commands in the order data flows, not alphabetically."""

    ORDER = ("synth", "check", "derive", "analyze", "report", "run", "define", "bundle", "demo", "convert",
             "compare")

    def list_commands(self, ctx):
        names = super().list_commands(ctx)
        return sorted(names, key=lambda n: self.ORDER.index(n) if n in self.ORDER else len(self.ORDER))


app = typer.Typer(cls=_FlowOrder, add_completion=False, no_args_is_help=True, rich_markup_mode=None,
                  pretty_exceptions_enable=False,
                  help="adamant: SDTM -> ADaM -> ARD -> TLF for clinical trials.")
stdout = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)
_state = {"debug": False}
_SDTM_HELP = ("Folder of SDTM datasets (default: the SDTM the study specification names, "
              "e.g. the CDISC pilot data shipped for cdiscpilot01).")
_GX_HELP = ("Also run the great-expectations suites and write their Data Docs (a second "
            "process; 'adam check' always runs them). The schemas and conformance rules run "
            "in derive either way.")
_ENCODING_HELP = ("Text encoding of the ADaM XPT files (v5 is ASCII; e.g. cp1252 to keep "
                  "non-ASCII SDTM text).")


def _version(value: bool):
    if value:
        stdout.print(f"adamant {__version__}")
        raise typer.Exit(0)


@app.callback()
def _root(debug: bool = typer.Option(False, "--debug", help="Show tracebacks of errors."),
          version: bool = typer.Option(False, "--version", callback=_version, is_eager=True,
                                       help="Print the version and exit.")):
    """adamant: SDTM -> ADaM -> ARD -> TLF for clinical trials."""
    _state["debug"] = debug


@app.command()
def check(study: Optional[str] = typer.Option(None, "--study", help="Built-in study name or specification file "
                                                    "(optional: without it, STUDYID is not compared with the study's)."),
          sdtm: Optional[Path] = typer.Option(None, "--sdtm", help="Folder of SDTM datasets."),
          adam: Optional[Path] = typer.Option(None, "--adam", help="Folder of ADaM datasets."),
          report: Optional[Path] = typer.Option(None, "--report", help="Write an HTML report here."),
          findings: Optional[Path] = typer.Option(None, "--findings", help="Write the findings CSV here."),
          max_rows: int = typer.Option(40, "--max-rows", help="Findings listed on stdout (all go to the CSV).")):
    """Validate SDTM or ADaM: schemas, conformance rules, expectations."""
    from adam import pipeline

    if (sdtm is None) == (adam is None):
        raise _usage("give exactly one of --sdtm DIR or --adam DIR")
    result = pipeline.check(study, sdtm=sdtm, adam=adam, report=report, findings_csv=findings)
    pipeline.print_findings(result, stdout, max_rows=max_rows)
    raise typer.Exit(1 if result.has_errors else 0)


@app.command()
def convert(source: Path = typer.Argument(..., metavar="IN", help="Input .xpt or .json."),
            target: Path = typer.Argument(..., metavar="OUT", help="Output .xpt or .json."),
            encoding: str = typer.Option("ascii", "--encoding",
                                         help="Text encoding of an XPT output (v5 is ASCII; "
                                              "e.g. cp1252 to keep non-ASCII text)."),
            member: Optional[str] = typer.Option(None, "--member",
                                                 help="The member to convert of an XPT file with several "
                                                      "(without it such a file is refused, naming them).")):
    """Convert between SAS XPT v5 and CDISC Dataset-JSON v1.1, keeping all metadata."""
    from adam.io import read_dataset, write_dataset

    encoding = _encoding(encoding)
    ds = read_dataset(source, member=member)
    write_dataset(ds, target, inputs=[source], encoding=encoding)
    stdout.print(f"wrote {target} ({ds.name}: {len(ds.frame)} records, {len(ds.variables)} variables)")


@app.command()
def synth(study: str = typer.Option(..., "--study", help="tourmaline-mm3 or tourmaline-mm4."),
          n_subjects: Optional[int] = typer.Option(None, "--n-subjects", min=1, help="Subjects (default: the trial's ITT N)."),
          seed: Optional[int] = typer.Option(None, "--seed", help="Random seed (default fixed)."),
          out: Path = typer.Option(..., "--out", help="Output folder for the SDTM XPT files.")):
    """Synthetic SDTM twin of a reference trial."""
    from adam import pipeline

    paths = pipeline.synth(study, out, n_subjects=n_subjects, seed=seed)
    from adam.synth import n_subjects_of

    n = n_subjects_of(study, n_subjects)
    stdout.print(f"wrote {len(paths)} SDTM datasets for {n} subjects to {out}")


@app.command()
def derive(study: str = typer.Option(..., "--study", help="Built-in study or specification file."),
           sdtm: Optional[Path] = typer.Option(None, "--sdtm", help=_SDTM_HELP),
           out: Path = typer.Option(..., "--out", help="Output folder for the ADaM XPT files."),
           encoding: str = typer.Option("ascii", "--encoding", help=_ENCODING_HELP)):
    """ADaM datasets from SDTM, validated before anything is written."""
    from adam import pipeline

    from adam.errors import ValidationFailed

    try:
        datasets, findings = pipeline.derive(study, sdtm, out, encoding=_encoding(encoding))
    except ValidationFailed as exc:
        _print_failed(exc)
        raise
    for name, ds in datasets.items():
        stdout.print(f"wrote {out / (name.lower() + '.xpt')} ({len(ds.frame)} records, {len(ds.variables)} variables)")
    if findings:
        pipeline.print_findings(pipeline.CheckResult("adam", findings, sorted(datasets)), stdout, max_rows=20)


@app.command()
def report(study: List[str] = typer.Option(..., "--study", metavar="STUDY", help="Built-in study or specification "
                                           "file; repeat --study/--ard in pairs for one report of several studies."),
           ard: List[Path] = typer.Option(..., "--ard", metavar="DIR", help="Folder (or file) with ard.csv (one per --study)."),
           out: Path = typer.Option(..., "--out", help="Output folder for the TLFs."),
           format: str = typer.Option("html,rtf,pdf", "--format", help="Any of html,rtf,pdf.")):
    """Tables, listings and figures from the ARD. Several --study/--ard pairs: one report,
    the studies' outputs of the same number combined (tables side by side, figures as panels)."""
    from adam import pipeline

    formats = _formats(format)
    if len(study) == 1 and len(ard) == 1:
        outputs = pipeline.report(study[0], ard[0], out, formats=formats)
    else:
        outputs = pipeline.publication(study, ard, out, formats=formats)
    stdout.print(f"wrote {len(outputs)} files to {out} (open {out / 'index.html'})")


@app.command()
def run(study: str = typer.Option(..., "--study", help="Built-in study or specification file."),
        sdtm: Optional[Path] = typer.Option(None, "--sdtm", help=_SDTM_HELP),
        out: Path = typer.Option(..., "--out", help="Output folder."),
        format: str = typer.Option("html,rtf,pdf", "--format", help="TLF formats."),
        encoding: str = typer.Option("ascii", "--encoding", help=_ENCODING_HELP),
        expectations: bool = typer.Option(False, "--expectations/--no-expectations", help=_GX_HELP)):
    """derive, check, analyze and report in one go."""
    from adam import pipeline

    from adam.errors import ValidationFailed

    formats = _formats(format)
    try:
        with _progress() as bar:
            result = pipeline.run(study, sdtm, out, formats=formats, encoding=_encoding(encoding),
                                  progress=_stepper(bar, study, pipeline.STEPS), expectations=expectations)
    except ValidationFailed as exc:
        _print_failed(exc)
        raise
    _summary(out, result)


@app.command()
def demo(out: Path = typer.Option(Path("adam-demo"), "--out", help="Output folder."),
         format: str = typer.Option("html,rtf,pdf", "--format", help="TLF formats."),
         expectations: bool = typer.Option(False, "--expectations/--no-expectations", help=_GX_HELP)):
    """Synthesize both TOURMALINE twins and run everything into one folder."""
    from adam import pipeline

    with _progress() as bar:
        results = pipeline.demo(out, formats=_formats(format), expectations=expectations,
                                progress=lambda name: _stepper(bar, name, ("synth",) + pipeline.STEPS))
    for name, result in results.items():
        _summary(out / name, result)
    stdout.print(f"open {out / 'index.html'}")


def _print_failed(exc) -> None:
    """The findings a :class:`~adam.errors.ValidationFailed` carries, on stdout."""
    from adam import pipeline

    from adam.findings import FindingTable

    found = FindingTable.of(exc.findings or [])
    pipeline.print_findings(pipeline.CheckResult(exc.kind, found, found.dataset_names()), stdout)


def _encoding(name: str) -> str:
    import codecs

    try:
        return codecs.lookup(name).name
    except LookupError:
        raise _usage(f"--encoding: unknown text encoding {name!r} (e.g. ascii, cp1252, utf-8)") from None


def _formats(text: str) -> list[str]:
    formats = _csv_list(text)
    bad = [f for f in formats if f not in ("html", "rtf", "pdf")]
    if bad or not formats:
        raise _usage(f"--format takes html, rtf, pdf; not {', '.join(bad) or 'nothing'}")
    return formats


def _progress():
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    return Progress(TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn(),
                    console=stdout, transient=False)


def _stepper(bar, label: str, steps: tuple):
    """A ``tick(step)`` callback that moves a rich progress bar through ``steps``."""
    task = bar.add_task(label, total=len(steps))

    def tick(step: str):
        done = steps.index(step) if step in steps else len(steps)
        bar.update(task, description=f"{label}: {step}", completed=done)
    return tick


def _summary(out: Path, result: dict) -> None:
    chk = result["check"]
    n_err, n_warn = chk.count("error"), chk.count("warning")
    stdout.print(f"{out}: ADaM in {out / 'adam'}, checks {n_err} error(s) {n_warn} warning(s), "
                 f"{len(result['ard'])} statistics, {len(result['outputs'])} TLF files")
    _print_analysis_findings(result.get("analysis", []))


@app.command()
def compare(base: Path = typer.Argument(..., metavar="BASE", help="Base dataset (.xpt or .json)."),
            other: Path = typer.Argument(..., metavar="COMPARE", help="Compare dataset (.xpt or .json)."),
            keys: str = typer.Option(..., "--keys", help="ID variables K1,K2 matching observations."),
            report: Optional[Path] = typer.Option(None, "--report", help="Write an HTML report here."),
            abs_tol: float = typer.Option(1e-10, "--abs-tol", help="Absolute tolerance for numbers."),
            rel_tol: float = typer.Option(0.0, "--rel-tol", help="Relative tolerance for numbers.")):
    """PROC COMPARE-style QC of two datasets: observations, variables, values, metadata."""
    from adam import pipeline

    result = pipeline.compare(base, other, _csv_list(keys), report=report, abs_tol=abs_tol,
                              rel_tol=rel_tol)
    stdout.print(result.summary_text(), markup=False)
    raise typer.Exit(0 if result.identical else 1)


def _csv_list(text: str | None) -> list[str]:
    return [t.strip() for t in text.split(",") if t.strip()] if text else []


def _numbers(text: str | None, option: str) -> list[float]:
    try:
        return [float(t) for t in _csv_list(text)]
    except ValueError:
        raise _usage(f"{option} must be comma-separated numbers, not {text!r}") from None


@app.command()
def analyze(study: Optional[str] = typer.Option(None, "--study", help="Built-in study or specification file (prespecified analyses)."),
            adam: Optional[Path] = typer.Option(None, "--adam", help="ADaM folder (with --study)."),
            adtte: Optional[Path] = typer.Option(None, "--adtte", help="ADTTE file, .xpt or .json (ad hoc)."),
            param: Optional[str] = typer.Option(None, "--param", help="PARAMCD to analyse (ad hoc)."),
            trt: Optional[str] = typer.Option(None, "--trt", help="Treatment variable (ad hoc)."),
            ref: Optional[str] = typer.Option(None, "--ref", help="Reference level (default: placebo-like, else last)."),
            strata: Optional[str] = typer.Option(None, "--strata", help="Stratification variables V1,V2."),
            ties: str = typer.Option("efron", "--ties", help="efron or breslow."),
            conf_type: str = typer.Option("log-log", "--conf-type", help="log-log, log or plain."),
            timepoints: Optional[str] = typer.Option(None, "--timepoints", help="Landmark times T1,T2 (AVAL units)."),
            rmst_tau: Optional[float] = typer.Option(None, "--rmst-tau", help="RMST truncation time."),
            subgroups: Optional[str] = typer.Option(None, "--subgroups", help="Subgroup variables V1,V2 of the ADTTE (ad hoc): HR per level and interaction test."),
            contrasts: Optional[str] = typer.Option(None, "--contrasts", help="3+ arms: pairwise (default: each contrast on its two arms' records) or joint (one Cox model of all arms)."),
            out: Path = typer.Option(..., "--out", help="Output folder for ard.csv.")):
    """Survival analyses -> ard.csv: a study's prespecified plan, or ad hoc on any ADTTE."""
    from adam import pipeline

    if ties not in ("efron", "breslow"):
        raise _usage(f"--ties must be efron or breslow, not {ties!r}")
    if conf_type not in ("log-log", "log", "plain"):
        raise _usage(f"--conf-type must be log-log, log or plain, not {conf_type!r}")
    if contrasts not in (None, "pairwise", "joint"):
        raise _usage(f"--contrasts must be pairwise or joint, not {contrasts!r}")
    found: list = []
    if adtte is not None:
        if study or adam:
            raise _usage("--adtte (ad hoc) cannot be combined with --study/--adam")
        if not param or not trt:
            raise _usage("ad-hoc analysis needs --param PARAMCD and --trt VAR")
        ard = pipeline.analyze_adtte(adtte, out, param=param, trt=trt, ref=ref,
                                     strata=_csv_list(strata), ties=ties, conf_type=conf_type,
                                     timepoints=_numbers(timepoints, "--timepoints"),
                                     rmst_tau=rmst_tau, subgroups=_csv_list(subgroups),
                                     contrasts=contrasts or "pairwise", findings=found)
    else:
        if not study or adam is None:
            raise _usage("give --study STUDY --adam DIR, or --adtte FILE --param P --trt VAR")
        if subgroups:
            raise _usage("--subgroups is for ad hoc analyses (--adtte); a study lists its subgroups")
        ard = pipeline.analyze(study, adam, out, findings=found, contrasts=contrasts)
    stdout.print(f"wrote {out / 'ard.csv'} ({len(ard)} statistics)")
    _print_analysis_findings(found)   # warnings only: exit 0


@app.command()
def define(study: str = typer.Option(..., "--study", help="Built-in study or specification file."),
           adam: Path = typer.Option(..., "--adam", help="Folder of the ADaM XPT files."),
           out: Path = typer.Option(..., "--out", help="The define.xml to write (define.html beside it)."),
           sdtm: Optional[Path] = typer.Option(None, "--sdtm", help="SDTM folder read: Predecessor origins, "
                                                                   "and sdtm-define.xml beside OUT.")):
    """Define-XML 2.1 (and define.html) of an ADaM folder, validated against the schema."""
    from adam.study import load_study
    from adam.submission.define_xml import validate_define, write_defines

    out = Path(out)
    if out.suffix.lower() != ".xml":
        raise _usage(f"--out names the define.xml to write, not {out}")
    spec = load_study(study)
    written = write_defines(spec, adam, out.parent, sdtm=sdtm)
    if out.name != "define.xml":
        written[0] = written[0].replace(out)
        written[1] = written[1].replace(out.with_suffix(".html"))
    for path in written:
        if path.suffix == ".xml":
            errors = validate_define(path)
            if errors:
                raise _usage(f"{path}: not valid Define-XML 2.1: {errors[0]}")
        stdout.print(f"wrote {path}", markup=False)


@app.command()
def bundle(study: Optional[str] = typer.Option(None, "--study", help="Built-in study or specification file."),
           out: Path = typer.Option(..., "--out", help="The bundle folder."),
           sdtm: Optional[Path] = typer.Option(None, "--sdtm", help=_SDTM_HELP),
           source: Optional[Path] = typer.Option(None, "--from", help="An 'adam run' output folder to bundle "
                                                 "(default: run the study into --out first)."),
           verify: bool = typer.Option(False, "--verify", help="Run recompute.R with Rscript and report the count."),
           format: str = typer.Option("html,rtf,pdf", "--format", help="TLF formats (when running).")):
    """Reviewer's bundle: ADaM XPT, define.xml/html, ARD + ARS JSON, TLFs and an R script
    recomputing every statistic (base R, survival, foreign)."""
    from adam.bundle import verify_bundle, write_bundle

    if study is None:
        if not verify:
            raise _usage("give --study STUDY (to build a bundle), or --verify on an existing bundle")
    else:
        from adam import pipeline
        from adam.study import load_study

        spec = load_study(study)
        sdtm_folder = sdtm if sdtm is not None else (None if source is not None else spec.default_sdtm())
        if source is None:
            with _progress() as bar:
                pipeline.run(spec, sdtm_folder, out, formats=_formats(format),
                             progress=_stepper(bar, spec.name, pipeline.STEPS))
            source = out
        written = write_bundle(spec, Path(source) / "adam", Path(source) / "ard", Path(source) / "tlf", out,
                               sdtm=sdtm_folder)
        stdout.print(f"wrote the bundle {out} ({len(written)} files; check it with: Rscript {out / 'recompute.R'})",
                     markup=False)
    if verify:
        result = verify_bundle(out)
        stdout.print(f"recompute.R: {result.total} statistics, {result.agree} recomputed in R agree to 1e-6, "
                     f"{result.differ} differ, {result.listed} not recomputed (listed with the reason), "
                     f"{result.unexplained} not recomputed without a reason", markup=False)
        if not result.ok:
            for line in result.output.splitlines():
                if "| DIFFERS" in line or "| NOT RECOMPUTED" in line:
                    stdout.print(line, markup=False)
            raise typer.Exit(1)


def _print_analysis_findings(found: list) -> None:
    """The analyses' warnings (e.g. a hazard ratio not estimable), one line each, on stdout."""
    for f in found:
        stdout.print(f"{f.severity}: {f.rule_id}: {f.message}", markup=False)


def _usage(message: str) -> AdamError:
    from adam.errors import UsageError
    return UsageError(message)


def main(argv: list[str] | None = None) -> int:
    """Console entry point: tune this process's memory use (:mod:`adam.tuning`; off with
    ``ADAMANT_TUNING=0``), run the app, turn every error into one line and an exit code."""
    from adam.tuning import tune_process

    tune_process()
    try:
        with warnings.catch_warnings():
            if "--debug" not in (sys.argv[1:] if argv is None else argv):
                warnings.simplefilter("ignore")   # library warnings never precede the one line
            code = app(args=argv, prog_name="adam", standalone_mode=False)
    except typer.Exit as exc:
        code = exc.exit_code
    except NoArgsIsHelpError as exc:
        stdout.print(exc.format_message() if hasattr(exc, "format_message") else str(exc), markup=False)
        code = 0
    except ClickUsageError as exc:
        hint = f" (see 'adam {exc.ctx.info_name} --help')" if exc.ctx and exc.ctx.parent else " (see 'adam --help')"
        err.print(f"adam: error: {exc.format_message()}{hint}", markup=False)
        code = 2
    except (typer.Abort, KeyboardInterrupt):
        err.print("adam: aborted", markup=False)
        code = 130
    except AdamError as exc:
        if _state["debug"]:
            raise
        err.print(f"adam: error: {exc.one_line()}", markup=False)
        code = exc.exit_code
    except MemoryError:
        if _state["debug"]:
            raise
        err.print("adam: error: out of memory; give the process more memory or check fewer/smaller "
                  "datasets at a time", markup=False)
        code = 2
    except OSError as exc:    # e.g. disk full where no writer named the file: name it here
        if _state["debug"]:
            raise
        where = f"{exc.filename}: " if exc.filename else ""
        err.print(f"adam: error: {where}{exc.strerror or exc}", markup=False)
        code = 2
    except Exception as exc:  # a bug: still one line, traceback with --debug
        if _state["debug"]:
            raise
        err.print(f"adam: internal error: {type(exc).__name__}: {exc} (rerun with --debug for details)",
                  markup=False)
        code = 2
    if argv is None:
        sys.exit(code or 0)
    return code or 0


if __name__ == "__main__":
    main()
