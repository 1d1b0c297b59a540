"""The pipeline: derive, check, analyze, report, and the runs that chain them.

The only module of ``adam`` (besides the CLI) that imports ``derivations``, ``checks``
and ``reports``; the CLI is a thin layer over these functions.
"""

from __future__ import annotations

from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from adam.errors import AdamError, InputError, OutputError, UsageError, ValidationFailed, XptRuleError
from adam.findings import FindingTable, findings_frame, merge_duplicates
from adam.io import dataset_files, open_sdtm, read_adam, read_sdtm
from adam.io.atomic import check_output_file, check_output_folder, output_lock
from adam.parallel import InThisProcess, forked, in_other_process, second_process, stop_workers  # noqa: F401 (InThisProcess: one core)
from adam.study import Study, load_study


_WHAT = {"sdtm": "SDTM", "adam": "ADaM"}   # the kind of a folder, as messages name it


def _study(study: str | Study) -> Study:
    return study if isinstance(study, Study) else load_study(study)


@dataclass
class CheckResult:
    """``findings``: a list of :class:`~adam.findings.Finding` or, from :func:`check`, a
    :class:`~adam.findings.FindingTable` (compact; a sequence of findings too). What the
    console and the HTML report show is taken from it by counts and the first rows:
    :attr:`frame` makes every finding a row and is for small results."""
    kind: str
    findings: list = field(default_factory=list)
    datasets: list = field(default_factory=list)

    @property
    def table(self) -> FindingTable:
        """The findings as a :class:`~adam.findings.FindingTable` (made once)."""
        made = self.__dict__.get("_table")
        if made is None or made[0] is not self.findings or len(made[1]) != len(self.findings):
            self.__dict__["_table"] = made = (self.findings, FindingTable.of(self.findings))
        return made[1]

    @property
    def frame(self) -> pd.DataFrame:
        """The findings as a :func:`~adam.findings.findings_frame` (made once)."""
        made = self.__dict__.get("_frame")
        if made is None or made[0] != len(self.findings):
            self.__dict__["_frame"] = made = (len(self.findings), findings_frame(self.table))
        return made[1]

    @property
    def has_errors(self) -> bool:
        return self.table.has_errors()

    def count(self, severity: str) -> int:
        return self.table.severity_count(severity)


def check(study: str | Study | None, sdtm: Path | None = None, adam: Path | None = None,
          report: Path | None = None, findings_csv: Path | None = None,
          expectations: bool = True, validated: list | None = None) -> CheckResult:
    """Run schemas, conformance rules and expectation suites on an SDTM or ADaM folder;
    write the findings CSV and HTML report when asked. ``validated``: the schema and rule
    findings already made on these same datasets (by :func:`derive`), not made again.
    ``study=None``: a generic check (no study: STUDYID is not compared with one)."""
    spec = None if study is None else _study(study)
    folder = Path(sdtm if sdtm is not None else adam)
    kind = "sdtm" if sdtm is not None else "adam"
    files = dataset_files(folder, _WHAT[kind])  # a missing or empty folder fails first
    inputs = list(folder.glob("*"))
    docs_dir = Path(report).parent / f"{Path(report).stem}-datadocs" if (report and expectations) else None
    for path in (findings_csv, report):  # an output that cannot be written fails before the work
        if path is not None:
            check_output_file(path, inputs)
    if docs_dir is not None:
        check_output_folder(docs_dir, [folder])
    if validated is not None:           # only the expectation suites run: read what they use
        datasets = _suite_inputs(folder, kind)
    else:
        datasets = read_sdtm(folder) if kind == "sdtm" else read_adam(folder)
    from checks.roles import assign_roles

    datasets, named = assign_roles(datasets, kind, files)   # rules follow the file's role
    names = sorted(datasets)
    findings = FindingTable.concat([named, run_checks(datasets, kind, spec, docs_dir=docs_dir,
                                                      expectations=expectations, validated=validated)])
    del datasets                        # (the names are kept)
    result = CheckResult(kind, findings, names)
    if findings_csv is not None:        # every finding, streamed in chunks
        from checks.report import write_findings_csv
        write_findings_csv(findings, findings_csv, inputs=inputs)
    if report is not None:              # all counted, the first REPORT_PER_RULE of each rule listed
        from checks.report import write_findings_html
        links = {"GX Data Docs": f"{report.stem}-datadocs/index.html"} if expectations else None
        write_findings_html(findings, report, title=f"{spec.studyid + ' ' if spec else ''}{kind.upper()} checks",
                            links=links, inputs=inputs, per_rule=REPORT_PER_RULE)
    return result


