"""The hostile-input matrix: every command of ``adam`` against the broken inputs it can
meet (the project issue: "a test per hostile case, asserting exit code, message,
unchanged input (hash) and absence of partial output").

Each case of :data:`CASES` is named ``<command>-<case>``. It builds its inputs under a
fresh ``in/`` folder from small shared data (a 200-subject TOURMALINE-MM3 twin with its
ADaM and ARD, made once per session through the CLI), runs ``adam ARGS`` in a process of
its own (see :data:`FORK_SERVER`), and :func:`test_command_on_hostile_input` checks

- the exit code: 1 for findings or differences, 2 for bad usage or unreadable input;
- stderr: never a traceback; exactly one line naming the file, record and/or variable and
  the cause (or nothing at all when the command reports its findings on stdout);
- the inputs: every file under ``in/`` has the same sha256 afterwards, and none was added;
- no partial output: the case's outputs are absent (no temporary file either); where the
  command does write (it succeeds, or reports findings), its outputs are complete.

Findings that ``check`` reports on stdout and in its CSV (duplicate keys, impossible
dates, wrong types...) are planted together in one SDTM and one ADaM folder, checked once
each; :func:`test_check_finds` then asserts one finding per case (:data:`CELLS`).

The cases run two at a time (the suite's machine has two cores), once per session; each
test asserts on its own case. Cells of the matrix that cannot occur:

- synth x input cases, and x output equal to an input: synth reads no data (its
  output folder being an existing file is covered);
- convert x missing or empty folder: convert takes files (a missing file is in
  tests/cli/test_foundation_cli.py); convert x missing variable: it keeps what there is;
- labels over 40 characters and 201-byte values in an XPT input: the namestr holds 40
  bytes and the v5 writer refuses such values, so only Dataset-JSON inputs carry them
  (covered: convert, derive, check of ADaM);
- report x dates, labels, text lengths: an ARD holds statistics, not data.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import shutil
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd
import pytest

from adam.io import read_dataset, write_dataset
from adam.metadata import CHAR, NUM, Dataset, Variable

STUDY = "tourmaline-mm3"
PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n" + b"0" * 600


# ----------------------------------------------------------------------------- running
def adam(*args, timeout: int = 600) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "adam.cli", *map(str, args)], capture_output=True,
                          text=True, timeout=timeout)


#: A process that imports what every command imports (typer, pandas, numpy, pandera, the
#: study program, the report stack) once, then runs each case in a child forked from it:
#: ``adam.cli.main(args)``, the function ``python -m adam.cli`` calls, with fd 1 and 2 on
#: the case's files and stdin on /dev/null; the child's exit status is the case's exit
#: code. A case is thus its own process, as from a shell, without paying ~1 s of imports
#: each (about 100 cases: the file would take minutes). ADAM_HOSTILE_FRESH=1 runs every
#: case as a fresh ``python -m adam.cli`` instead.
FORK_SERVER = r"""
import json, os, sys, traceback
import adam.cli, adam.pipeline, adam.analysis, adam.ard
import derivations.studies.tourmaline, checks.sdtm, checks.rules, checks.schemas.adam, checks.compare
import reports, datacompy
for line in sys.stdin:
    job = json.loads(line)
    pid = os.fork()
    if pid == 0:
        try:
            os.dup2(os.open(os.devnull, os.O_RDONLY), 0)
            for fd, name in ((1, "stdout"), (2, "stderr")):
                os.dup2(os.open(job[name], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644), fd)
            sys.stdin = open(0, closefd=False)
            sys.stdout = open(1, "w", encoding="utf-8", closefd=False)
            sys.stderr = open(2, "w", encoding="utf-8", closefd=False)
            sys.argv = ["adam", *job["args"]]
            code = adam.cli.main(job["args"])
        except SystemExit as exc:
            code = 0 if exc.code is None else exc.code if isinstance(exc.code, int) else 1
        except BaseException:
            traceback.print_exc()
            code = 1
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    print(os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]), flush=True)
"""


class Runner:
    """Runs ``adam ARGS`` in a child of a fork server (see :data:`FORK_SERVER`), or as a
    fresh ``python -m adam.cli`` with ADAM_HOSTILE_FRESH=1; returns (code, stdout, stderr)."""

    fresh = os.environ.get("ADAM_HOSTILE_FRESH") == "1"

    def __init__(self):
        self.server = None if self.fresh else subprocess.Popen(
            [sys.executable, "-c", FORK_SERVER], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)

    def __call__(self, args: list, folder: Path) -> tuple[int, str, str]:
        args = [str(a) for a in args]
        if self.server is None:
            res = adam(*args)
            return res.returncode, res.stdout, res.stderr
        out, err = folder / "stdout.txt", folder / "stderr.txt"
        self.server.stdin.write(json.dumps({"args": args, "stdout": str(out), "stderr": str(err)}) + "\n")
        self.server.stdin.flush()
        reply = self.server.stdout.readline()
        if not reply:
            raise RuntimeError("the fork server ended")
        return int(reply), out.read_text(encoding="utf-8"), err.read_text(encoding="utf-8")

    def close(self):
        if self.server is not None:
            self.server.stdin.close()
            self.server.wait(timeout=60)


def digest(folder: Path) -> dict[str, str]:
    """sha256 of every file under ``folder``, by relative path."""
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


@dataclass
class World:
    """The shared, never modified data every case copies from."""

    sdtm: Path
    adam: Path
    ard: Path


@dataclass
class Bench:
    """One case's folder: inputs are made under ``in/`` (hashed before and after the run);
    outputs go to ``out/``."""

    root: Path
    world: World

    def __post_init__(self):
        self.dir = self.root / "in"
        self.dir.mkdir(parents=True)
        self.out = self.root / "out"

    def copy(self, what: str) -> Path:
        """A copy of the shared ``sdtm``, ``adam`` or ``ard`` folder under ``in/``."""
        return Path(shutil.copytree(getattr(self.world, what), self.dir / what))

    def nowhere(self) -> Path:
        return self.dir / "nowhere"

    def empty(self) -> Path:
        (self.dir / "empty").mkdir()
        return self.dir / "empty"

    def blocker(self) -> Path:
        """A file standing where an output folder would have to be."""
        (self.dir / "blocker").write_text("not a folder\n")
        return self.dir / "blocker"

    def study(self, text: str) -> Path:
        (self.dir / "study.toml").write_text(text, encoding="utf-8")
        return self.dir / "study.toml"


@dataclass(frozen=True)
class Case:
    """``build(bench)`` makes the inputs and returns the arguments after ``adam``. ``says``:
    the substrings of the one stderr line (``{in}`` stands for the inputs folder); none:
    stderr must be empty. ``gone``: paths under the case folder left absent. ``then``:
    further checks of the :class:`Outcome`."""

    id: str
    build: Callable[[Bench], list]
    code: int
    says: tuple = ()
    gone: tuple = ("out",)
    then: Callable | None = None

    def __repr__(self):
        return self.id

    @property
    def cost(self) -> int:
        """Rough order of run time, to start the longest first: the planted findings, then
        the cases a command gets through (exit 0 or 1), then the early failures."""
        return 2 if self.id.endswith("-findings") else 1 if self.code in (0, 1) else 0


@dataclass
class Outcome:
    case: Case
    root: Path
    code: int = -1
    stdout: str = ""
    stderr: str = ""
    before: dict = field(default_factory=dict)
    after: dict = field(default_factory=dict)
    args: list = field(default_factory=list)
    failure: BaseException | None = None     # the case could not be built or run

    @property
    def inputs(self) -> Path:
        return self.root / "in"

    @property
    def out(self) -> Path:
        return self.root / "out"

    def __str__(self):
        return (f"adam {' '.join(map(str, self.args))}\nexit {self.code}\nstderr: {self.stderr}"
                f"\nstdout: {self.stdout[-3000:]}")


def play(case: Case, root: Path, world: World, runner: Runner) -> Outcome:
    try:
        bench = Bench(root, world)
        args = case.build(bench)
        before = digest(bench.dir)
        code, stdout, stderr = runner(args, root)
        return Outcome(case, root, code, stdout, stderr, before, digest(bench.dir), args)
    except Exception as exc:   # reported by this case's test only
        return Outcome(case, root, failure=exc)


def outcome_of(outcomes: dict, case_id: str) -> Outcome:
    o = outcomes[case_id]
    if o.failure is not None:
        raise o.failure
    return o


# ----------------------------------------------------------------------------- tampering
def edit(path: Path, change: Callable[[Dataset], Dataset], encoding: str = "ascii") -> Path:
    """Rewrite the dataset file ``path`` through ``change``."""
    write_dataset(change(read_dataset(path)), path, encoding=encoding)
    return path


def without(var: str):
    return lambda ds: ds.with_frame(ds.frame.drop(columns=[var]))


def repeated(record: int, **changes):
    """Record ``record`` (1-based) appended again (with ``changes`` to its values)."""
    def change(ds):
        extra = ds.frame.iloc[[record - 1]].assign(**changes)
        return ds.with_frame(pd.concat([ds.frame, extra], ignore_index=True))
    return change


def retyped(var: str, values: Callable[[pd.DataFrame], object]):
    """``var`` of the other SAS type, holding ``values(frame)``."""
    def change(ds):
        frame = ds.frame.copy()
        frame[var] = values(frame)
        kind = ds[var].type
        variables = [v if v.name != var else
                     Variable(v.name, v.label, NUM if kind == CHAR else CHAR, 8 if kind == CHAR else 40)
                     for v in ds.variables]
        return Dataset(ds.name, frame, ds.label, variables)
    return change


def numeric_usubjid(ds: Dataset) -> Dataset:
    """USUBJID as numbers 0, 1, 2..."""
    return retyped("USUBJID", lambda f: np.arange(len(f), dtype=float))(ds)


def as_text(var: str, form: str = "{:g}"):
    """The numeric ``var`` as text such as ``form.format(value)``."""
    return retyped(var, lambda f: f[var].map(form.format))


def with_values(var: str, values: dict, label: str | None = None):
    """``var`` set to ``values`` ({1-based record: value}), its length widened to fit."""
    def change(ds):
        frame = ds.frame.copy()
        frame[var] = frame[var].astype(object)
        for record, value in values.items():
            frame.loc[record - 1, var] = value
        old = ds[var]
        width = max([old.length or 1] + [len(str(v).encode("utf-8")) for v in values.values()])
        variables = [v if v.name != var else
                     Variable(v.name, old.label if label is None else label, old.type,
                              width if old.type == CHAR else old.length, old.format)
                     for v in ds.variables]
        return Dataset(ds.name, frame, ds.label, variables)
    return change


def zero(path: Path) -> Path:
    path.write_bytes(b"")
    return path


def truncated(path: Path) -> Path:
    """Cut inside the observations, at a length that is not a whole 80-byte record."""
    data = path.read_bytes()
    path.write_bytes(data[:(len(data) // 2) // 80 * 80 + 37])
    return path


def pdf(path: Path) -> Path:
    path.write_bytes(PDF)
    return path


def broken(folder: Path, name: str, how: Callable[[Path], Path]) -> Path:
    how(folder / name)
    return folder


def adsl_json(b: Bench, change=None) -> Path:
    """The shared ADSL as Dataset-JSON (through ``change``), for convert."""
    ds = read_dataset(b.world.adam / "adsl.xpt")
    path = b.dir / "adsl.json"
    write_dataset(change(ds) if change else ds, path)
    return path


def json_edit(path: Path, column: str, record: int, value) -> Path:
    """Set one cell of a Dataset-JSON file as raw JSON (no type conversion)."""
    doc = json.loads(path.read_text(encoding="utf-8"))
    names = [c["name"] for c in doc["columns"]]
    doc["rows"][record - 1][names.index(column)] = value
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


# ----------------------------------------------------------------------------- expectations
def stdout_has(*needles):
    def check(o: Outcome):
        for needle in needles:
            assert needle in o.stdout, (needle, o.stdout[-3000:])
    return check


def wrote(*names):
    """Outputs that must exist (complete: each read back)."""
    def check(o: Outcome):
        for name in names:
            path = o.root / name
            assert path.is_file(), name
            if path.suffix in (".xpt", ".json"):
                read_dataset(path)
    return check


def both(*checks):
    def check(o: Outcome):
        for c in checks:
            c(o)
    return check


def derived_adsl(o: Outcome) -> pd.DataFrame:
    return read_dataset(o.out / "adsl.xpt").frame


def derive_dates_imputed(o: Outcome):
    """Impossible death dates are missing (warned, naming the DM record); partial ones are
    imputed to the first day of their period and flagged."""
    dm = read_dataset(o.inputs / "sdtm" / "dm.xpt").frame
    record = {value: int(i) + 1 for i, value in enumerate(dm["DTHDTC"]) if value in BAD_DATES}
    stdout_has(f"DM record {record['2020-13-45']} DTC-CALENDAR", "DTHDTC=2020-13-45",
               f"DM record {record['2020-02-30']} DTC-CALENDAR", "DTHDTC=2020-02-30")(o)
    adsl = derived_adsl(o).set_index("USUBJID")
    dead = {value: adsl.loc[dm["USUBJID"].iloc[r - 1]] for value, r in record.items()}
    assert pd.isna(dead["2020-13-45"]["DTHDT"]) and pd.isna(dead["2020-02-30"]["DTHDT"])
    assert dead["2020-06"]["DTHDT"] == pd.Timestamp("2020-06-01") and dead["2020-06"]["DTHDTF"] == "D"
    assert dead["2020"]["DTHDT"] == pd.Timestamp("2020-01-01") and dead["2020"]["DTHDTF"] == "M"


def derive_dates_out_of_range(o: Outcome):
    """A death in 1899 (before randomization) is an event on day 1 with a note; one in 2101,
    after the data cutoff, is no event: OS censored at the cutoff."""
    stdout_has("TTE-BEFORE-START")(o)
    adsl = derived_adsl(o)
    adtte = read_dataset(o.out / "adtte.xpt").frame
    late = adsl.loc[adsl["DTHDT"] == pd.Timestamp("2101-01-01"), "USUBJID"].tolist()
    early = adsl.loc[adsl["DTHDT"] == pd.Timestamp("1899-12-31"), "USUBJID"].tolist()
    assert len(late) == 1 and len(early) == 1
    os_ = adtte[adtte["PARAMCD"] == "OS"].set_index("USUBJID")
    assert os_.loc[late[0], "CNSR"] == 1 and os_.loc[late[0], "ADT"] == adsl["DCUTDT"].iloc[0]
    assert os_.loc[early[0], "CNSR"] == 0 and os_.loc[early[0], "AVAL"] == 1


def adsl_race(value: str, encoded: bytes | None = None):
    def check(o: Outcome):
        assert value in derived_adsl(o)["RACE"].tolist()
        if encoded is not None:
            assert encoded in (o.out / "adsl.xpt").read_bytes()
    return check


def ard_has(line_part: str):
    def check(o: Outcome):
        assert line_part in (o.out / "ard.csv").read_text(encoding="utf-8")
    return check


def json_rows_have(*values):
    def check(o: Outcome):
        text = (o.out / "adsl.json").read_text(encoding="utf-8")
        for value in values:
            assert json.dumps(value, ensure_ascii=False) in text, value
    return check


def round_trip(o: Outcome):
    """The XPT written holds exactly the Dataset-JSON it came from."""
    a, b = read_dataset(o.inputs / "adsl.json"), read_dataset(o.out / "adsl.xpt")
    assert a.variables == b.variables
    pd.testing.assert_frame_equal(a.frame, b.frame)


def stdout_empty(o: Outcome):
    assert o.stdout.strip() == "", o.stdout


# ----------------------------------------------------------------------------- folders broken
def folder_cases(command: str, kind: str, argv: Callable, victims: dict[str, str]) -> list[Case]:
    """missing folder, empty folder, zero-byte file, truncated XPT, PDF renamed .xpt, for a
    command reading the folder ``kind`` (``sdtm``/``adam``); ``victims``: file per case."""
    what = kind.upper() if kind == "sdtm" else "ADaM"
    return [
        Case(f"{command}-missing-folder", lambda b: argv(b, b.nowhere()), 2,
             ("{in}/nowhere", f"{what} folder not found")),
        Case(f"{command}-empty-folder", lambda b: argv(b, b.empty()), 2,
             ("{in}/empty", f"{what} folder has no .xpt or .json datasets")),
        Case(f"{command}-zero-byte-file", lambda b: argv(b, broken(b.copy(kind), victims["zero"], zero)), 2,
             (f"{{in}}/{kind}/{victims['zero']}", "empty file (0 bytes)")),
        Case(f"{command}-truncated-xpt", lambda b: argv(b, broken(b.copy(kind), victims["cut"], truncated)),
             2, (f"{{in}}/{kind}/{victims['cut']}", "truncated SAS transport file")),
        Case(f"{command}-pdf-renamed-xpt", lambda b: argv(b, broken(b.copy(kind), victims["pdf"], pdf)), 2,
             (f"{{in}}/{kind}/{victims['pdf']}", "not a SAS transport (XPT v5) file")),
    ]


def derive_args(b: Bench, sdtm: Path, *more) -> list:
    return ["derive", "--study", STUDY, "--sdtm", sdtm, "--out", b.out, *more]


def run_args(b: Bench, sdtm: Path) -> list:
    return ["run", "--study", STUDY, "--sdtm", sdtm, "--out", b.out, "--format", "html"]


def analyze_args(b: Bench, folder: Path) -> list:
    return ["analyze", "--study", STUDY, "--adam", folder, "--out", b.out]


def report_args(b: Bench, ard: Path, study=STUDY) -> list:
    return ["report", "--study", study, "--ard", ard, "--out", b.out, "--format", "html"]


def check_args(b: Bench, kind: str, folder: Path) -> list:
    return ["check", "--study", STUDY, f"--{kind}", folder, "--findings", b.out / "findings.csv",
            "--report", b.out / "report.html"]


def sdtm_edit(b: Bench, name: str, change, **kw) -> Path:
    folder = b.copy("sdtm")
    edit(folder / name, change, **kw)
    return folder


def adam_edit(b: Bench, name: str, change, **kw) -> Path:
    folder = b.copy("adam")
    edit(folder / name, change, **kw)
    return folder


def ard_text(b: Bench, change: Callable[[list[str]], list[str]], encoding="utf-8") -> Path:
    folder = b.copy("ard")
    lines = (folder / "ard.csv").read_text(encoding="utf-8").splitlines(keepends=True)
    (folder / "ard.csv").write_bytes("".join(change(lines)).encode(encoding))
    return folder


def ard_cell(lines: list[str], record: int, column: str, value: str) -> list[str]:
    header = lines[0].rstrip("\n").split(",")
    row = next(csv.reader(io.StringIO(lines[record])))
    row[header.index(column)] = value
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerow(row)
    return lines[:record] + [out.getvalue()] + lines[record + 1:]


def ard_without_column(lines: list[str], column: str) -> list[str]:
    rows = list(csv.reader(io.StringIO("".join(lines))))
    k = rows[0].index(column)
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows([r[:k] + r[k + 1:] for r in rows])
    return [out.getvalue()]


BAD_SPEC_KEY = 'name = "s"\nstudyid = "S"\nplugins = ["evil"]\n'
BAD_SPEC_TYPE = 'name = "s"\nstudyid = 42\n'
BAD_DATES = ["2020-13-45", "2020-02-30", "2020-06", "2020"]   # two impossible, two partial


def rand_records(ds: Dataset) -> list[int]:
    """The 1-based DS records of the first four randomizations."""
    return [int(i) + 1 for i in np.flatnonzero((ds.frame["DSDECOD"] == "RANDOMIZED").to_numpy())[:4]]


def bad_rand_dates(ds: Dataset) -> Dataset:
    records = rand_records(ds)
    return with_values("DSSTDTC", dict(zip(records, BAD_DATES)))(ds)


def dead_records(ds: Dataset) -> list[int]:
    return [int(i) + 1 for i in np.flatnonzero(ds.frame["DTHDTC"].notna().to_numpy())]


def bad_death_dates(ds: Dataset) -> Dataset:
    records = dead_records(ds)[:4]
    return with_values("DTHDTC", dict(zip(records, BAD_DATES)))(ds)


def far_death_dates(ds: Dataset) -> Dataset:
    records = dead_records(ds)[:2]
    return with_values("DTHDTC", dict(zip(records, ["1899-12-31", "2101-01-01"])))(ds)


def json_sdtm_with_long_race(b: Bench) -> Path:
    """The SDTM as Dataset-JSON (no 200-byte limit there), DM record 1 RACE of 201 bytes."""
    folder = b.dir / "sdtm"
    folder.mkdir()
    for path in sorted(b.world.sdtm.glob("*.xpt")):
        ds = read_dataset(path)
        if path.stem == "dm":
            ds = with_values("RACE", {1: "R" * 201})(ds)
        write_dataset(ds, folder / f"{path.stem}.json")
    return folder


def sas_dates(b: Bench, values: list[float], var: str = "ADT") -> Path:
    """ADTTE with ``var`` (a DATE9. date) set to raw SAS day numbers on its first records."""
    folder = b.copy("adam")
    def change(ds):
        frame = ds.frame.copy()
        adt = (frame[var] - pd.Timestamp("1960-01-01")).dt.days.astype(float)
        adt.iloc[:len(values)] = values
        frame[var] = adt
        return Dataset(ds.name, frame, ds.label, ds.variables)
    edit(folder / "adtte.xpt", change)
    return folder


def compare_args(b: Bench, how: Callable[[Path], Path], *more) -> list:
    """``compare base.xpt compare.xpt`` (both the shared ADSL) with ``how`` done to the second."""
    base = Path(shutil.copy(b.world.adam / "adsl.xpt", b.dir / "base.xpt"))
    other = Path(shutil.copy(b.world.adam / "adsl.xpt", b.dir / "compare.xpt"))
    how(other)
    return ["compare", base, other, "--keys", "USUBJID", *more]


def json_copy(path: Path) -> Path:
    target = path.with_suffix(".json")
    write_dataset(read_dataset(path), target)
    return target


def duplicate_column_json(b: Bench) -> list:
    """``convert`` of an ADSL Dataset-JSON whose column 9 (RACE) comes twice (again as
    column 10, so the message does not depend on how many variables ADSL has)."""
    path = adsl_json(b)
    doc = json.loads(path.read_text(encoding="utf-8"))
    doc["columns"].insert(9, dict(doc["columns"][8]))
    for row in doc["rows"]:
        row.insert(9, row[8])
    path.write_text(json.dumps(doc), encoding="utf-8")
    return ["convert", path, b.out / "adsl.xpt"]


# ----------------------------------------------------------------------------- the matrix
CASES: list[Case] = [
    # synth: reads nothing; the cases are its study and its output folder
    Case("synth-study-spec-file", lambda b: ["synth", "--study", b.study(BAD_SPEC_KEY), "--out", b.out], 2,
         ("--study", "synth makes the trial twins", "study.toml")),
    Case("synth-output-folder-under-a-file",
         lambda b: ["synth", "--study", STUDY, "--n-subjects", 200, "--out", b.blocker() / "sdtm"], 2,
         ("{in}/blocker/sdtm", "{in}/blocker is a file, not a folder")),
    Case("synth-output-folder-is-a-file",
         lambda b: ["synth", "--study", STUDY, "--n-subjects", 200, "--out", b.blocker()], 2,
         ("{in}/blocker", "is a file, not a folder")),

    # check: unreadable input is exit 2; data findings are exit 1 (see test_check_finds)
    *folder_cases("check", "sdtm", lambda b, f: check_args(b, "sdtm", f),
                  {"zero": "ds.xpt", "cut": "ex.xpt", "pdf": "ae.xpt"}),
    Case("check-adam-missing-folder", lambda b: check_args(b, "adam", b.nowhere()), 2,
         ("{in}/nowhere", "ADaM folder not found")),
    Case("check-adam-truncated-xpt", lambda b: check_args(b, "adam", broken(b.copy("adam"), "adtte.xpt", truncated)),
         2, ("{in}/adam/adtte.xpt", "truncated SAS transport file")),
    Case("check-sdtm-findings", lambda b: check_args(b, "sdtm", planted_sdtm(b)), 1, (), (),
         both(stdout_has("SDTM check of 12 dataset(s)"), wrote("out/findings.csv", "out/report.html"))),
    Case("check-adam-findings", lambda b: check_args(b, "adam", planted_adam(b)), 1, (), (),
         both(stdout_has("ADAM check of 2 dataset(s)"), wrote("out/findings.csv", "out/report.html"))),
    Case("check-study-spec-wrong-type",
         lambda b: ["check", "--study", b.study(BAD_SPEC_TYPE), "--sdtm", b.copy("sdtm")], 2,
         ("{in}/study.toml", "key 'studyid' must be str")),
    Case("check-findings-not-writable",
         lambda b: ["check", "--study", STUDY, "--sdtm", b.copy("sdtm"), "--findings", b.blocker() / "f.csv"], 2,
         ("{in}/blocker/f.csv", "{in}/blocker is a file, not a folder"), (), stdout_empty),
    Case("check-report-not-writable",
         lambda b: ["check", "--study", STUDY, "--adam", b.copy("adam"), "--report", b.blocker() / "r.html"], 2,
         ("{in}/blocker/r.html", "{in}/blocker is a file, not a folder"), (), stdout_empty),
    Case("check-findings-over-input",
         lambda b: ["check", "--study", STUDY, "--sdtm", b.copy("sdtm"), "--findings", b.dir / "sdtm" / "dm.xpt"],
         2, ("{in}/sdtm/dm.xpt", "output would overwrite an input"), (), stdout_empty),

    # derive: unreadable input 2; a variable it cannot use 2; SDTM errors that stop it 1;
    # data it can derive from anyway (impossible or far dates, long or non-ASCII text): 0
    *folder_cases("derive", "sdtm", derive_args, {"zero": "ds.xpt", "cut": "ex.xpt", "pdf": "dm.xpt"}),
    Case("derive-missing-variable", lambda b: derive_args(b, sdtm_edit(b, "dm.xpt", without("ARM"))), 2,
         ("{in}/sdtm/dm.xpt", "variable ARM", "expected variable ARM is not in DM", "derive program")),
    Case("derive-wrong-type",
         lambda b: derive_args(b, sdtm_edit(b, "dm.xpt", numeric_usubjid)),
         2, ("{in}/sdtm/dm.xpt", "variable USUBJID", "must be character")),
    Case("derive-duplicate-keys", lambda b: derive_args(b, sdtm_edit(b, "dm.xpt", repeated(6))), 1,
         ("{in}/sdtm/dm.xpt", "record 201", "SDTM-KEY-UNIQUE", "same STUDYID, USUBJID as record 6",
          "nothing written"), ("out",), stdout_has("DM record 201 SDTM-KEY-UNIQUE")),
    Case("derive-invalid-and-partial-randomization-dates",
         lambda b: derive_args(b, sdtm_edit(b, "ds.xpt", bad_rand_dates)), 1,
         ("error-level finding(s); nothing written", "start date RANDDT is missing"), ("out",),
         stdout_has("TTE-NO-START", "DTC-CALENDAR")),
    Case("derive-invalid-and-partial-death-dates", lambda b: derive_args(b, sdtm_edit(b, "dm.xpt", bad_death_dates)),
         0, (), (), derive_dates_imputed),
    Case("derive-dates-before-1900-after-2100", lambda b: derive_args(b, sdtm_edit(b, "dm.xpt", far_death_dates)),
         0, (), (), derive_dates_out_of_range),
    Case("derive-non-ascii-cp1252",
         lambda b: derive_args(b, sdtm_edit(b, "dm.xpt", with_values("RACE", {1: "Asiático"}), encoding="cp1252")),
         2, ("dataset ADSL", "record 1", "variable RACE", "'Asiático' is not ASCII", "encoding")),
    Case("derive-non-ascii-cp1252-encoding-option",
         lambda b: derive_args(b, sdtm_edit(b, "dm.xpt", with_values("RACE", {1: "Asiático"}), encoding="cp1252"),
                               "--encoding", "cp1252"), 0, (), (), adsl_race("Asiático", b"Asi\xe1tico")),
    Case("derive-200-byte-value", lambda b: derive_args(b, sdtm_edit(b, "dm.xpt", with_values("RACE", {1: "R" * 200}))),
         0, (), (), adsl_race("R" * 200)),
    Case("derive-201-byte-value", lambda b: derive_args(b, json_sdtm_with_long_race(b)), 1,
         ("ADSL TOURMALINE-MM3-0001 variable RACE", "ADAM-018", "more than 200 bytes", "(record 1)",
          "nothing written"), ("out",),
         stdout_has("ADSL record 1 ADAM-018")),
    Case("derive-study-spec-unknown-key",
         lambda b: ["derive", "--study", b.study(BAD_SPEC_KEY), "--sdtm", b.copy("sdtm"), "--out", b.out], 2,
         ("{in}/study.toml", "unknown key 'plugins'")),
    Case("derive-output-not-writable",
         lambda b: ["derive", "--study", STUDY, "--sdtm", b.copy("sdtm"), "--out", b.blocker() / "adam"], 2,
         ("{in}/blocker/adam", "{in}/blocker is a file, not a folder")),
    Case("derive-output-is-input-folder",
         lambda b: ["derive", "--study", STUDY, "--sdtm", b.copy("sdtm"), "--out", b.dir / "sdtm"], 2,
         ("{in}/sdtm", "the output folder is an input")),

    # analyze: anything the analyses cannot rely on is exit 2, naming file, record, variable
    *folder_cases("analyze", "adam", analyze_args, {"zero": "adtte.xpt", "cut": "adsl.xpt", "pdf": "adtte.xpt"}),
    Case("analyze-missing-variable", lambda b: analyze_args(b, adam_edit(b, "adtte.xpt", without("CNSR"))), 2,
         ("{in}/adam/adtte.xpt", "variable CNSR", "absent")),
    Case("analyze-wrong-type-usubjid",
         lambda b: analyze_args(b, adam_edit(b, "adsl.xpt", numeric_usubjid)),
         2, ("{in}/adam/adsl.xpt", "variable USUBJID", "must be character, found float64 values such as 0.0")),
    Case("analyze-wrong-type-aval",
         lambda b: analyze_args(b, adam_edit(b, "adtte.xpt", as_text("AVAL", "{:g} days"))),
         2, ("{in}/adam/adtte.xpt", "variable AVAL", "must be numeric, found text such as")),
    Case("analyze-duplicate-keys-adtte", lambda b: analyze_args(b, adam_edit(b, "adtte.xpt", repeated(4))), 2,
         ("{in}/adam/adtte.xpt", "record 801", "variable USUBJID, PARAMCD", "repeats record 4")),
    Case("analyze-duplicate-keys-adsl", lambda b: analyze_args(b, adam_edit(b, "adsl.xpt", repeated(4))), 2,
         ("{in}/adam/adsl.xpt", "record 201", "variable USUBJID", "repeats record 4")),
    Case("analyze-date-out-of-range", lambda b: analyze_args(b, sas_dates(b, [-168000.0], "STARTDT")), 2,
         ("{in}/adam/adtte.xpt", "record 1", "variable STARTDT", "outside the dates this tool holds")),
    # analyze reads only the variables its analyses use: a bad date elsewhere is check's business
    Case("analyze-date-out-of-range-unused", lambda b: analyze_args(b, sas_dates(b, [-168000.0])), 0,
         (), (), ard_has(",OS,")),
    Case("analyze-non-ascii-cp1252",
         lambda b: analyze_args(b, adam_edit(b, "adsl.xpt", with_values("RACE", {1: "Asiático", 2: "Asiático"}),
                                             encoding="cp1252")), 0, (), (), ard_has(",RACE,Asiático,,n,")),
    Case("analyze-study-spec-wrong-type",
         lambda b: ["analyze", "--study", b.study(BAD_SPEC_TYPE), "--adam", b.copy("adam"), "--out", b.out], 2,
         ("{in}/study.toml", "key 'studyid' must be str")),
    Case("analyze-output-not-writable",
         lambda b: ["analyze", "--study", STUDY, "--adam", b.copy("adam"), "--out", b.blocker() / "ard"], 2,
         ("{in}/blocker/ard", "{in}/blocker is a file, not a folder")),
    Case("analyze-output-is-input-file",
         lambda b: ["analyze", "--study", STUDY, "--adam", b.copy("adam"), "--out", b.dir / "adam" / "adtte.xpt"], 2,
         ("{in}/adam/adtte.xpt", "is a file, not a folder")),

    # report: the ARD must be whole; nothing is written unless every output can be
    Case("report-missing-folder", lambda b: report_args(b, b.nowhere()), 2, ("{in}/nowhere", "ARD not found")),
    Case("report-empty-folder", lambda b: report_args(b, b.empty()), 2, ("{in}/empty/ard.csv", "ARD not found")),
    Case("report-zero-byte-file", lambda b: report_args(b, broken(b.copy("ard"), "ard.csv", zero)), 2,
         ("{in}/ard/ard.csv", "empty file (0 bytes)")),
    Case("report-truncated-csv", lambda b: report_args(b, ard_text(b, lambda ls: ls[:100] + [ls[100][:20]])), 2,
         ("{in}/ard/ard.csv", "record 100", "has 2 fields, the header 13", "cut short")),
    Case("report-pdf-renamed-csv", lambda b: report_args(b, broken(b.copy("ard"), "ard.csv", pdf)), 2,
         ("{in}/ard/ard.csv", "not UTF-8 text", "line 2")),
    Case("report-missing-column",
         lambda b: report_args(b, ard_text(b, lambda ls: ard_without_column(ls, "stat_value"))), 2,
         ("{in}/ard/ard.csv", "missing column(s) stat_value")),
    Case("report-wrong-type", lambda b: report_args(b, ard_text(b, lambda ls: ard_cell(ls, 3, "stat_value", "twelve"))),
         2, ("{in}/ard/ard.csv", "record 3", "variable stat_value", "not a number: 'twelve'")),
    Case("report-duplicate-keys", lambda b: report_args(b, ard_text(b, lambda ls: ls + [ls[3]])), 2,
         ("{in}/ard/ard.csv", "variable stat_value", "a second value for statistic", "(first on record 3)")),
    Case("report-cp1252-text", lambda b: report_args(
        b, ard_text(b, lambda ls: [ln.replace("Placebo", "Placébo") for ln in ls], encoding="cp1252")), 2,
         ("{in}/ard/ard.csv", "not UTF-8 text (byte 0xe9")),
    Case("report-analysis-missing-no-partial-output",   # outputs 1-3 are fine: none is written
         lambda b: report_args(b, ard_text(b, lambda ls: [ln for ln in ls if ",OS-SUBGROUP," not in ln])), 2,
         ("{in}/ard/ard.csv", "output figure3", "no rows for analysis_id 'OS-SUBGROUP'")),
    Case("report-study-spec-unknown-key", lambda b: report_args(b, b.copy("ard"), b.study(BAD_SPEC_KEY)), 2,
         ("{in}/study.toml", "unknown key 'plugins'")),
    Case("report-output-not-writable",
         lambda b: ["report", "--study", STUDY, "--ard", b.copy("ard"), "--out", b.blocker() / "tlf"], 2,
         ("{in}/blocker/tlf", "{in}/blocker is a file, not a folder")),
    Case("report-output-is-input-file",
         lambda b: ["report", "--study", STUDY, "--ard", b.copy("ard"), "--out", b.dir / "ard" / "ard.csv"], 2,
         ("{in}/ard/ard.csv", "the output folder is an input")),

    # run: derive's input rules, and nothing of the run left behind
    *folder_cases("run", "sdtm", run_args, {"zero": "ss.xpt", "cut": "rs.xpt", "pdf": "cm.xpt"}),
    Case("run-missing-variable", lambda b: run_args(b, sdtm_edit(b, "ex.xpt", without("EXSTDTC"))), 2,
         ("{in}/sdtm/ex.xpt", "variable EXSTDTC", "not in EX")),
    Case("run-wrong-type",
         lambda b: run_args(b, sdtm_edit(b, "dm.xpt", as_text("AGE", "{:.0f} years"))),
         2, ("{in}/sdtm/dm.xpt", "variable AGE", "must be numeric")),
    Case("run-duplicate-keys",
         lambda b: run_args(b, sdtm_edit(b, "suppdm.xpt", repeated(1, QVAL="OTHER"))), 1,
         ("{in}/sdtm/suppdm.xpt", "record 601", "SDTM-KEY-UNIQUE", "nothing written"), ("out",),
         stdout_has("SUPPDM record 601 SDTM-KEY-UNIQUE")),
    Case("run-study-spec-wrong-type",
         lambda b: ["run", "--study", b.study(BAD_SPEC_TYPE), "--sdtm", b.copy("sdtm"), "--out", b.out], 2,
         ("{in}/study.toml", "key 'studyid' must be str")),
    Case("run-output-not-writable",
         lambda b: ["run", "--study", STUDY, "--sdtm", b.copy("sdtm"), "--out", b.blocker() / "run"], 2,
         ("{in}/blocker/run", "{in}/blocker is a file, not a folder")),
    Case("run-output-is-input-folder",
         lambda b: ["run", "--study", STUDY, "--sdtm", b.copy("sdtm"), "--out", b.dir / "sdtm"], 2,
         ("{in}/sdtm", "the output folder is an input")),

    # convert: whatever it cannot carry over exactly is exit 2 and no OUT
    Case("convert-truncated-xpt",
         lambda b: ["convert", truncated(Path(shutil.copy(b.world.adam / "adsl.xpt", b.dir))), b.out / "adsl.json"],
         2, ("{in}/adsl.xpt", "truncated SAS transport file")),
    Case("convert-zero-byte-json", lambda b: ["convert", zero(b.dir / "adsl.json"), b.out / "adsl.xpt"], 2,
         ("{in}/adsl.json", "empty file (0 bytes)")),
    Case("convert-truncated-json",
         lambda b: ["convert", truncated(adsl_json(b)), b.out / "adsl.xpt"], 2,
         ("{in}/adsl.json", "not valid JSON")),
    Case("convert-wrong-type-json", lambda b: ["convert", json_edit(adsl_json(b), "AGE", 3, "sixty"), b.out / "a.xpt"],
         2, ("{in}/adsl.json", "record 3", "variable AGE", "not a number: 'sixty'")),
    Case("convert-duplicate-column-json", duplicate_column_json, 2,
         ("{in}/adsl.json", "variable RACE", "column 10 repeats the name of column 9")),
    Case("convert-invalid-date-json",
         lambda b: ["convert", json_edit(adsl_json(b), "RANDDT", 3, "2020-02-30"), b.out / "a.xpt"], 2,
         ("{in}/adsl.json", "record 3", "variable RANDDT", "'2020-02-30'", "no such calendar date")),
    Case("convert-partial-date-json",
         lambda b: ["convert", json_edit(adsl_json(b), "RANDDT", 3, "2020-06"), b.out / "a.xpt"], 2,
         ("{in}/adsl.json", "record 3", "variable RANDDT", "partial date '2020-06'")),
    Case("convert-date-out-of-range-json",
         lambda b: ["convert", json_edit(adsl_json(b), "RANDDT", 3, "1600-01-01"), b.out / "a.xpt"], 2,
         ("{in}/adsl.json", "record 3", "variable RANDDT", "'1600-01-01' is outside the range")),
    Case("convert-date-out-of-range-xpt",
         lambda b: ["convert", sas_dates(b, [0.0, 120000.0]) / "adtte.xpt", b.out / "adtte.json"], 2,
         ("{in}/adam/adtte.xpt", "record 2", "variable ADT", "about year 2289", "outside the dates")),
    Case("convert-dates-before-1900-after-2100",
         lambda b: ["convert", adsl_json(b, with_values("RANDDT", {1: pd.Timestamp("1899-12-31"),
                                                                      2: pd.Timestamp("2101-01-01")})),
                    b.out / "adsl.xpt"], 0, (), (), round_trip),
    Case("convert-non-ascii-cp1252",
         lambda b: ["convert", edit(Path(shutil.copy(b.world.adam / "adsl.xpt", b.dir)),
                                    with_values("RACE", {1: "Asiático"}), encoding="cp1252"), b.out / "adsl.json"],
         0, (), (), json_rows_have("Asiático")),
    Case("convert-200-byte-value",
         lambda b: ["convert", adsl_json(b, with_values("RACE", {3: "R" * 200})), b.out / "adsl.xpt"], 0, (), (),
         round_trip),
    Case("convert-201-byte-value",
         lambda b: ["convert", adsl_json(b, with_values("RACE", {3: "R" * 201})), b.out / "adsl.xpt"], 2,
         ("dataset ADSL", "record 3", "variable RACE", "201 bytes (> 200)")),
    Case("convert-label-over-40",
         lambda b: ["convert", adsl_json(b, with_values("RACE", {}, label="L" * 41)), b.out / "adsl.xpt"], 2,
         ("dataset ADSL", "variable RACE", "label is 41 characters (> 40)")),
    Case("convert-output-not-writable",
         lambda b: ["convert", shutil.copy(b.world.adam / "adsl.xpt", b.dir), b.blocker() / "adsl.json"], 2,
         ("{in}/blocker/adsl.json", "{in}/blocker is a file, not a folder")),

    # compare: differences are exit 1 on stdout; files it cannot compare are exit 2
    *[Case(f"compare-{name}", lambda b, how=how, name=name: compare_args(b, how), 2,
           ("{in}/compare.xpt", says)) for name, how, says in (
        ("missing-file", lambda p: p.unlink() or p, "file not found"),
        ("zero-byte-file", zero, "empty file (0 bytes)"),
        ("truncated-xpt", truncated, "truncated SAS transport file"),
        ("pdf-renamed-xpt", pdf, "not a SAS transport (XPT v5) file"))],
    Case("compare-missing-key-variable", lambda b: compare_args(b, lambda p: edit(p, without("USUBJID"))), 2,
         ("{in}/compare.xpt", "variable USUBJID", "ID key(s) USUBJID absent")),
    Case("compare-key-of-wrong-type",
         lambda b: compare_args(b, lambda p: edit(p, numeric_usubjid)), 2,
         ("{in}/compare.xpt", "variable USUBJID", "ID key is Char in", "but Num here")),
    Case("compare-variable-of-wrong-type",
         lambda b: compare_args(b, lambda p: edit(p, as_text("AGE", "{:.0f}"))), 1,
         (), (), stdout_has("Number of Variables with Conflicting Types: 1.")),
    Case("compare-duplicate-keys", lambda b: compare_args(b, lambda p: edit(p, repeated(4))), 2,
         ("{in}/compare.xpt", "record 201", "do not identify observations uniquely")),
    Case("compare-non-ascii-cp1252",
         lambda b: ["compare", edit(Path(shutil.copy(b.world.adam / "adsl.xpt", b.dir / "base.xpt")),
                                    with_values("RACE", {1: "Asiático"}), encoding="cp1252"),
                    json_copy(b.dir / "base.xpt"), "--keys", "USUBJID"], 0, (), (),
         stdout_has("No unequal values were found")),
    Case("compare-report-not-writable",
         lambda b: compare_args(b, lambda p: p, "--report", b.blocker() / "c.html"), 2,
         ("{in}/blocker/c.html", "{in}/blocker is a file, not a folder"), (), stdout_empty),
    Case("compare-report-over-input",
         lambda b: compare_args(b, lambda p: p, "--report", b.dir / "base.xpt"), 2,
         ("{in}/base.xpt", "output would overwrite an input"), (), stdout_empty),
]


# ----------------------------------------------------------------------------- planted findings
def planted_sdtm(b: Bench) -> Path:
    """The SDTM with one defect per dataset: DM a repeated subject (record 201); DS impossible
    DSSTDTC on records 1-2 and partial ones (valid) on 3-4; SS SSDTC in 1899 and 2101
    (records 1-2); AE written in cp1252 with AEACN 'RÉDUIT' (record 1) and a 200-byte AEOUT
    (record 2), both outside their codelists; PR a numeric USUBJID."""
    folder = b.copy("sdtm")
    edit(folder / "dm.xpt", repeated(6))
    edit(folder / "ds.xpt", with_values("DSSTDTC", dict(zip([1, 2, 3, 4], BAD_DATES))))
    edit(folder / "ss.xpt", with_values("SSDTC", {1: "1899-12-31", 2: "2101-01-01"}))
    edit(folder / "ae.xpt", lambda ds: with_values("AEOUT", {2: "X" * 200})(with_values("AEACN", {1: "RÉDUIT"})(ds)),
         encoding="cp1252")
    edit(folder / "pr.xpt", numeric_usubjid)
    return folder


def planted_adam(b: Bench) -> Path:
    """The ADaM as Dataset-JSON (which can hold what XPT cannot): ADSL with record 4 repeated
    (record 201), a 41-character label on RACE and a 201-byte RACE in record 3; ADTTE
    without CNSR and with AVAL as text."""
    folder = b.dir / "adam"
    folder.mkdir()
    adsl = read_dataset(b.world.adam / "adsl.xpt")
    write_dataset(with_values("RACE", {3: "R" * 201}, label="L" * 41)(repeated(4)(adsl)), folder / "adsl.json")
    adtte = read_dataset(b.world.adam / "adtte.xpt")
    write_dataset(as_text("AVAL")(without("CNSR")(adtte)), folder / "adtte.json")
    return folder


@dataclass(frozen=True)
class Cell:
    """A finding ``check`` must report (``row``: the CSV columns it has; ``record`` within
    the message) in the outcome of case ``run``; ``unless``: rows that must not be there."""

    id: str
    run: str
    row: dict | None
    record: int | None = None
    unless: tuple = ()

    def __repr__(self):
        return self.id


CELLS = [
    Cell("check-sdtm-duplicate-keys", "check-sdtm-findings",
         dict(dataset="DM", rule_id="SDTM-KEY-UNIQUE", severity="error", usubjid="TOURMALINE-MM3-0006",
              variable="STUDYID, USUBJID"), 201),
    Cell("check-sdtm-invalid-date", "check-sdtm-findings",
         dict(dataset="DS", rule_id="SDTM-DTC-ISO8601", severity="error", variable="DSSTDTC", value="2020-13-45"), 1),
    Cell("check-sdtm-impossible-calendar-date", "check-sdtm-findings",
         dict(dataset="DS", rule_id="SDTM-DTC-ISO8601", severity="error", variable="DSSTDTC", value="2020-02-30"), 2),
    Cell("check-sdtm-partial-dates-are-valid", "check-sdtm-findings", None,
         unless=(dict(dataset="DS", variable="DSSTDTC", value="2020-06"),
                 dict(dataset="DS", variable="DSSTDTC", value="2020"))),
    Cell("check-sdtm-date-before-1900", "check-sdtm-findings",
         dict(dataset="SS", rule_id="SDTM-DTC-RANGE", severity="warning", variable="SSDTC", value="1899-12-31"), 1),
    Cell("check-sdtm-date-after-2100", "check-sdtm-findings",
         dict(dataset="SS", rule_id="SDTM-DTC-RANGE", severity="warning", variable="SSDTC", value="2101-01-01"), 2),
    Cell("check-sdtm-wrong-type", "check-sdtm-findings",
         dict(dataset="PR", rule_id="SDTM-VAR-TYPE", severity="error", variable="USUBJID")),
    Cell("check-sdtm-non-ascii-cp1252", "check-sdtm-findings",
         dict(dataset="AE", rule_id="SDTM-AE-AEACN-CT", severity="warning", variable="AEACN", value="RÉDUIT"), 1),
    Cell("check-sdtm-200-byte-value", "check-sdtm-findings",
         dict(dataset="AE", rule_id="SDTM-AE-AEOUT-CT", severity="warning", variable="AEOUT", value="X" * 200), 2),
    Cell("check-adam-missing-variable", "check-adam-findings",
         dict(dataset="ADTTE", severity="error", variable="CNSR")),
    Cell("check-adam-wrong-type", "check-adam-findings",
         dict(dataset="ADTTE", rule_id="ADAM-VAR-TYPE", severity="error", variable="AVAL")),
    Cell("check-adam-duplicate-keys", "check-adam-findings",
         dict(dataset="ADSL", rule_id="ADAM-KEY-UNIQUE", severity="error", usubjid="TOURMALINE-MM3-0004"), 201),
    Cell("check-adam-label-over-40", "check-adam-findings",
         dict(dataset="ADSL", severity="error", variable="RACE", value="L" * 41)),
    Cell("check-adam-201-byte-value", "check-adam-findings",
         dict(dataset="ADSL", rule_id="ADAM-018", severity="error", usubjid="TOURMALINE-MM3-0003",
              variable="RACE", value="R" * 201), 3),
]


# ----------------------------------------------------------------------------- fixtures
@pytest.fixture(scope="session")
def world(tmp_path_factory) -> World:
    """A 200-subject MM3 twin, its ADaM and its ARD, made once (through the CLI)."""
    root = tmp_path_factory.mktemp("hostile-world")
    for args in (["synth", "--study", STUDY, "--n-subjects", 200, "--out", root / "sdtm"],
                 ["derive", "--study", STUDY, "--sdtm", root / "sdtm", "--out", root / "adam"],
                 ["analyze", "--study", STUDY, "--adam", root / "adam", "--out", root / "ard"]):
        res = adam(*args)
        assert res.returncode == 0, (args, res.stderr)
    return World(root / "sdtm", root / "adam", root / "ard")


@pytest.fixture(scope="session")
def outcomes(request, world, tmp_path_factory) -> dict[str, Outcome]:
    """Every case the session selected, played two at a time."""
    wanted = set()
    for item in request.session.items:
        params = getattr(getattr(item, "callspec", None), "params", {})
        if isinstance(params.get("case"), Case):
            wanted.add(params["case"].id)
        if isinstance(params.get("cell"), Cell):
            wanted.add(params["cell"].run)
    cases = [c for c in CASES if c.id in wanted]
    roots = [tmp_path_factory.mktemp(c.id, numbered=True) for c in cases]
    local, runners = threading.local(), []

    def play_here(case: Case, root: Path) -> Outcome:
        if not hasattr(local, "runner"):
            local.runner = Runner()
            runners.append(local.runner)
        return play(case, root, world, local.runner)

    try:
        with ThreadPoolExecutor(max_workers=2) as pool:   # the heaviest first
            played = list(pool.map(play_here, *zip(*sorted(zip(cases, roots), key=lambda cr: -cr[0].cost))))
    finally:
        for runner in runners:
            runner.close()
    return {o.case.id: o for o in played}


# ----------------------------------------------------------------------------- the tests
def test_cases_are_unique():
    ids = [c.id for c in CASES] + [c.id for c in CELLS]
    assert len(ids) == len(set(ids))
    assert {c.run for c in CELLS} <= {c.id for c in CASES}


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_command_on_hostile_input(case: Case, outcomes):
    o = outcome_of(outcomes, case.id)
    assert o.code == case.code, str(o)
    assert "Traceback" not in o.stderr + o.stdout, str(o)
    lines = [ln for ln in o.stderr.splitlines() if ln.strip()]
    if case.says:
        assert len(lines) == 1, str(o)
        assert lines[0].startswith("adam: error: "), str(o)
        for needle in case.says:
            assert needle.format(**{"in": o.inputs}) in lines[0], (needle, lines[0])
    else:
        assert lines == [], str(o)
    assert o.after == o.before, "inputs changed"
    for name in case.gone:
        assert not (o.root / name).exists(), f"partial output left: {name}"
    assert not [p for p in o.root.rglob("*.tmp")], "temporary files left"
    if case.then is not None:
        case.then(o)


@pytest.mark.parametrize("cell", CELLS, ids=[c.id for c in CELLS])
def test_check_finds(cell: Cell, outcomes):
    o = outcome_of(outcomes, cell.run)
    assert o.code == 1, str(o)
    findings = pd.read_csv(o.out / "findings.csv", dtype=str, keep_default_na=False)
    assert list(findings.columns) == ["dataset", "rule_id", "severity", "usubjid", "variable", "value", "message"]
    if cell.row is not None:
        hit = findings
        for column, value in cell.row.items():
            hit = hit[hit[column] == value]
        if cell.record is not None:
            hit = hit[hit["message"].str.contains(rf"\(record {cell.record}\)", regex=True)]
        assert len(hit) == 1, (cell.row, findings[findings["dataset"] == cell.row["dataset"]].to_string()[:3000])
    for row in cell.unless:
        rest = findings
        for column, value in row.items():
            rest = rest[rest[column] == value]
        assert rest.empty, rest.to_string()