#: findings of one dataset and rule listed in the HTML report (all are counted there and
#: written to the findings CSV)
REPORT_PER_RULE = 1000


def prepare_check_process(pool, expectations: bool = True) -> None:
    """Have ``pool``'s worker import what :func:`check` uses (GX takes seconds) while this
    process derives; where the calls run in this process there is nothing to overlap. A
    caller whose derive fails stops the worker (:func:`adam.parallel.stop_workers`) rather
    than wait for the imports."""
    if in_other_process(pool):
        pool.submit(_import_check_modules, expectations)


def _import_check_modules(expectations: bool) -> None:
    import checks.report  # noqa: F401
    if expectations:
        from checks.expectations import _gx
        _gx()


def _suite_inputs(folder: Path, kind: str) -> dict:
    """The datasets of ``folder`` with only the variables their expectation suites name
    (a dataset whose header name is not its file name is read whole)."""
    from adam.io import read_dataset
    from adam.io.xpt import read_xpt
    from checks.expectations import suite_variables

    out = {}
    for name, path in dataset_files(folder, _WHAT[kind]).items():
        ds = read_xpt(path, columns=suite_variables(name, kind)) if path.suffix.lower() == ".xpt" else None
        out[name] = ds if ds is not None and ds.name.upper() == name.upper() else read_dataset(path)
    return out


def run_checks(datasets: dict, kind: str, study: Study | None, docs_dir: Path | None = None,
               expectations: bool = True, validated: list | None = None) -> list:
    """All findings of the checkers for ``kind`` ('sdtm' or 'adam'), duplicates merged.
    ``validated``: the schema and rule findings of these datasets, already made."""
    findings = validated_findings(datasets, kind, study) if validated is None else validated
    if expectations:
        from checks.expectations import run_expectations
        findings = FindingTable.concat([findings, run_expectations(datasets, kind=kind, docs_dir=docs_dir)])
    return merge_duplicates(findings)


def validated_findings(datasets: dict, kind: str, study: Study) -> FindingTable:
    """The findings of the schemas and conformance rules (not merged)."""
    if kind == "sdtm":
        from checks.sdtm import check_sdtm
        return FindingTable.of(check_sdtm(datasets, study))
    # conformance rules first: their IDs mirror Pinnacle 21's
    return FindingTable.concat([adam_rule_findings(datasets), adam_schema_findings(datasets)])


def adam_rule_findings(datasets: dict) -> list:
    """The ADaM conformance rules' findings."""
    from checks.rules import check_adam_rules
    return check_adam_rules(datasets)


def adam_schema_findings(datasets: dict) -> list:
    """The ADaM schemas' findings."""
    from checks.schemas.adam import validate_adam
    return validate_adam(datasets)


def print_findings(result: CheckResult, console, max_rows: int = 40) -> None:
    """A summary by rule, then up to ``max_rows`` findings, on ``console``."""
    from rich.table import Table

    findings = result.table             # counted whole; only the rows shown made into text
    console.print(f"{result.kind.upper()} check of {len(result.datasets)} dataset(s): "
                  f"{result.count('error')} error(s), {result.count('warning')} warning(s), "
                  f"{result.count('note')} note(s)")
    if not len(findings):
        return
    order = findings.order()
    summary = findings.summary(order)
    table = Table(title="Findings by rule", show_lines=False)
    for col in ("dataset", "rule_id", "severity", "count"):
        table.add_column(col, no_wrap=True)
    table.add_column("example", overflow="fold")
    for row in summary.itertuples(index=False):
        table.add_row(row.dataset, row.rule_id, row.severity, str(row.count), str(row.example))
    console.print(table)
    shown = findings.frame(order[:max_rows])
    console.print(f"Findings (first {len(shown)} of {len(findings)}; all of them go to --findings CSV):")
    for row in shown.itertuples(index=False):
        subject = f" {row.usubjid}" if isinstance(row.usubjid, str) and row.usubjid else ""
        target = f" {row.variable}" if isinstance(row.variable, str) and row.variable else ""
        value = f"={row.value!s}" if isinstance(row.value, str) and row.value else ""
        record = f" record {int(row.record)}" if pd.notna(row.record) else ""
        console.print(f"  {row.severity:<7} {row.dataset}{record} {row.rule_id}{subject}{target}{value}: {row.message}",
                      markup=False)


# ----------------------------------------------------------------------------- derive
def derive_datasets(study: Study, sdtm: dict, program=None) -> tuple[dict, list]:
    """Run the study's dataset program (``program``: the study's, already loaded): the
    ADaM datasets (shaped by the study's metadata specification, if it names one) and
    the derivation findings (invalid dates, metadata departures...);
    see :mod:`derivations.program` for what a program may return. Text is held as
    ``object`` columns (the frame conventions of :mod:`adam.metadata`)."""
    from derivations.program import collect

    return collect((program or study.derive_function())(sdtm, study), study)


def derive(study: str | Study, sdtm: Path | None, out: Path, encoding: str = "ascii") -> tuple[dict, list]:
    """SDTM folder -> ADaM datasets, validated before anything is written, then written
    atomically as XPT v5 into ``out`` (text in ``encoding``: ASCII unless asked). The
    datasets returned are those written, text held as categoricals
    (:meth:`~adam.metadata.Dataset.with_object_text` gives ``object`` columns). Raises
    :class:`ValidationFailed` (nothing written) when a schema or conformance rule finds an
    error. ``sdtm=None`` takes the SDTM the study names (:meth:`Study.default_sdtm`)."""
    spec = _study(study)
    sdtm = spec.default_sdtm() if sdtm is None else sdtm
    adam_sets, findings, _ = derive_checked(spec, sdtm, out, encoding=encoding)
    return adam_sets, findings


def derive_checked(spec: Study, sdtm: Path, out: Path, encoding: str = "ascii") -> tuple[dict, list, list]:
    """:func:`derive`, also returning the schema and rule findings it made (unmerged),
    which :func:`check` can take as ``validated`` instead of making them again.

    Each dataset, as soon as the program has made it final (see
    :mod:`derivations.program`), is checked against its schema and encoded and written
    to a temporary file by a forked child (ADSL while the program derives ADTTE); when
    the program is done, this process runs the conformance rules (they look across
    datasets) and the subject check, then waits for the children. The files land (all
    together) only when no error was found; validation errors are reported before an
    error that stopped the writing."""
    from adam.io.atomic import AllOrNone
    from adam.io.xpt import prepare_xpt  # noqa: F401 (imported once here, not in each child)
    from adam.parallel import forked
    from checks.schemas.adam import subject_findings
    from derivations.program import Stages

    check_output_folder(out, [sdtm])                # ADaM never lands among the SDTM files
    sdtm_sets = open_sdtm(sdtm)                     # each domain read when the program uses it
    program = spec.derive_function()
    adam_sets, jobs = {}, []
    with output_lock(out), AllOrNone(inputs=list(Path(sdtm).glob("*"))) as together:
        try:
            try:
                stages = Stages(None, spec)         # the metadata specification read first
                stages.result = program(sdtm_sets, spec)
                for name, ds in stages:
                    adam_sets[name] = ds = ds.with_coded_text()
                    tmp = together.path(Path(out) / f"{name.lower()}.xpt")
                    jobs.append(forked(_schema_checked_and_written, name, ds, tmp, encoding))
            except (InputError, OutputError, ValidationFailed, XptRuleError):
                raise                               # already says which file and what
            except Exception as exc:                # the program stumbled on these data
                explained = explain_program_failure(sdtm_sets, exc)
                if explained is None:
                    raise
                raise explained from exc
            del sdtm_sets                           # the SDTM is not needed any more
            validated = adam_rule_findings(adam_sets)
            subjects = subject_findings(adam_sets)
            written = [job.result() for job in jobs]
        except BaseException:
            for job in jobs:
                job.cancel()
            raise
        validated = FindingTable.concat([validated, *(found for found, _ in written), subjects])
        findings = stages.findings
        _raise_validation_errors(findings, validated)
        for _, error in written:
            if error is not None:
                raise error
    return adam_sets, findings + merge_duplicates(validated), validated


def _schema_checked_and_written(name: str, ds, tmp: Path, encoding: str) -> tuple[list, Exception | None]:
    """(In a forked child.) The dataset's schema findings, and the error that stopped
    encoding or writing it into ``tmp`` (``None`` when written): the caller reports
    validation errors first."""
    from adam.io.xpt import prepare_xpt, write_prepared_to
    from checks.schemas.adam import dataset_findings

    findings = dataset_findings(name, ds)
    try:
        write_prepared_to(prepare_xpt(ds, encoding), tmp)
    except OSError as exc:          # disk full: name the dataset's file
        return findings, OutputError(f"cannot write: {exc.strerror or exc}; nothing written",
                                     file=Path(tmp).parent / f"{name.lower()}.xpt")
    except Exception as exc:        # e.g. XptRuleError: a 201-byte value
        return findings, exc
    return findings, None


def _raise_validation_errors(findings: list, validated: list) -> None:
    """:class:`ValidationFailed` when the derivation's or the validation's findings hold
    an error (the latter merged), naming the first."""
    findings = FindingTable.concat([findings, merge_duplicates(validated)])
    errors = np.flatnonzero(findings.severity == 0)
    if len(errors):
        first = findings[int(errors[0])]
        said = first.record and f"(record {first.record})" in first.message
        where = " ".join([first.dataset] + ([f"record {first.record}"] if first.record and not said else [])
                         + ([first.usubjid] if first.usubjid else [])
                         + ([f"variable {first.variable}"] if first.variable else []))
        raise ValidationFailed(f"{len(errors)} error-level finding(s); nothing written. First: "
                               f"{where}: {first.rule_id}: {first.message}", findings=findings)


#: schema findings that mean a variable cannot be used as it is (absent or wrong type)
_UNUSABLE_VARIABLE = ("-REQ-VAR", "-EXP-VAR", "-VAR-TYPE")


def explain_program_failure(sdtm, exc: Exception) -> AdamError | None:
    """The SDTM defect behind a dataset program's failure, as ``adam check --sdtm`` would
    report it, or ``None`` when the SDTM the program read shows none.

    A program is written for conformant SDTM; when it stops on these data (a Python error,
    or a derivation refusing its input), the SDTM schemas of the datasets it read are run,
    smallest file first: a variable that the error names and that is absent or of the
    wrong type is an :class:`InputError` (exit 2) naming the file and variable; else the
    error-level findings of the first dataset that has some are a
    :class:`ValidationFailed` (exit 1) naming its file and first record. Costs nothing
    unless the program failed."""
    import re

    from adam.io import read_dataset
    from checks.schemas.base import as_frame, schema_findings
    from checks.schemas.sdtm import model_for

    files = getattr(sdtm, "files", {})
    used = [name for name in getattr(sdtm, "used", files) if name in files]
    if not used:
        return None
    text = str(exc.args[0]) if isinstance(exc, KeyError) and exc.args else str(exc)
    named = set(re.findall(r"\b[A-Z][A-Z0-9_]{1,7}\b", text))
    cause = f"{type(exc).__name__}: {text.splitlines()[0][:120] if text else ''}".rstrip(": ")
    first_errors, subjects = None, {}
    for name in sorted(used, key=lambda n: files[n].stat().st_size):
        path = files[name]
        frame = as_frame(read_dataset(path))
        found = schema_findings(model_for(name, frame), frame, name.upper())
        if "USUBJID" in frame:
            subjects[name] = frame[["USUBJID"]]
        for f in found:
            if f.variable in named and f.rule_id.endswith(_UNUSABLE_VARIABLE):
                return InputError(f"{f.message}; the derive program cannot do without it ({cause})",
                                  file=path, variable=f.variable)
        errors = [f for f in found if f.severity == "error"]
        if errors and first_errors is None:
            first_errors = (path, errors)
    if first_errors is None and "dm" in subjects:   # then: subjects that DM does not have
        from checks.sdtm import usubjid_in_dm

        orphans = usubjid_in_dm(subjects)
        if orphans:
            first_errors = files[orphans[0].dataset.lower()], orphans
    if first_errors is None:
        return None
    path, errors = first_errors
    errors = [f for f in errors if f.dataset == errors[0].dataset]
    first = errors[0]
    if first.rule_id.endswith(_UNUSABLE_VARIABLE):
        return InputError(f"{first.message}; the derive program cannot use it ({cause})",
                          file=path, variable=first.variable)
    subject = f" USUBJID {first.usubjid!r}" if first.usubjid else ""
    return ValidationFailed(f"{first.rule_id}{subject}: {first.message}; {len(errors)} error-level "
                            f"finding(s) in this SDTM dataset stop the derive program ({cause}); "
                            f"nothing written", findings=errors, kind="sdtm", file=path,
                            record=first.record, variable=first.variable)


# ----------------------------------------------------------------------------- analyze
def analyze(study: str | Study, adam: Path, out: Path, findings: list | None = None,
            contrasts: str | None = None) -> pd.DataFrame:
    """The study's prespecified analyses of an ADaM folder -> ``out/ard.csv``; the
    analyses' warnings (a hazard ratio that is not estimable) are appended to ``findings``;
    ``contrasts`` (pairwise or joint) overrides the study's for its ``tte`` analyses."""
    from adam.analysis import analysis_variables, run_analyses
    from adam.ard import write_ard
    from adam.ars import write_ars

    spec = _study(study)
    files = dataset_files(adam, "ADaM")
    check_output_folder(out)
    datasets = read_adam(adam, analysis_variables(spec))   # only what the analyses read
    check_analysis_inputs(datasets, files)
    try:
        ard = run_analyses(datasets, spec, findings=findings, contrasts=contrasts)
    except AdamError as exc:            # the file of the one dataset it names, else the folder
        named = [files[n] for n in files if n.upper() in exc.message.replace(":", " ").split()]
        raise _naming(exc, named[0] if len(named) == 1 else adam)
    with output_lock(out):
        write_ard(ard, Path(out) / "ard.csv")
        write_ars(ard, Path(out) / "ars.json", spec)     # the same results, CDISC ARS v1.0
    return ard


def check_analysis_inputs(datasets: dict, files: dict) -> None:
    """What every analysis relies on, checked once, an :class:`InputError` naming the file,
    record and variable otherwise: ADSL has one record per USUBJID; ADTTE has USUBJID,
    PARAMCD, AVAL and CNSR, one record per USUBJID and PARAMCD, AVAL a number >= 0 and
    CNSR a whole number >= 0 on every record."""
    if "adsl" in datasets:
        _unique_keys(datasets["adsl"].frame, files["adsl"], ["USUBJID"], "one record per subject")
    if "adtte" in datasets:
        frame, path = datasets["adtte"].frame, files["adtte"]
        for var in ("USUBJID", "PARAMCD", "AVAL", "CNSR"):
            if var not in frame:
                raise InputError("absent; ADTTE needs it", file=path, variable=var)
        _check_tte_values(frame, path)
        _unique_keys(frame, path, ["USUBJID", "PARAMCD"], "one record per subject and parameter")


def _unique_keys(frame: pd.DataFrame, path: Path, keys: list[str], what: str) -> None:
    """Key variables present, character, and together unique (else an :class:`InputError`
    naming the first repeated record and the record it repeats)."""
    import numpy as np

    from adam.text import factorize_text

    combined = np.zeros(len(frame), dtype=np.int64)
    for var in keys:
        if var not in frame:
            raise InputError(f"absent; the dataset must have {what}", file=path, variable=var)
        col = frame[var]
        if col.dtype != object and col.notna().any():
            raise InputError(f"must be character, found {col.dtype} values such as "
                             f"{col.dropna().iloc[:1].tolist()[0]!r}", file=path, variable=var)
        codes, uniques = factorize_text(col.to_numpy(dtype=object))
        combined = combined * (len(uniques) + 1) + (codes.astype(np.int64) + 1)
    if len(frame) and combined.max() < 8 * len(frame):   # small codes: count them
        if np.bincount(combined).max(initial=0) < 2:
            return
    repeated = pd.Series(combined, copy=False).duplicated().to_numpy()
    if repeated.any():
        r = int(np.flatnonzero(repeated)[0])
        first = int(np.flatnonzero(combined == combined[r])[0])
        values = ", ".join(f"{k} {frame[k].iloc[r]!r}" for k in keys)
        raise InputError(f"{values} repeats record {first + 1}; the dataset must have {what}",
                         file=path, record=r + 1, variable=", ".join(keys))


def _naming(exc: AdamError, file) -> AdamError:
    """``exc`` naming ``file`` when it names none yet."""
    if exc.file is None:
        exc.file = str(file)
        exc.args = (exc.one_line(),)
    return exc


def analyze_adtte(adtte: Path, out: Path, param: str, trt: str, ref: str | None = None,
                  strata: list[str] | None = None, ties: str = "efron",
                  conf_type: str = "log-log", timepoints: list[float] = (),
                  rmst_tau: float | None = None, subgroups: list[str] = (),
                  contrasts: str = "pairwise", findings: list | None = None) -> pd.DataFrame:
    """Ad-hoc time-to-event analysis of any ADTTE file -> ``out/ard.csv`` (times in AVAL
    units): analysis ``<param>-ADHOC``, and with ``subgroups`` (ADTTE variables)
    ``<param>-ADHOC-SUBGROUP``: per level n / events per arm, HR and the interaction test,
    as a study's ``subgroup`` analysis. Warnings are appended to ``findings``."""
    from adam.analysis import arm_levels, check_contrasts, default_reference, subgroup_rows, tte_rows
    from adam.ard import ard_frame, write_ard
    from adam.errors import UsageError
    from adam.io import read_dataset

    check_output_folder(out, [adtte])
    ds = read_dataset(adtte)
    frame = ds.frame
    check_contrasts(contrasts, "--contrasts")
    for var in ("PARAMCD", "AVAL", "CNSR", trt, *(strata or []), *subgroups):
        if var not in frame:
            raise InputError(f"ADTTE has no variable {var}", file=adtte, variable=var)
    _check_tte_values(frame, adtte)
    if "USUBJID" in frame:
        _unique_keys(frame, adtte, ["USUBJID", "PARAMCD"], "one record per subject and parameter")
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
                    risk_times=list(timepoints), rmst_tau=rmst_tau, ties=ties, conf_type=conf_type,
                    contrasts=contrasts, findings=findings)
    if subgroups:
        arms = arm_levels(frame[trt].astype(str), ref)
        rows += subgroup_rows(frame, study_id=study_id, analysis_id=f"{param}-ADHOC-SUBGROUP",
                              paramcd=param, population="", trt_var=trt, levels=arms,
                              ref=ref or default_reference(arms), subgroups=list(subgroups),
                              strata=strata or None, ties=ties)
    ard = ard_frame(rows)
    with output_lock(out):
        write_ard(ard, Path(out) / "ard.csv")
        from adam.ars import write_ars
        write_ars(ard, Path(out) / "ars.json")
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
    """Synthetic SDTM of a trial twin, one XPT per domain in ``out`` (built and written
    two at a time on two cores); returns ``{domain: path}``."""
    from adam.synth import STUDIES, write_twin

    if str(study).lower() not in STUDIES:
        raise UsageError(f"--study: synth makes the trial twins ({', '.join(STUDIES)}) only, "
                         f"not {str(study)!r}")
    kwargs = {} if seed is None else {"seed": seed}
    check_output_folder(out)
    with output_lock(out):
        return write_twin(study, Path(out), n_subjects=n_subjects, **kwargs)


# ----------------------------------------------------------------------------- report
def report(study: str | Study, ard: Path, out: Path, formats=("html", "rtf", "pdf"),
           displays: dict | None = None) -> list[Path]:
    """TLFs of ``study`` from an ``ard.csv`` (file or folder) into ``out``; ``displays``: as
    :func:`reports.render_reports` (each output's display kept, for a publication set)."""
    from reports import render_reports

    spec = _study(study)
    ard_file = _ard_file(ard)
    check_output_folder(out, [ard_file])
    frame = _study_ard(spec, ard_file)
    with output_lock(out), _ard_named(ard_file):
        return render_reports(frame, spec, Path(out), formats=tuple(formats), displays=displays)


def publication(studies: list, ards: list, out: Path, formats=("html", "rtf", "pdf")) -> list[Path]:
    """One report of several studies (``studies[i]`` with the ARD ``ards[i]``) into ``out``:
    their outputs of the same number combined (:mod:`reports.publication`). Everything is
    checked before any work: pairs, studies, ARDs (each of its own study), output folder."""
    from reports.publication import check_set, render_publication, study_displays

    if len(studies) != len(ards):
        raise UsageError(f"give --study and --ard in pairs: {len(studies)} --study, {len(ards)} --ard")
    specs = [_study(s) for s in studies]
    names = [spec.name for spec in specs]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise UsageError(f"--study {', '.join(twice)} is given more than once")
    check_set(specs)
    ard_files = [_ard_file(a) for a in ards]
    check_output_folder(out, ard_files)
    frames = [_study_ard(spec, f) for spec, f in zip(specs, ard_files)]
    with output_lock(out):
        parts = []
        for spec, frame, ard_file in zip(specs, frames, ard_files):
            with _ard_named(ard_file):
                parts.append((spec, study_displays(frame, spec)))
        return render_publication(parts, Path(out), formats=tuple(formats))


def _ard_file(ard: Path) -> Path:
    return Path(ard) / "ard.csv" if Path(ard).is_dir() else Path(ard)


def _study_ard(spec: Study, ard_file: Path) -> pd.DataFrame:
    """The ARD of ``ard_file``; a :class:`UsageError` naming it when it is another study's."""
    from adam.ard import read_ard

    frame = read_ard(ard_file)
    studies = sorted({str(v) for v in frame["study"].dropna().unique() if str(v)})
    if studies and studies != [spec.studyid]:            # issue 18: MM4 titles over MM3 numbers
        raise UsageError(f"the ARD's study ({', '.join(studies)}) differs from the specification's "
                         f"({spec.studyid})", file=ard_file)
    return frame


@contextmanager
def _ard_named(ard_file: Path):
    """An ARD that lacks what an output shows: the error names the ARD file."""
    try:
        yield
    except InputError as exc:
        raise _naming(exc, ard_file)
    except UsageError as exc:
        raise _naming(exc, ard_file) if "ARD" in exc.message else exc


# ----------------------------------------------------------------------------- compare
def compare(base: Path, other: Path, keys: list[str], report: Path | None = None,
            abs_tol: float = 1e-10, rel_tol: float = 0.0):
    """PROC COMPARE-style QC of two dataset files (``checks.compare``); the HTML report
    written to ``report`` when given. The report path is checked before the work, and the
    ID keys of each file (present, same type in both, unique) with the file named."""
    from adam.io import read_dataset
    from checks.compare import compare_datasets

    base, other = Path(base), Path(other)
    if report is not None:
        check_output_file(report, [base, other])
    if not keys:
        raise UsageError("give at least one ID key (--keys)")
    left, right = read_dataset(base), read_dataset(other)
    for ds, path in ((left, base), (right, other)):
        missing = [k for k in keys if k not in ds.frame.columns]
        if missing:
            raise UsageError(f"ID key(s) {', '.join(missing)} absent from {ds.name}", file=path,
                             variable=missing[0])
    for key in keys:
        types = left.meta[key].type, right.meta[key].type
        if types[0] != types[1]:
            raise UsageError(f"ID key is {types[0]} in {base} but {types[1]} here; "
                             "observations cannot be matched", file=other, variable=key)
    for ds, path in ((left, base), (right, other)):
        repeated = ds.frame.duplicated(keys).to_numpy()
        if repeated.any():
            r = int(repeated.argmax())
            raise UsageError(f"ID keys {','.join(keys)} do not identify observations uniquely "
                             f"(this record repeats the keys of an earlier one)", file=path,
                             record=r + 1, variable=",".join(keys))
    result = compare_datasets(left, right, keys, abs_tol=abs_tol, rel_tol=rel_tol)
    if report is not None:
        result.write_html(report, inputs=[base, other])
    return result


# ----------------------------------------------------------------------------- run
STEPS = ("derive", "check", "analyze", "report")


def run(study: str | Study, sdtm: Path | None, out: Path, formats=("html", "rtf", "pdf"),
        progress=None, expectations: bool = False, encoding: str = "ascii", displays: dict | None = None) -> dict:
    """derive -> check -> analyze -> report into ``out/adam``, ``out/checks``,
    ``out/ard/ard.csv``, ``out/tlf``. ``progress(step)`` is called before each step.
    ``sdtm=None`` takes the SDTM the study names (:meth:`Study.default_sdtm`).

    The check step reports what derive validated (schemas and conformance rules: derive
    writes nothing when they find an error); ``expectations`` adds the great-expectations
    suites and their Data Docs, run in a second process beside analyze and report (GX
    takes seconds to import: asked for, not by default; ``adam check`` runs them always).
    ``displays``: as :func:`report`."""
    spec = _study(study)
    sdtm = spec.default_sdtm() if sdtm is None else sdtm
    out = Path(out)
    check_output_folder(out, [sdtm])
    with output_lock(out):
        return _run(spec, sdtm, out, formats, progress, expectations, encoding, displays)


def _run(spec: Study, sdtm: Path, out: Path, formats, progress, expectations: bool, encoding: str,
         displays: dict | None = None) -> dict:
    """:func:`run` in its locked output folder; ``out/manifest.json`` (:mod:`adam.manifest`)
    is removed first and written when every step has finished."""
    from adam.manifest import now, remove_manifest, write_manifest

    started = now()
    remove_manifest(out)
    tick = progress or (lambda step: None)
    tick("derive")
    # the expectation suites (GX, seconds to import) run in a second process beside analyze;
    # without them the check step only writes derive's findings: no process to start
    with second_process() if expectations else InThisProcess() as pool:
        prepare_check_process(pool, expectations)
        defining = None
        try:
            adam_sets, _, validated = derive_checked(spec, sdtm, out / "adam", encoding=encoding)
            # define.xml / define.html of the written ADaM (and the SDTM), made by a forked
            # child beside analyze and report
            defining = forked(_write_defines, spec, out / "adam", sdtm, adam_sets)
            tick("check")   # the written ADaM; derive already ran the schemas and rules on it
            checking = pool.submit(check, spec, adam=out / "adam", report=out / "checks" / "report.html",
                                   findings_csv=out / "checks" / "findings.csv",
                                   expectations=expectations, validated=validated)
            tick("analyze")
            analysis_findings: list = []
            ard = analyze(spec, out / "adam", out / "ard", findings=analysis_findings)
            tick("report")  # the TLFs need the ARD only: made while the checks finish
            outputs = report(spec, out / "ard", out / "tlf", formats=formats, displays=displays)
            defining.result()
        except BaseException:
            stop_workers(pool)
            if defining is not None:
                defining.cancel()
            raise
        try:
            result = checking.result()
        except BrokenProcessPool as exc:  # the worker died (killed, out of memory)
            raise AdamError(f"the check step's process ended abnormally ({exc}); "
                            f"run 'adam check' on {out / 'adam'} alone") from None
    write_manifest(out, spec, started)
    tick("done")
    return {"check": result, "ard": ard, "outputs": outputs, "analysis": analysis_findings}


def _write_defines(spec: Study, adam_dir: Path, sdtm: Path, datasets: dict) -> None:
    from adam.submission.define_xml import write_defines   # define.xml, define.html (issue 19)

    write_defines(spec, adam_dir, sdtm=sdtm, datasets=datasets)


# ----------------------------------------------------------------------------- demo
DEMO_STUDIES = ("tourmaline-mm3", "tourmaline-mm4")
PUBLICATION = "publication"        # the demo's folder of both studies' outputs as one report


def demo(out: Path, formats=("html", "rtf", "pdf"), progress=None, expectations: bool = False) -> dict:
    """Synthesize both TOURMALINE twins and run everything into ``out/<study>/``, then their
    outputs as one report into ``out/publication/`` (:mod:`reports.publication`, from the
    displays the studies' runs made), with ``out/index.html`` linking every output.
    ``progress(study)`` returns a ``tick(step)``. With two cores each study runs in a forked
    child of its own, side by side (their progress relayed here); a failure of one stops
    the other. ``expectations``: as :func:`run`."""
    from adam.parallel import TickRelay, forked_step
    from reports.portal import render_demo_index
    from reports.publication import check_set, render_publication

    out = Path(out)
    studies = {name: _study(name) for name in DEMO_STUDIES}
    check_set(list(studies.values()))
    check_output_folder(out / PUBLICATION)
    relay = TickRelay()
    calls = {}
    try:
        for name in DEMO_STUDIES:
            tick = relay(progress(name)) if progress else None
            calls[name] = forked_step(_demo_study, name, out, formats, tick, expectations)
        with relay:
            results = {name: call.result() for name, call in calls.items()}
    except BaseException:
        for call in calls.values():
            getattr(call, "cancel", lambda: None)()
        raise
    with output_lock(out / PUBLICATION):      # both studies done: this process alone renders
        render_publication([(studies[name], results[name].pop("displays")) for name in DEMO_STUDIES],
                           out / PUBLICATION, formats=formats)
    render_demo_index(out, studies, results, publication=PUBLICATION)
    return results


def _demo_study(name: str, out: Path, formats, tick, expectations: bool = False) -> dict:
    """One study of the demo: synth, then run; the result also holds its outputs' displays
    (figures as bytes) for the publication set."""
    tick = tick or (lambda step: None)
    tick("synth")
    synth(name, out / name / "sdtm")
    displays: dict = {}
    result = run(name, out / name / "sdtm", out / name, formats=formats, progress=tick,
                 expectations=expectations, displays=displays)
    return {**result, "displays": displays}
